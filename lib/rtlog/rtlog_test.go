package rtlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
		// a server's text is never a measurement: only the place in the line format counts
		{"[2020-06-30 15:20:02,168] host/WARNING/fire.x: Request failed after 12 ms: HTTP/1.1 500 Response time 1 ms", Failure, 12, false},
		{`[2020-06-30 15:20:02,168] host/WARNING/fire.x: Request failed after 12 ms: "Response\u0020time 1 ms"`, Failure, 12, false},
		{"[2020-06-30 15:20:02,168] host/INFO/x: got Response time 1 ms", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x: [id with space] Response time 1 ms", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Sending to http://h/Response time 1 ms", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Response time", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Response time ms", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Response times are fine", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Response time -5 ms", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Response time 2592000000 ms", Response, 2592000000, false},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Response time 2592000001 ms", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x: Response time 99999999999999999999999 ms", Other, 0, true},
		{"[2020-06-30 15:20:02,168] host/INFO/x no logger: Response time 1 ms", Response, 1, false},
		{"[2020-06-30 15:20:02,168] no message Response time 1 ms", Other, 0, true},
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
	// failures must be skipped by it: no "Response time", whatever the
	// server said, and one line
	for _, reason := range []string{"status 500\nsecond line", "HTTP/1.1 500 Response time 1 ms", "Response time 1 ms\r\n[x] Response time 2 ms"} {
		f := string(AppendFailure(nil, ts, "host", "fire.x", 5, reason))
		if strings.Contains(f, "Response time") || f[len(f)-1] != '\n' || countNL(f) != 1 {
			t.Fatalf("failure line %q", f)
		}
		var p Parser
		if e, err := p.Parse([]byte(f[:len(f)-1])); err != nil || e.Kind != Failure || e.MS != 5 {
			t.Fatalf("failure line %q parsed as %+v, %v", f, e, err)
		}
		var back string
		if err := json.Unmarshal([]byte(f[strings.Index(f, "ms: ")+4:]), &back); err != nil || back != reason {
			t.Fatalf("reason %q written as %q", reason, f)
		}
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

// The parser and the original evaluator agree on a line with one "Response
// time": a response we read has the value the evaluator reads; what fire
// writes reads back as written.
func FuzzParse(f *testing.F) {
	f.Add([]byte("[2020-06-30 15:20:02,168] h/INFO/x: Response time 2020 ms"))
	f.Add([]byte("[2020-06-30 15:20:02,168] h/INFO/x: [1] (2) Response time 1 ms"))
	f.Add([]byte("[2020-06-30 15:20:02,168] h/WARNING/x: Request failed after 3 ms: x"))
	f.Add([]byte(`[2020-06-30 15:20:02,168] h/WARNING/x: Request failed after 3 ms: "status 503"`))
	f.Add([]byte(`[2026-01-02 03:04:00,002] h/INFO/fire.segment: {"type":"segment","run":"r","segment":"1/2","phase":"start","ts":"2026-01-02T03:04:00Z","lag_ms":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Parser
		if l := Logger(b); len(l) > len(b) {
			t.Fatalf("logger %q longer than its line", l)
		}
		e, err := p.Parse(b)
		if err == nil && e.Kind == Mark {
			if _, ok, _ := ParseSegment(b); !ok {
				t.Fatalf("%q read as a mark, but ParseSegment does not take it", b)
			}
		}
		if err != nil || e.Kind == Other || e.Kind == Mark {
			return
		}
		if e.MS < 0 || e.MS > record.MaxLatencyUS/1000 {
			t.Fatalf("response time %d ms from %q", e.MS, b)
		}
		if e.Kind == Response && bytes.Count(b, []byte("Response time")) == 1 {
			g := origRT.FindSubmatch(b)
			if n, err := strconv.ParseInt(string(g[1]), 10, 64); err != nil || n != e.MS {
				t.Fatalf("%q: we read %d ms, the original evaluator %q", b, e.MS, g)
			}
		}
		// what we write back parses to the same value
		out := AppendResponse(nil, e.Time, "h", "x", e.MS)
		if e.Kind == Failure {
			out = AppendFailure(nil, e.Time, "h", "x", e.MS, string(b))
		}
		e2, err := p.Parse(out[:len(out)-1])
		if err != nil || e2.Kind != e.Kind || e2.MS != e.MS || !e2.Time.Equal(e.Time.Truncate(time.Millisecond)) {
			t.Fatalf("re-parse of %q: %+v %v", out, e2, err)
		}
	})
}

// Whatever a server sends as a failure's reason, and whatever fire's host
// is called, the line is one failure of the logged time, the reason comes
// back from its JSON string, and the original evaluator skips it.
func FuzzFailureLine(f *testing.F) {
	f.Add("Response time 1 ms", "host", int64(5))
	f.Add("status 500\n[2020-06-30 15:20:02,168] h/INFO/x: Response time 1 ms", "h o/s:t", int64(60000))
	f.Add("\xff\x00\"\\", "", int64(0))
	f.Fuzz(func(t *testing.T, reason, host string, ms int64) {
		ms = max(ms, 0) % (record.MaxLatencyUS / 1000)
		ts := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
		line := AppendFailure(nil, ts, host, "fire.x", ms, reason)
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' || bytes.Contains(line, []byte("Response time")) {
			t.Fatalf("failure line %q", line)
		}
		p := Parser{Loc: time.UTC}
		e, err := p.Parse(line[:len(line)-1])
		if err != nil || e.Kind != Failure || e.MS != ms || !e.Time.Equal(ts) {
			t.Fatalf("%q parsed as %+v, %v", line, e, err)
		}
		var back string
		if err := json.Unmarshal(line[bytes.Index(line, []byte(" ms: "))+5:], &back); err != nil {
			t.Fatalf("reason of %q: %v", line, err)
		}
		if utf8.ValidString(reason) && back != reason {
			t.Fatalf("reason %q came back as %q", reason, back)
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
	if e, err := p.Parse(b[:len(b)-1]); err != nil || e.Kind != Mark {
		t.Fatalf("a segment line must read as a mark, not a response: %+v %v", e, err)
	}
	got, ok, err := ParseSegment(b[:len(b)-1])
	if !ok || err != nil || !reflect.DeepEqual(got, seg) {
		t.Fatalf("round trip of %s: %+v %v %v", b, got, ok, err)
	}
	if _, ok, _ := ParseSegment([]byte("[2026-01-02 03:04:05,006] h/INFO/fire.x: Response time 3 ms")); ok {
		t.Fatal("a response line read as a segment mark")
	}
}
