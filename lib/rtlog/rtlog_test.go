package rtlog

import (
	"errors"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
)

func TestParseVariants(t *testing.T) {
	loc := time.UTC
	ts := time.Date(2020, 6, 30, 15, 20, 2, 168e6, loc)
	cases := []struct {
		line string
		kind Kind
		ms   int64
		bad  bool
	}{
		{"[2020-06-30 15:20:02,168] Juris-MBP.fritz.box/INFO/RepeatingHttpClient: Response time 2020 ms", Response, 2020, false},
		{"[2020-06-30 15:20:02,168] host/INFO/locust: [070010] Response time 35 ms", Response, 35, false},
		{"[2020-06-30 15:20:02,168] host/INFO/locust: [070010] (a1b2-c3) Response time 31000 ms", Response, 31000, false},
		{"[2020-06-30 15:20:02,168] host/WARNING/fire.x: Request failed after 12 ms: status 500", Failure, 12, false},
		{"[2020-06-30 15:20:00,147] host/INFO/locust.runners: Hatching and swarming 1 clients at the rate 1 clients/s...", Other, 0, false},
		{"[2020-06-30 15:20:00,147] host/INFO/RepeatingHttpClient: Sending to http://localhost:1337/fake_call", Other, 0, false},
		{"", Other, 0, false},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Response time abc ms", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Response time 12", Other, 0, true},
		{"2020-06-30 15:20:02,168 host/INFO/x: Response time 12 ms", Other, 0, true},
		{"[2020-06-30 25:20:02,168] host/INFO/x: Response time 12 ms", Other, 0, true},
	}
	for _, c := range cases {
		p := Parser{Loc: loc}
		e, err := p.Parse([]byte(c.line))
		if c.bad {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%q: want a malformed-line error, got %v", c.line, err)
			}
			continue
		}
		if err != nil || e.Kind != c.kind || e.MS != c.ms {
			t.Errorf("%q: got %+v, %v; want kind %v ms %d", c.line, e, err, c.kind, c.ms)
		}
		if c.kind != Other && !e.Time.Equal(ts) {
			t.Errorf("%q: time %v, want %v", c.line, e.Time, ts)
		}
	}
}

// The original evaluator (loadtest_plotter.py) finds lines containing
// "Response time", the timestamp with a greedy `\[.*\]` parsed as
// '[%Y-%m-%d %H:%M:%S,%f]', and the value with `(?<=Response time\s)\d*`.
var (
	origTS = regexp.MustCompile(`\[.*\]`)
	origRT = regexp.MustCompile(`Response time\s(\d*)`)
)

func TestLinesReadableByOriginalEvaluator(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.Local)
	b := AppendResponse(nil, ts, "host", "fire.fake_call", 2020)
	line := string(b[:len(b)-1])
	m := origTS.FindString(line)
	if _, err := time.ParseInLocation("[2006-01-02 15:04:05,000]", m, time.Local); err != nil {
		t.Fatalf("timestamp %q not parseable the original way: %v", m, err)
	}
	if g := origRT.FindStringSubmatch(line); g == nil || g[1] != "2020" {
		t.Fatalf("response time not found the original way in %q", line)
	}
	// failures must be skipped by it: no "Response time"
	f := string(AppendFailure(nil, ts, "host", "fire.x", 5, "status 500\nsecond line"))
	if origRT.MatchString(f) || len(f) == 0 || f[len(f)-1] != '\n' || countNL(f) != 1 {
		t.Fatalf("failure line %q", f)
	}
	var p Parser
	e, err := p.Parse(b[:len(b)-1])
	if err != nil || e.MS != 2020 || !e.Time.Equal(ts) {
		t.Fatalf("own parser: %+v %v", e, err)
	}
}

func countNL(s string) (n int) {
	for _, c := range s {
		if c == '\n' {
			n++
		}
	}
	return
}

func TestLoggerAndNames(t *testing.T) {
	for line, want := range map[string]string{
		"[2020-06-30 15:20:02,168] Juris-MBP.fritz.box/INFO/RepeatingHttpClient: Response time 2020 ms": "RepeatingHttpClient",
		"[2026-01-02 03:04:05,006] vm/INFO/fire.ID__fake_call: Response time 2020 ms":                   "fire.ID__fake_call",
		"[2026-01-02 03:04:05,006] no logger here":                                                      "",
		"short": "",
	} {
		if got := string(Logger([]byte(line))); got != want {
			t.Errorf("%q: logger %q, want %q", line, got, want)
		}
	}
	m := NewNameMatcher("a b/c")
	if LoggerName("a b/c") != "a_b_c" || !m.Logger([]byte("fire.a_b_c")) || !m.Logger([]byte("a b/c")) ||
		m.Logger([]byte("fire.xa_b_c")) || !m.Sample("a b/c") || m.Sample("a_b_c") {
		t.Fatal("name matching")
	}
	if NewNameMatcher("") != nil {
		t.Fatal("an empty name must match everything (no matcher)")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[2020-06-30 15:20:02,168] h/INFO/x: Response time 2020 ms"))
	f.Add([]byte("[2020-06-30 15:20:02,168] h/INFO/x: [1] (2) Response time 1 ms"))
	f.Add([]byte("[2020-06-30 15:20:02,168] h/WARNING/x: Request failed after 3 ms: x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Parser
		if l := Logger(b); len(l) > len(b) {
			t.Fatalf("logger %q longer than its line", l)
		}
		e, err := p.Parse(b)
		if err == nil && e.Kind != Other {
			if e.MS < 0 {
				t.Fatalf("negative ms from %q", b)
			}
			// what we write back parses to the same value
			out := AppendResponse(nil, e.Time, "h", "x", e.MS)
			e2, err := p.Parse(out[:len(out)-1])
			if err != nil || e2.MS != e.MS || !e2.Time.Equal(e.Time.Truncate(time.Millisecond)) {
				t.Fatalf("re-parse of %q: %+v %v", out, e2, err)
			}
		}
	})
}

func TestSegmentLineRoundTrip(t *testing.T) {
	seg := &record.Segment{Type: record.TypeSegment, Run: "r1", Segment: "2/4", Phase: record.SegmentStart,
		TS: time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC), StartAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), LagMS: 6}
	b, err := AppendSegment(nil, seg, "host")
	if err != nil {
		t.Fatal(err)
	}
	var p Parser
	if e, err := p.Parse(b[:len(b)-1]); err != nil || e.Kind != Other {
		t.Fatalf("a segment line must not read as a response: %+v %v", e, err)
	}
	got, ok, err := ParseSegment(b[:len(b)-1])
	if !ok || err != nil || !reflect.DeepEqual(got, seg) {
		t.Fatalf("round trip of %s: %+v %v %v", b, got, ok, err)
	}
	if _, ok, _ := ParseSegment([]byte("[2026-01-02 03:04:05,006] h/INFO/fire.x: Response time 3 ms")); ok {
		t.Fatal("a response line read as a segment mark")
	}
}
