package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
)

// genLog produces n Locust response lines, 100 a second, as they are read:
// it counts what was read, so a test can tell the reading stopped.
type genLog struct {
	n, i int
	t    time.Time
	buf  []byte
	read int
}

func (g *genLog) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i < g.n {
		g.t = g.t.Add(10 * time.Millisecond)
		g.buf = rtlog.AppendResponse(g.buf, g.t, "h", "x", int64(2000+g.i%500))
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	g.read += n
	return n, nil
}

// failingWriter fails every write after the first limit bytes, as a pipe
// whose reader went away (histo … | head -1).
type failingWriter struct{ limit, n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.limit {
		return 0, fmt.Errorf("write stdout: %w", syscall.EPIPE)
	}
	w.n += len(p)
	return len(p), nil
}

// A closed output stops the reading (a 2 GB log is not parsed for nobody),
// and Run still returns what it read, with the write error.
func TestClosedOutputStopsTheReading(t *testing.T) {
	g := &genLog{n: 2_000_000, t: time.Date(2020, 6, 30, 15, 20, 0, 0, time.UTC)}
	res, err := Run(context.Background(), Options{Interval: time.Second, Loc: time.UTC}, []Input{{"big.log", g}}, &failingWriter{limit: 100})
	if !errors.Is(err, syscall.EPIPE) || res == nil {
		t.Fatalf("err %v, result %v", err, res)
	}
	if g.i == g.n || res.Summary.Count >= int64(g.n) || res.Summary.Count == 0 {
		t.Fatalf("read %d of %d lines, summary of %d: the reading did not stop", g.i, g.n, res.Summary.Count)
	}
}

// A signal (ctx cancelled) stops the reading even while blocked on a pipe
// that never ends; the intervals and the summary of what was read are
// written, and the error says it was a stop.
func TestStopWhileBlockedWritesWhatWasRead(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	type ran struct {
		res *Result
		err error
	}
	done := make(chan ran, 1)
	go func() {
		res, err := Run(ctx, Options{Interval: time.Second, Loc: time.UTC}, []Input{{"stdin", pr}}, &out)
		done <- ran{res, err}
	}()
	t0 := time.Date(2020, 6, 30, 15, 20, 0, 0, time.UTC)
	for i := 0; i < 250; i++ {
		pw.Write(rtlog.AppendResponse(nil, t0.Add(time.Duration(i)*10*time.Millisecond), "h", "x", 2000))
	}
	time.Sleep(50 * time.Millisecond) // let it read them and block again (it is correct either way)
	cancel()
	var r ran
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run still blocked 20 s after cancel")
	}
	if !errors.Is(r.err, context.Canceled) || r.res == nil || !r.res.Stopped {
		t.Fatalf("err %v, result %+v", r.err, r.res)
	}
	recs := decodeAll(t, out.String())
	last := recs[len(recs)-1]
	if last.Type != record.TypeSummary || last.Count != r.res.Summary.Count || last.Count > 250 {
		t.Fatalf("last record %+v", last)
	}
	var sum int64
	for _, rec := range recs[:len(recs)-1] {
		sum += rec.Count
	}
	if sum != last.Count {
		t.Fatalf("intervals hold %d, the summary %d", sum, last.Count)
	}
}

func TestInputWithoutALogLineOrRecord(t *testing.T) {
	for name, in := range map[string]string{
		"empty":   "",
		"blank":   "\n \r\n\t\n",
		"binary":  "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00{\x00\xff\n",
		"a shell": "#!/bin/sh\nhisto < log\n",
	} {
		_, err := Run(context.Background(), Options{RequireLines: true}, []Input{{"f.log", strings.NewReader(in)}}, io.Discard)
		if !errors.Is(err, ErrNoLines) || !strings.HasPrefix(err.Error(), "f.log: ") {
			t.Errorf("%s: err %v", name, err)
		}
	}
	_, res := run(t, Options{}, "")
	if res.Summary.Count != 0 {
		t.Fatal("without RequireLines an empty input is an empty run")
	}
}

