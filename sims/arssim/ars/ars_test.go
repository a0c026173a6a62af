package ars

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
	"github.com/valyala/fasthttp"
)

func start(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.NewHTTPServer()
	go hs.Serve(ln)
	s.Start()
	t.Cleanup(func() { hs.Shutdown(); s.Close() })
	return s, "http://" + ln.Addr().String()
}

func post(t *testing.T, url string) (int, time.Duration) {
	t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	req.Header.SetMethod("POST")
	req.SetBodyString(`{"id":"070010","body":"alarm"}`)
	t0 := time.Now()
	if err := fasthttp.DoTimeout(req, resp, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode(), time.Since(t0)
}

// onTime: a response measured by the client never comes before the model's
// time and comes late only by the machine's noise (round trip, scheduling
// under -race beside other test packages).
func onTime(d, want time.Duration) bool { return d >= want && d <= want+50*time.Millisecond }

func TestMinimalModelIsAFIFOServer(t *testing.T) {
	t.Parallel()
	_, url := start(t, Config{Model: "minimal", Processing: 2 * time.Second})
	code, d := post(t, url+"/fake_call")
	if code != 200 || !onTime(d, 2*time.Second) {
		t.Fatalf("one client: %d after %v, want 200 after 2.0 s (+50 ms)", code, d)
	}
	var wg sync.WaitGroup
	var d1 time.Duration
	var end2 time.Time
	wg.Add(2)
	t1 := time.Now()
	go func() { defer wg.Done(); _, d1 = post(t, url+"/fake_call") }()
	time.Sleep(20 * time.Millisecond)
	go func() { defer wg.Done(); post(t, url+"/fake_call"); end2 = time.Now() }()
	wg.Wait()
	// the second waits for the first: it ends 4 s after the first was sent
	if !onTime(d1, 2*time.Second) || !onTime(end2.Sub(t1), 4*time.Second) {
		t.Fatalf("two concurrent: first %v, second done %v after the first was sent; want 2 s and 4 s", d1, end2.Sub(t1))
	}
}

func TestFaultAnswers500ThenRecovers(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var evs []record.Event
	s, url := start(t, Config{Model: "none", FaultParams: FaultParams{DetectMin: 26 * time.Second, DetectMax: 34 * time.Second,
		Position: 2, Reaction: time.Second, Recovery: 500 * time.Millisecond, Scale: 0.01}})
	s.faults.emit = func(e record.Event) { mu.Lock(); evs = append(evs, e); mu.Unlock() }
	if code, _ := post(t, url+"/fake_call"); code != 200 {
		t.Fatalf("healthy: %d", code)
	}
	t0 := time.Now()
	if !s.faults.Trigger() || s.faults.Trigger() {
		t.Fatal("first trigger must fault, a second while faulted must be ignored")
	}
	code, d := post(t, url+"/fake_call")
	if code != 500 || d > 50*time.Millisecond {
		t.Fatalf("faulted: %d after %v, want 500 at once", code, d)
	}
	if c, _ := get(url + "/status"); c != 200 {
		t.Fatalf("GET while faulted: %d, want 200", c)
	}
	for s.faults.Faulted() {
		time.Sleep(2 * time.Millisecond)
	}
	out := time.Since(t0)
	// the planned outage = detection 26–34 s + 2 s (position 2) + 1 s + 0.5 s = 29.5–37.5 s, scaled by 0.01;
	// the measured one never shorter, longer only by this machine's noise (three timers in a row)
	mu.Lock()
	planned := time.Duration(evs[0].OutageS * float64(time.Second))
	mu.Unlock()
	if planned < 295*time.Millisecond || planned > 375*time.Millisecond || out < planned || out > planned+150*time.Millisecond {
		t.Fatalf("outage %v, planned %v; want the plan within 295–375 ms and the outage no shorter", out, planned)
	}
	if code, _ := post(t, url+"/fake_call"); code != 200 {
		t.Fatalf("after recovery: %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	names := []string{record.EvFault, record.EvDetected, record.EvNotified, record.EvRecovery, record.EvRecovered}
	if len(evs) != len(names) {
		t.Fatalf("events %+v", evs)
	}
	for i, e := range evs {
		if e.Event != names[i] || e.Fault != 1 {
			t.Fatalf("event %d: %+v, want %s", i, e, names[i])
		}
	}
}

func get(url string) (int, error) {
	code, _, err := fasthttp.Get(nil, url)
	return code, err
}

func TestMascotsScheduleScaled(t *testing.T) {
	t.Parallel()
	s, err := ParseSchedule("mascots")
	if err != nil {
		t.Fatal(err)
	}
	want := []int{5, 6, 7, 12, 13, 14, 19}
	for i, m := range want {
		if d, _ := s.Next(i); d != time.Duration(m)*time.Minute {
			t.Fatalf("fault %d at %v, want minute %d", i, d, m)
		}
	}
	// run it for real at time scale 0.002: minute 5 → 600 ms. Each outage
	// ends at once (the phases' timers run inline), so however late this
	// machine's timers fire, no fault falls into the one before (a fault
	// while faulted is ignored: with the study's 30 s outages, late timers
	// beside other tests merged two).
	var mu sync.Mutex
	var at []time.Duration
	start := time.Now()
	f := NewFaults(FaultParams{DetectMin: 26 * time.Second, DetectMax: 34 * time.Second, Position: 2,
		Reaction: time.Second, Recovery: 500 * time.Millisecond, Scale: 0.002}, 42, func(e record.Event) {
		if e.Event == record.EvFault {
			mu.Lock()
			at = append(at, time.Since(start))
			mu.Unlock()
		}
	})
	f.after = func(_ time.Duration, fn func()) { fn() }
	stop := make(chan struct{})
	go f.Run(s, start, stop)
	time.Sleep(2100 * time.Millisecond) // past minute 14 (1680 ms), before 19 (2280 ms)
	close(stop)
	mu.Lock()
	defer mu.Unlock()
	if len(at) != 6 {
		t.Fatalf("faults at %v, want 6 (scaled minutes 5, 6, 7, 12, 13, 14)", at)
	}
	for i, m := range want[:6] {
		// never early; late only by this machine's noise (a wrong scale is 600 ms off)
		if w := time.Duration(m) * 120 * time.Millisecond; at[i] < w || at[i] > w+250*time.Millisecond {
			t.Fatalf("fault %d at %v, want %v", i, at[i], w)
		}
	}
}

func TestSameSeedSameOutages(t *testing.T) {
	t.Parallel()
	draw := func(seed int64) []float64 {
		var out []float64
		f := NewFaults(FaultParams{DetectMin: 26 * time.Second, DetectMax: 34 * time.Second, Position: 2, Scale: 1}, seed, func(e record.Event) {
			if e.Event == record.EvFault {
				out = append(out, e.OutageS)
			}
		})
		f.after = func(time.Duration, func()) {} // never recover: only the draws matter
		for i := 0; i < 5; i++ {
			f.faulted = false
			f.Trigger()
		}
		return out
	}
	a, b, c := draw(42), draw(42), draw(7)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 42 twice: %v vs %v", a, b)
		}
		if a[i] < 28 || a[i] > 36 {
			t.Fatalf("outage %v s outside 28–36 s (detection with position 2)", a[i])
		}
	}
	if a[0] == c[0] && a[1] == c[1] {
		t.Fatalf("different seeds gave the same outages")
	}
}

func TestScheduleFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(p, []byte("# faults\n90\n5m\n"), 0o644)
	s, err := ParseSchedule("file:" + p)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Next(1); d != 5*time.Minute {
		t.Fatalf("second fault at %v", d)
	}
	if _, ok := s.Next(2); ok {
		t.Fatal("a third fault")
	}
	os.WriteFile(p, []byte("90\nsoon\n"), 0o644)
	if _, err := ParseSchedule("file:" + p); err == nil || err.Error() != p+` line 2: expected an offset like 5m30s or 330, got "soon"` {
		t.Fatalf("bad line: %v", err)
	}
	for _, bad := range []string{"every:x", "sometimes"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCommandName(t *testing.T) {
	for in, want := range map[string]string{"/fake_call": "ID__fake_call", "/ID_REQ_KC_STORE7D3BPACKET": "ID_REQ_KC_STORE7D3BPACKET", "/a/b": "ID__a_b"} {
		if got := CommandName([]byte(in)); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestControlOnlyFromLoopbackOrToken(t *testing.T) {
	cases := []struct {
		ip, token, want string
		ok              bool
	}{
		{"127.0.0.1", "", "", true},
		{"::1", "", "", true},
		{"192.0.2.7", "", "", false},
		{"192.0.2.7", "x", "", false},
		{"192.0.2.7", "secret", "secret", true},
		{"192.0.2.7", "", "secret", false},
	}
	for _, c := range cases {
		if got := AllowControl(net.ParseIP(c.ip), c.token, c.want); got != c.ok {
			t.Errorf("%+v: %v", c, got)
		}
	}
}

func TestOverloadAnswers503AndStaysUp(t *testing.T) {
	t.Parallel()
	_, url := start(t, Config{Model: "minimal", Processing: 300 * time.Millisecond, MaxInflight: 2})
	var wg sync.WaitGroup
	codes := make(chan int, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c, _ := post(t, url+"/x"); codes <- c }()
	}
	wg.Wait()
	close(codes)
	n := map[int]int{}
	for c := range codes {
		n[c]++
	}
	if n[200] != 2 || n[503] != 4 {
		t.Fatalf("codes %v, want two 200 and four 503", n)
	}
	if c, _ := post(t, url+"/x"); c != 200 {
		t.Fatalf("after overload: %d", c)
	}
}

// X-Process-Time carries the model's time in seconds, as the real ARS's did.
func TestProcessTimeHeader(t *testing.T) {
	t.Parallel()
	_, url := start(t, Config{Model: "minimal", Processing: 20 * time.Millisecond})
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url + "/fake_call")
	req.Header.SetMethod("POST")
	if err := fasthttp.DoTimeout(req, resp, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := string(resp.Header.Peek("X-Process-Time")); got != "0.020000" {
		t.Fatalf("X-Process-Time %q, want 0.020000", got)
	}
}

// Bad requests get an error answer or a closed connection, never a crash
// or a stuck server: garbage, a body over the 64 KiB limit, a client that
// connects and says nothing, one that stops halfway through its headers.
func TestBadRequestsLeaveItUp(t *testing.T) {
	t.Parallel()
	_, url := start(t, Config{Model: "none"})
	addr := strings.TrimPrefix(url, "http://")
	raw := func(req string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(req))
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		b, _ := io.ReadAll(io.LimitReader(c, 200))
		return string(b)
	}
	if got := raw("\x00\x01garbage\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 400") && got != "" {
		t.Errorf("garbage: %q", got)
	}
	big := fmt.Sprintf("POST /fake_call HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", 100<<10, strings.Repeat("a", 100<<10))
	if got := raw(big); !strings.HasPrefix(got, "HTTP/1.1 413") {
		t.Errorf("100 KiB body: %q, want 413", got)
	}
	var idle []net.Conn // silent and half-sent clients stay connected meanwhile
	for _, half := range []string{"", "POST /fake_call HTTP/1.1\r\nHo"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(half))
		idle = append(idle, c)
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	if code, d := post(t, url+"/fake_call"); code != 200 || d > time.Second {
		t.Fatalf("after bad requests: %d in %v", code, d)
	}
}

// The handler's own work per request with the none model (docs/performance.md (5)):
// go test -run - -bench HandlerNone ./sims/arssim/ars
func BenchmarkHandlerNone(b *testing.B) {
	s, err := NewServer(Config{Model: "none"})
	if err != nil {
		b.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/fake_call")
	ctx.Request.Header.SetMethod("POST")
	ctx.Request.SetBodyString(`{"id":"070010","body":"alarm"}`)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		s.Handler(&ctx)
	}
	if ctx.Response.StatusCode() != 200 {
		b.Fatalf("status %d", ctx.Response.StatusCode())
	}
}

// A fault schedule file: offsets in order from 0 to a century, errors naming
// the file and line, never a panic.
func FuzzSchedule(f *testing.F) {
	f.Add("# the paper's\n5m\n6m\n420\n")
	f.Add("-5\nNaN\n1e300\n")
	f.Fuzz(func(t *testing.T, s string) {
		sch, err := readSchedule(strings.NewReader(s), "faults.txt")
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "faults.txt") {
				t.Fatalf("error %q is not one line naming the file", err)
			}
			return
		}
		prev := time.Duration(0)
		for i := 0; ; i++ {
			d, ok := sch.Next(i)
			if !ok {
				break
			}
			if d < prev || d > maxOffset {
				t.Fatalf("offset %d: %v after %v", i, d, prev)
			}
			prev = d
		}
	})
}
