package fire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
	"github.com/valyala/fasthttp"
)

// serve starts a fasthttp server on a loopback port and returns its address.
func serve(t *testing.T, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fasthttp.Server{Handler: h}
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown() })
	return ln.Addr().String()
}

func ok(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(200) }

type runOut struct {
	out, fb, stderr bytes.Buffer
	sum             record.Stats
	err             error
}

func runPlan(t *testing.T, ctx context.Context, cfg Config, planText string) *runOut {
	t.Helper()
	var r runOut
	if cfg.StopTimeout == 0 {
		// a run on a busy machine (the race detector, other tests) may
		// fall behind its schedule: it sends every arrival, late
		cfg.StopTimeout = time.Minute
	}
	res, err := Run(ctx, cfg, strings.NewReader(planText), "plan", &r.out, &r.fb, &r.stderr)
	r.sum, r.err = res.Summary, err
	return &r
}

func samples(t *testing.T, b []byte) []record.Sample {
	t.Helper()
	var out []record.Sample
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var s record.Sample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("sample line %q: %v", sc.Text(), err)
		}
		out = append(out, s)
	}
	return out
}

const scenarioText = `{"type":"plan","version":1}
{"type":"scenario","steps":[{"name":"alarm","method":"POST","path":"/fake_call","body":"{}","repeat":true}],"think_ms":%THINK%}
`