func decodeAll(t *testing.T, s string) []record.Stats {
	t.Helper()
	var recs []record.Stats
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		var r record.Stats
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// checkOutput holds every statistics record Run wrote to what a record
// must be: it passes the checks readers apply (counts non-negative, mean
// within [min, max], percentiles in order, agreeing with its histogram).
func checkOutput(t *testing.T, out string) {
	t.Helper()
	var c hist.Counts
	for _, r := range decodeAll(t, out) {
		if err := r.Check(); err != nil {
			t.Fatalf("%s record fails its own check: %v\n%+v", r.Type, err, r)
		}
		c.Reset()
		if r.Hist != "" {
			if err := c.Decode(r.Hist); err != nil {
				t.Fatal(err)
			}
		}
		if err := hist.CheckStats(&r, &c); err != nil {
			t.Fatalf("%s record contradicts its histogram: %v\n%+v", r.Type, err, r)
		}
	}
}

// Whatever the input, what histo writes is consistent: every record passes
// the validation it applies to its own inputs.
func FuzzStats(f *testing.F) {
	log, _, _, _, _ := studyLog()
	f.Add(log[:2000])
	f.Add(`{"type":"interval","start":"2020-06-30T15:20:04Z","count":1,"hist":"x"}`)
	f.Add(`{"type":"sample","ts":"2020-06-30T15:20:02.5Z","name":"a","latency_us":1000000,"status":200,"tries":1}
{"type":"sample","ts":"2020-06-30T15:20:03.5Z","name":"a","latency_us":-5,"status":200,"tries":1}
[2020-06-30 15:20:03,000] h/WARNING/x: Request failed after 5 ms: "Response\u0020time 1 ms"`)
	f.Add(`{"type":"segment","run":"r1","segment":"1/2","phase":"start","ts":"2026-01-02T03:04:00Z","start_at":"2026-01-02T03:04:00Z","lag_ms":2}
[2026-01-02 03:04:01,000] h/INFO/fire.segment: {"type":"segment","run":"r1","segment":"2/2","phase":"start","ts":"2026-01-02T03:04:00Z","lag_ms":1}
[2026-01-02 03:04:02,000] h/INFO/fire.a: Response time 20 ms
{"type":"sample","ts":"2026-01-02T03:04:03Z","name":"a","latency_us":1000,"status":200,"tries":1,"run":"r1","segment":"1/2"}
{"type":"segment","run":"r1","segment":"1/2","phase":"end","ts":"2026-01-02T03:04:09Z","lag_ms":2,"status":"ok","count":1}`)
	a := hist.NewAcc(study...)
	for _, us := range []int64{1000, 1500000, 2020000, 31000000} {
		a.Add(time.Date(2020, 6, 30, 15, 20, 4, 0, time.UTC), us, false)
	}
	rec, _ := json.Marshal(a.Stats(record.TypeInterval, true))
	f.Add(string(rec) + "\n" + string(rec))
	a.SetScale(0.1)
	rec, _ = json.Marshal(a.Stats(record.TypeInterval, true))
	f.Add(string(rec))
	f.Fuzz(func(t *testing.T, s string) {
		for _, scale := range []float64{1, 0.1} {
			var out bytes.Buffer
			res, err := Run(context.Background(), Options{Interval: time.Second, Exceed: study, Loc: time.UTC, TimeScale: scale},
				[]Input{{"f", strings.NewReader(s)}}, &out)
			if err != nil {
				return
			}
			if res.Summary.Exceed["30s"] > res.Summary.Exceed["10s"] {
				t.Fatalf("inconsistent summary %+v", res.Summary)
			}
			if c := res.Summary.Complete; c != nil && *c != (len(res.Summary.Incomplete) == 0) {
				t.Fatalf("complete %v with reasons %q", *c, res.Summary.Incomplete)
			}
			checkOutput(t, out.String())
		}
	})
}

// A statistics record built from any numbers is either refused or merged
// into a summary that is consistent: a record that passes validation never
// yields a mean outside [min, max], percentiles out of order or negative
// counts.
func FuzzStatsRecord(f *testing.F) {
	f.Add(int64(3), int64(0), 1000.0, 1506.667, 1500.159, 2020.0, 2020.0, 2020.0, 2020.0, 0.0, int64(1_000_000), int64(1_500_000), int64(2_020_000))
	f.Add(int64(3), int64(7), 100.0, 150.667, 150.016, 202.0, 202.0, 202.0, 202.0, 0.1, int64(10_000), int64(15_000), int64(20_200))
	f.Add(int64(1), int64(-1), 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, int64(1000), int64(-1), int64(-1))
	f.Fuzz(func(t *testing.T, count, errs int64, minMS, meanMS, p50, p90, p99, p999, maxMS, scale float64, v1, v2, v3 int64) {
		h := hist.NewAcc() // sparse: a dense histogram per run makes the fuzzer crawl
		for _, v := range []int64{v1, v2, v3} {
			if v >= 0 {
				h.Add(time.Time{}, v, false)
			}
		}
		enc := h.Stats(record.TypeInterval, true).Hist
		s := record.Stats{Type: record.TypeInterval, Start: time.Date(2020, 6, 30, 15, 20, 4, 0, time.UTC),
			End: time.Date(2020, 6, 30, 15, 20, 5, 0, time.UTC), Count: count, Errors: errs, MinMS: minMS, MeanMS: meanMS,
			P50MS: p50, P90MS: p90, P99MS: p99, P999MS: p999, MaxMS: maxMS, TimeScale: scale, Hist: enc}
		line, err := json.Marshal(&s)
		if err != nil {
			return // NaN or ±Inf: not JSON
		}
		two := string(line) + "\n" + string(line) + "\n"
		var out bytes.Buffer
		res, err := Run(context.Background(), Options{Interval: time.Second, Exceed: study}, []Input{{"f", strings.NewReader(two)}}, &out)
		if err != nil {
			t.Fatal(err)
		}
		sum := res.Summary
		if res.Inputs[0].Used > 0 && (sum.Count != 2*count || sum.Errors != 2*errs) {
			t.Fatalf("merged twice: count %d errors %d, want %d, %d", sum.Count, sum.Errors, 2*count, 2*errs)
		}
		if sum.Count < 0 || sum.Errors < 0 || sum.Count > 0 && (sum.MeanMS < sum.MinMS || sum.MeanMS > sum.MaxMS) || math.IsNaN(sum.MeanMS) {
			t.Fatalf("summary %+v from %s", sum, line)
		}
		checkOutput(t, out.String())
	})
}
