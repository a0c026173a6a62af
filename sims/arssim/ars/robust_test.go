package ars

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/regress"
	"github.com/perflab/perflab/lib/simserver"
)

// serve runs s behind simserver.Serve (the listener that registers
// connections, as arssim does) and returns its address.
func serve(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { simserver.Serve(ctx, s.NewHTTPServer(), ln, time.Second); close(done) }()
	s.Start()
	t.Cleanup(func() { cancel(); <-done; s.Close() })
	return s, ln.Addr().String()
}

// rawPost sends a POST on its own connection and leaves it open.
func rawPost(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("POST /fake_call HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A queued request whose client leaves costs the FIFO no time: the one
// behind it is served right after the one in service.
func TestGoneClientLeavesTheQueue(t *testing.T) {
	t.Parallel()
	s, addr := serve(t, Config{Model: "minimal", Processing: 200 * time.Millisecond})
	a := rawPost(t, addr)
	defer a.Close()
	waitFor(t, "A in service", func() bool { return s.gate.Inflight() == 1 })
	b := rawPost(t, addr)
	waitFor(t, "B queued", func() bool { return s.gate.Inflight() == 2 })
	t0 := time.Now()
	res := make(chan time.Duration)
	go func() { _, d := post(t, "http://"+addr+"/fake_call"); res <- d }()
	waitFor(t, "C queued", func() bool { return s.gate.Inflight() == 3 })
	b.Close()
	waitFor(t, "B abandoned", func() bool { return s.abandoned.Load() == 1 })
	d := <-res
	// A ends 200 ms after it came, C 200 ms later: under 400 ms after C was
	// sent (600 ms if B had been served), and never before A's 200 ms are up
	if d < 200*time.Millisecond || time.Since(t0) > 450*time.Millisecond {
		t.Fatalf("C answered after %v; want A's rest plus C's 200 ms, under 400 ms", d)
	}
	if st := s.State(); st.Abandoned != 1 || st.Processed != 2 || st.Inflight != 0 {
		t.Fatalf("state %+v, want 1 abandoned, 2 processed, 0 in flight", st)
	}
}

// A request in service whose client leaves frees the server at once.
func TestGoneClientInServiceFreesTheServer(t *testing.T) {
	t.Parallel()
	s, addr := serve(t, Config{Model: "minimal", Processing: 300 * time.Millisecond})
	a := rawPost(t, addr)
	waitFor(t, "A in service", func() bool { return s.gate.Inflight() == 1 })
	res := make(chan time.Duration)
	go func() { _, d := post(t, "http://"+addr+"/fake_call"); res <- d }()
	waitFor(t, "B queued", func() bool { return s.gate.Inflight() == 2 })
	a.Close()
	if d := <-res; d < 300*time.Millisecond || d > 450*time.Millisecond {
		t.Fatalf("B answered after %v; want its own 300 ms from A's leaving, not 600 ms", d)
	}
	if s.abandoned.Load() != 1 {
		t.Fatalf("abandoned %d, want 1", s.abandoned.Load())
	}
}

// After an aborted burst the next run starts clean: the queue is empty
// at once, not drained at one request per service time.
func TestAbortedBurstLeavesNoBacklog(t *testing.T) {
	t.Parallel()
	s, addr := serve(t, Config{Model: "minimal", Processing: 500 * time.Millisecond})
	var conns []net.Conn
	for i := 0; i < 200; i++ {
		conns = append(conns, rawPost(t, addr))
	}
	arrived := func() int64 { n, _, _ := s.late.Accuracy(); return n + s.gate.Inflight() }
	waitFor(t, "200 in the model", func() bool { return arrived() == 200 })
	for _, c := range conns {
		c.Close()
	}
	waitFor(t, "the queue to empty", func() bool { return s.gate.Inflight() == 0 })
	n, _, _ := s.late.Accuracy()
	if st := s.State(); st.Abandoned != 200-n || n > 20 {
		t.Fatalf("abandoned %d, processed %d; want all but the few served before the clients left", st.Abandoned, n)
	}
	if code, d := post(t, "http://"+addr+"/fake_call"); code != 200 || !onTime(d, 500*time.Millisecond) {
		t.Fatalf("the next request: %d after %v, want 200 after 500 ms", code, d)
	}
}

// Random and lr models let gone clients go too.
func TestGoneClientOtherModels(t *testing.T) {
	t.Parallel()
	m, _ := regress.ParseLR([]byte(`{"intercept":5}`), "m.json")
	for _, cfg := range []Config{{Model: "random", Processing: 10 * time.Second}, {Model: "lr", LR: m, MaxProcessing: 10 * time.Second}} {
		s, addr := serve(t, cfg)
		a := rawPost(t, addr)
		waitFor(t, cfg.Model+": A in the model", func() bool { return s.gate.Inflight() == 1 })
		a.Close()
		waitFor(t, cfg.Model+": A gone", func() bool { return s.gate.Inflight() == 0 && s.abandoned.Load() == 1 })
	}
}

// Absurd parameters are refused with one line naming the flag or file.
func TestAbsurdParametersRefused(t *testing.T) {
	t.Parallel()
	big, _ := regress.ParseLR([]byte(`{"intercept":1e10}`), "huge.json")
	never, _ := regress.ParseLR([]byte(`{"intercept":-1}`), "never.json")
	sch := func(s string) Schedule { x, _ := ParseSchedule(s); return x }
	fp := func(scale float64) FaultParams {
		return FaultParams{DetectMin: 26 * time.Second, DetectMax: 34 * time.Second, Position: 2, Reaction: time.Second, Recovery: 500 * time.Millisecond, Scale: scale}
	}
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Model: "minimal", Processing: time.Second, FaultParams: fp(math.NaN())}, "--time-scale NaN: expected a finite number > 0"},
		{Config{Model: "minimal", Processing: time.Second, FaultParams: fp(math.Inf(1))}, "--time-scale +Inf"},
		{Config{Model: "minimal", Processing: time.Second, FaultParams: fp(-1)}, "--time-scale -1"},
		{Config{Model: "minimal", Processing: 2 * time.Second, FaultParams: fp(1e300)}, "--processing 2s × --time-scale 1e+300: over 100 years"},
		{Config{Model: "minimal", Processing: -time.Second, FaultParams: fp(1)}, "--processing -1s: expected a duration >= 0"},
		{Config{Model: "minimal", Processing: time.Second, FaultParams: FaultParams{Reaction: -time.Second, Scale: 1}}, "--reaction -1s"},
		{Config{Model: "minimal", Processing: time.Second, FaultParams: FaultParams{Position: 1 << 40, Scale: 1}}, "--position"},
		{Config{Model: "minimal", Processing: time.Second, MaxInflight: -1, FaultParams: fp(1)}, "--max-inflight -1"},
		{Config{Model: "minimal", Processing: time.Second, Faults: sch("every:1ns"), FaultParams: fp(1)}, "--faults every:1ns × --time-scale 1: faults 1ns apart would make the fault loop spin"},
		{Config{Model: "minimal", Processing: time.Second, Faults: sch("mascots"), FaultParams: fp(1e-6)}, "--faults mascots × --time-scale 1e-06: faults 60µs apart"},
		{Config{Model: "minimal", Processing: time.Millisecond, Faults: sch("every:10m"), FaultParams: FaultParams{Scale: 1e10}}, "--faults every:10m0s: first fault at"},
		{Config{Model: "lr", LR: big, FaultParams: fp(1)}, "huge.json: the coefficients give times up to 1e+10 s"},
		{Config{Model: "lr", LR: never, FaultParams: fp(1)}, "never.json: the coefficients give no positive time anywhere"},
		{Config{Model: "fast", FaultParams: fp(1)}, `--model "fast"`},
	}
	for _, c := range cases {
		_, err := NewServer(c.cfg)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want one line starting %q", c.cfg, err, c.want)
		}
	}
	if _, err := NewServer(Config{Model: "minimal", Processing: time.Second, Faults: sch("mascots"), FaultParams: fp(0.001)}); err != nil {
		t.Fatalf("the demo's time scale refused: %v", err)
	}
}