func closedPlan(users int, think string, endMS string) string {
	p := strings.Replace(scenarioText, "%THINK%", think, 1)
	p += `{"type":"stage","at_ms":0,"users":` + itoa(users) + "}\n"
	if endMS != "" {
		p += `{"type":"end","at_ms":` + endMS + "}\n"
	}
	return p
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestClosedModelOneSendPerSecondPerUser(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	r := runPlan(t, context.Background(), Config{Target: addr}, closedPlan(3, "1000", "3900"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	// each user sends at t = 0, 1, 2, 3 s (plus its answers' times, far
	// below the 0.9 s left before the end)
	if r.sum.Count != 12 {
		t.Fatalf("%d sends by 3 users in 3.9 s with 1 s think, want 12", r.sum.Count)
	}
	orig := regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] [^ ]+/INFO/fire\.alarm: Response time \d+ ms$`)
	lines := strings.Split(strings.TrimSuffix(r.out.String(), "\n"), "\n")
	if int64(len(lines)) != r.sum.Count {
		t.Fatalf("%d log lines for %d sends", len(lines), r.sum.Count)
	}
	for _, l := range lines {
		if !orig.MatchString(l) {
			t.Fatalf("line %q is not a Locust response line", l)
		}
	}
}

func TestRepeatingSendSumsTries(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	addr := serve(t, func(ctx *fasthttp.RequestCtx) {
		time.Sleep(50 * time.Millisecond)
		if n.Add(1) <= 3 {
			ctx.SetStatusCode(500)
			return
		}
		ctx.SetStatusCode(200)
	})
	r := runPlan(t, context.Background(), Config{Target: addr, JSONL: true}, closedPlan(1, "5000", "300"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	s := samples(t, r.out.Bytes())
	if len(s) != 1 || s[0].Tries != 4 || s[0].Status != 200 {
		t.Fatalf("samples %+v, want one with 4 tries", s)
	}
	if d := time.Duration(s[0].LatencyUS) * time.Microsecond; d < 200*time.Millisecond {
		t.Fatalf("latency %v, want the 4 tries' sum, at least 200 ms", d)
	}
}

func TestGiveUpIsAnError(t *testing.T) {
	t.Parallel()
	addr := serve(t, func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(500) })
	r := runPlan(t, context.Background(), Config{Target: addr, RetryDelay: 20 * time.Millisecond, GiveUp: 100 * time.Millisecond},
		closedPlan(1, "5000", "300"))
	if r.sum.Errors != 1 || r.sum.Count != 0 || !strings.Contains(r.out.String(), "Request failed after") {
		t.Fatalf("errors %d count %d log %q", r.sum.Errors, r.sum.Count, r.out.String())
	}
}

func openPlan(rate string, endMS string) string {
	return `{"type":"plan","version":1}
{"type":"scenario","steps":[{"method":"GET","path":"/"}]}
{"type":"stage","at_ms":0,"rate_rps":` + rate + `}
{"type":"end","at_ms":` + endMS + "}\n"
}

func TestOpenModelHoldsRate(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	r := runPlan(t, context.Background(), Config{Target: addr}, openPlan("2000", "2000"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.sum.Count + r.sum.Errors + r.sum.Missed; got != 4000 {
		t.Fatalf("%d arrivals in 2 s at 2000/s, want 4000: the schedule's", got)
	}
	if r.sum.Errors != 0 || r.sum.Missed != 0 {
		t.Fatalf("errors %d missed %d", r.sum.Errors, r.sum.Missed)
	}
}

func TestOpenModelRecordsStallAsLatency(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var stallUntil time.Time
	start := time.Now()
	addr := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		if stallUntil.IsZero() && time.Since(start) > 500*time.Millisecond {
			stallUntil = time.Now().Add(500 * time.Millisecond)
		}
		u := stallUntil
		mu.Unlock()
		time.Sleep(time.Until(u))
		ctx.SetStatusCode(200)
	})
	start = time.Now()
	r := runPlan(t, context.Background(), Config{Target: addr, JSONL: true}, openPlan("100", "2000"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	s := samples(t, r.out.Bytes())
	if len(s) != 200 {
		t.Fatalf("%d samples, want 200: the schedule must not slow down with the server", len(s))
	}
	if r.sum.MaxMS < 450 {
		t.Fatalf("max latency %.1f ms: a 500 ms stall must show as latency from the intended send time", r.sum.MaxMS)
	}
	for _, x := range s {
		if x.Scheduled.IsZero() || x.TS.Sub(x.Scheduled) < time.Duration(x.LatencyUS-1000)*time.Microsecond {
			t.Fatalf("latency not counted from the schedule: %+v", x)
		}
	}
}

func TestStopFlushesCompleteLinesAndSummary(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1200*time.Millisecond, cancel)
	r := runPlan(t, ctx, Config{Target: addr}, closedPlan(5, "100", "")) // no end: runs until stopped
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !strings.HasSuffix(r.out.String(), "\n") || r.sum.Count < 20 {
		t.Fatalf("log not complete or too short: %d sends", r.sum.Count)
	}
	if n := int64(strings.Count(r.out.String(), "\n")); n != r.sum.Count {
		t.Fatalf("%d lines, summary says %d", n, r.sum.Count)
	}
	// feedback ends with the summary carrying the histogram
	lines := strings.Split(strings.TrimSpace(r.fb.String()), "\n")
	var last record.Stats
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Type != "summary" || last.Count != r.sum.Count || last.Hist == "" {
		t.Fatalf("last feedback record %q (%v)", lines[len(lines)-1], err)
	}
	if !strings.Contains(r.stderr.String(), "fire: summary:") {
		t.Fatalf("no summary on stderr: %q", r.stderr.String())
	}
}

func TestBadPlanLineKeepsWhatWasMeasured(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	pr, pw := io.Pipe()
	go func() {
		io.WriteString(pw, closedPlan(2, "100", ""))
		time.Sleep(500 * time.Millisecond)
		io.WriteString(pw, "{broken\n")
		pw.Close()
	}()
	var out, stderr bytes.Buffer
	res, err := Run(context.Background(), Config{Target: addr, StopTimeout: time.Second}, pr, "plan", &out, nil, &stderr)
	sum := res.Summary
	if err == nil || !strings.HasPrefix(err.Error(), "plan line 4: expected a JSON plan record") {
		t.Fatalf("error %v", err)
	}
	if sum.Count < 2 || int64(strings.Count(out.String(), "\n")) != sum.Count {
		t.Fatalf("measured before the bad line: %d sends, %d lines", sum.Count, strings.Count(out.String(), "\n"))
	}
}

func TestUnreachableTargetIsCountedNotFatal(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r := runPlan(t, context.Background(), Config{Target: addr, TryTimeout: time.Second}, openPlan("50", "500"))
	if r.err != nil || r.sum.Errors != 25 || r.sum.Count != 0 || !strings.Contains(r.out.String(), `: "connection refused"`+"\n") {
		t.Fatalf("err %v errors %d count %d, want the schedule's 25 errors", r.err, r.sum.Errors, r.sum.Count)
	}
}

func TestStagesChangeUsersWhileRunning(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	p := strings.Replace(scenarioText, "%THINK%", "50", 1) +
		`{"type":"stage","at_ms":0,"users":2}` + "\n" +
		`{"type":"stage","at_ms":600,"users":6,"spawn_rate":5}` + "\n" +
		`{"type":"stage","at_ms":1600,"users":1}` + "\n" +
		`{"type":"end","at_ms":2200}` + "\n"
	var mu sync.Mutex
	first, last := map[int]time.Duration{}, map[int]time.Duration{}
	start := time.Now()
	cfg := Config{Target: addr, trace: func(user int, _ *fasthttp.Request) {
		d := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		if _, ok := first[user]; !ok {
			first[user] = d
		}
		last[user] = d
	}}
	if r := runPlan(t, context.Background(), cfg, p); r.err != nil {
		t.Fatal(r.err)
	}
	// 2 users, then 4 more spawned at 5/s (at 0.6, 0.8, 1.0, 1.2 s), then
	// only user 0 from 1.6 s on. The bounds are one-sided: a busy machine
	// makes everything later, never earlier.
	if len(first) != 6 {
		t.Fatalf("users that sent: %v, want 0–5", first)
	}
	for u := 2; u < 6; u++ {
		if at := 600*time.Millisecond + time.Duration(u-2)*200*time.Millisecond; first[u] < at {
			t.Errorf("user %d first sent at %v, before its start at %v", u, first[u], at)
		}
	}
	for u := 1; u < 6; u++ {
		if last[u] > 2*time.Second && last[0] > last[u] {
			t.Errorf("user %d still sent at %v, after the stage of 1 user at 1.6 s", u, last[u])
		}
	}
	if last[0] < 1800*time.Millisecond {
		t.Errorf("user 0 last sent at %v: it runs to the end at 2.2 s", last[0])
	}
}

func TestPoissonArrivalsKeepTheMeanRate(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	p := `{"type":"plan","version":1}
{"type":"scenario","steps":[{"method":"GET","path":"/"}]}
{"type":"stage","at_ms":0,"rate_rps":1000,"poisson":true}
{"type":"end","at_ms":2000}
`
	r := runPlan(t, context.Background(), Config{Target: addr, JSONL: true, Seed: ptr(int64(7))}, p)
	s := samples(t, r.out.Bytes())
	// the schedule's own count for seed 7 (2,000 expected; a Poisson count
	// has a standard deviation of ~45)
	a := newArrivals(7)
	a.add(rateStage{rate: 1000, poisson: true, sc: &scenario{steps: []*step{{}}}})
	want := 0
	for ; a.next() < 2*time.Second; a.pop() {
		want++
	}
	if len(s) != want || want < 1850 || want > 2150 {
		t.Fatalf("%d Poisson arrivals in 2 s at 1000/s, want the schedule's %d", len(s), want)
	}
	// exponential gaps: many much shorter than the 1 ms mean
	short := 0
	for i := 1; i < len(s); i++ {
		if s[i].Scheduled.Sub(s[i-1].Scheduled) < 200*time.Microsecond {
			short++
		}
	}
	if short < len(s)/10 {
		t.Fatalf("%d of %d gaps under 0.2 ms: not exponential (expect ~18 %%)", short, len(s))
	}
}

// Two groups run side by side, each its own scenario and user count; a stage
// of one leaves the other alone; a think range is drawn per wait.
func TestGroupsRunSideBySide(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	p := `{"type":"plan","version":1}
{"type":"scenario","group":"users","steps":[{"name":"a","method":"POST","path":"/a"}],"think_ms":100}
{"type":"stage","group":"users","at_ms":0,"users":3}
{"type":"scenario","group":"devices","steps":[{"name":"b","method":"POST","path":"/b"}],"think_ms":200,"think_max_ms":400}
{"type":"stage","group":"devices","at_ms":0,"users":2}
{"type":"stage","group":"users","at_ms":1000,"users":0}
{"type":"end","at_ms":2000}
`
	start := time.Now()
	r := runPlan(t, context.Background(), Config{Target: addr, JSONL: true}, p)
	if r.err != nil {
		t.Fatal(r.err)
	}
	var a, b int
	var aLast, bLast time.Duration
	for _, s := range samples(t, r.out.Bytes()) {
		switch s.Name {
		case "a":
			a++
			aLast = max(aLast, s.TS.Sub(start))
		case "b":
			b++
			bLast = max(bLast, s.TS.Sub(start))
		}
	}
	// a: 3 users every ~100 ms for 1 s, none once their stage of 0 has
	// passed; b: 2 users every 200–400 ms for 2 s. One-sided: a busy
	// machine sends less, never more.
	if a < 3 || a > 33 || b < 2 || b > 21 {
		t.Fatalf("a %d, b %d; want ~30 and ~13", a, b)
	}
	if bLast < 1500*time.Millisecond || aLast > bLast-300*time.Millisecond {
		t.Fatalf("a last answered at %v, b at %v: b runs to the end at 2 s, a stops at 1 s", aLast, bLast)
	}
}

func ptr[T any](v T) *T { return &v }
