package fire

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// countingListener counts the connections a server accepted.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func serveCounting(t *testing.T, h fasthttp.RequestHandler) (string, *countingListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	s := &fasthttp.Server{Handler: h}
	go s.Serve(cl)
	t.Cleanup(func() { s.Shutdown() })
	return ln.Addr().String(), cl
}

// --connections caps the connections for every N (it was max(N, 512)):
// 10 users sending without pause through 2 connections open 2, and the
// default opens one per user.
func TestConnectionsCapForEveryN(t *testing.T) {
	t.Parallel()
	slow := func(ctx *fasthttp.RequestCtx) { time.Sleep(5 * time.Millisecond) }
	for _, c := range []struct{ conns, want int }{{1, 1}, {2, 2}, {7, 7}, {0, 10}} {
		addr, ln := serveCounting(t, slow)
		r := runPlan(t, context.Background(), Config{Target: addr, Connections: c.conns}, closedPlan(10, "0", "400"))
		if r.err != nil || r.sum.Count < 10 {
			t.Fatalf("--connections %d: %v, %d sends", c.conns, r.err, r.sum.Count)
		}
		if got := int(ln.n.Load()); got != c.want {
			t.Errorf("--connections %d, 10 users: the server accepted %d connections, want %d", c.conns, got, c.want)
		}
	}
}

// A requirement is checked on the summary: the verdict follows it in the
// feedback, with the checks' values.
func TestRequirementVerdictFollowsTheSummary(t *testing.T) {
	t.Parallel()
	addr := serve(t, func(ctx *fasthttp.RequestCtx) { time.Sleep(20 * time.Millisecond) })
	req, _ := requirement.Parse("p99<=5ms,errors<=1%")
	var out, fb, stderr bytes.Buffer
	res, err := Run(context.Background(), Config{Target: addr, Requirement: req, StopTimeout: time.Minute},
		strings.NewReader(openPlan("20", "500")), "plan", &out, &fb, &stderr)
	if err != nil || res.Verdict == nil || res.Verdict.Pass {
		t.Fatalf("err %v, verdict %+v (errors: %v): a 20 ms server breaks p99 <= 5 ms", err, res.Verdict, res.Reasons)
	}
	lines := strings.Split(strings.TrimSpace(fb.String()), "\n")
	var sum record.Stats
	var v record.Verdict
	json.Unmarshal([]byte(lines[len(lines)-2]), &sum)
	json.Unmarshal([]byte(lines[len(lines)-1]), &v)
	if sum.Type != record.TypeSummary || v.Type != record.TypeVerdict || v.Pass || len(v.Checks) != 2 ||
		v.Checks[0].Value < 20 || !v.Checks[1].Pass {
		t.Fatalf("feedback ends with %s", strings.Join(lines[len(lines)-2:], "\n"))
	}
	if !strings.Contains(stderr.String(), "fire: requirement p99<=5ms,errors<=1%: VIOLATED\n") {
		t.Fatalf("stderr: %s", stderr.String())
	}
}

func hugePlan(users int, end string) string {
	p := `{"type":"plan","version":1}
{"type":"scenario","steps":[{"method":"GET","path":"/"}],"think_ms":60000}
{"type":"stage","at_ms":0,"users":` + itoa(users) + "}\n"
	if end != "" {
		p += `{"type":"end","at_ms":` + end + "}\n"
	}
	return p
}

// Starting a huge count of users never holds up the plan's end or a stop:
// users start in batches from the sleepers, between which both are seen.
func TestHugeUserCountsStopAtOnce(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	for _, stop := range []string{"end", "signal"} {
		ctx, cancel := context.WithCancel(context.Background())
		plan := hugePlan(5_000_000, "300")
		if stop == "signal" {
			plan = hugePlan(5_000_000, "")
			time.AfterFunc(300*time.Millisecond, cancel)
		}
		t0 := time.Now()
		// a few connections: this process also holds the server's side of each
		r := runPlan(t, ctx, Config{Target: addr, MemLimit: 1 << 40, Progress: time.Hour, Connections: 64}, plan)
		cancel()
		if d := time.Since(t0); r.err != nil || d > 20*time.Second || r.sum.Count == 0 {
			t.Fatalf("%s: %v after %v with %d sends: starting 5,000,000 users held up the stop", stop, r.err, d, r.sum.Count)
		}
		if !strings.Contains(r.stderr.String(), "fire: summary: ") {
			t.Fatalf("%s: no summary: %s", stop, r.stderr.String())
		}
	}
}

// A user count that cannot fit in memory, at fire's measured cost per
// user, is refused up front with one line naming the plan's line.
func TestUsersBeyondMemoryAreRefused(t *testing.T) {
	t.Parallel()
	var out, stderr bytes.Buffer
	_, err := Run(context.Background(), Config{Target: ":1", MemLimit: 1 << 20}, strings.NewReader(hugePlan(10_000, "")),
		"plan.jsonl", &out, nil, &stderr)
	want := "plan.jsonl line 3: 10000 users need about 7.0 MB at 700 bytes each, more than the 1.0 MB of memory available (at most 1497 users)"
	if err == nil || err.Error() != want || out.Len() != 0 {
		t.Fatalf("error %v, want %q", err, want)
	}
}