// A full disk under --log and --events is reported, counted and in the
// state, and never stops the simulator.
func TestWriteErrorsReportedAndCounted(t *testing.T) {
	t.Parallel()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	var stderr bytes.Buffer
	s, addr := serve(t, Config{Model: "none", Log: full, Events: full, LogName: "ars.log", EventsName: "ev.jsonl", Stderr: &stderr,
		FaultParams: FaultParams{Scale: 0.0001}})
	s.faults.Trigger() // an event
	// the fault answers 500 until it is over: a few ms at this scale, longer
	// on a loaded machine, so wait for its end rather than guess it
	for deadline := time.Now().Add(10 * time.Second); s.faults.Faulted(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the fault did not end in 10 s")
		}
	}
	for i := 0; i < 3; i++ {
		if code, _ := post(t, "http://"+addr+"/fake_call"); code != 200 {
			t.Fatalf("answer %d with a full disk", code)
		}
	}
	s.flushLog()
	st := s.State()
	if st.EventsWriteErrors < 1 || st.LogWriteErrors < 1 || st.LogBytesLost == 0 {
		t.Fatalf("state %+v: want the failed writes counted", st)
	}
	b, _ := json.Marshal(st)
	if !strings.Contains(string(b), `"log_write_errors":`) || !strings.Contains(string(b), `"events_write_errors":`) {
		t.Fatalf("state JSON %s", b)
	}
	out := stderr.String()
	if !strings.Contains(out, "arssim: --events ev.jsonl: write failed: write /dev/full: no space left on device") ||
		!strings.Contains(out, "arssim: --log ars.log: write failed") || strings.Count(out, "\n") > 2 {
		t.Fatalf("stderr %q: want one line per output, rate-limited", out)
	}
}
