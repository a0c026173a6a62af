package stats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
)

// A segmented run written by hand, as fire --segment I/N would write it:
// 12 users, user u in segment u mod N + 1, each sending one request after
// another for 60 s; the last segment's users meet a slower server, so the
// segments' percentiles differ and their average is not the run's.

var segStart = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

type sent struct {
	t      time.Time
	us     int64
	failed bool
	status int
}

// segmentSends returns each segment's sends, in time order.
func segmentSends(n int) [][]sent {
	out := make([][]sent, n)
	x := uint64(7)
	for u := 0; u < 12; u++ {
		seg := u % n
		t := segStart.Add(time.Duration(u) * 37 * time.Millisecond)
		for t.Before(segStart.Add(60 * time.Second)) {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			us := int64(180_000 + x%40_000)
			if seg == n-1 {
				us = 900_000 + int64(x%300_000)
			}
			s := sent{t: t.Add(time.Duration(us) * time.Microsecond), us: us, status: 200}
			if x%97 == 0 {
				s.failed, s.status = true, 503
			}
			out[seg] = append(out[seg], s)
			t = s.t.Add(100 * time.Millisecond)
		}
	}
	for _, ss := range out {
		slices.SortFunc(ss, func(a, b sent) int { return a.t.Compare(b.t) })
	}
	return out
}

// whole is one histogram over every send of every segment.
func whole(segs [][]sent) record.Stats {
	a := hist.NewAcc()
	for _, ss := range segs {
		for _, s := range ss {
			a.Add(s.t, s.us, s.failed)
		}
	}
	return a.Stats(record.TypeSummary, true)
}

type segOpts struct {
	run      string
	lagMS    float64
	status   string // the end mark's ("": ok)
	noEnd    bool
	drop     int // sends left out after the end mark was counted (records lost)
	kind     string
	startAt  time.Time
	segLabel string // overrides "I/N"
}

func marks(o segOpts, id string, ss []sent) (start, end record.Segment) {
	start = record.Segment{Type: record.TypeSegment, Run: o.run, Segment: id, Phase: record.SegmentStart,
		TS: segStart.Add(time.Duration(o.lagMS * float64(time.Millisecond))), StartAt: o.startAt, LagMS: o.lagMS}
	end = start
	end.Phase, end.TS, end.Status = record.SegmentEnd, segStart.Add(61*time.Second), o.status
	if end.Status == "" {
		end.Status = record.SegmentOK
	}
	for _, s := range ss {
		if s.failed {
			end.Errors++
		} else {
			end.Count++
		}
	}
	return start, end
}

// segmentFile writes one segment's output: a Locust log ("log"), samples
// ("samples") or feedback ("feedback": interval records a second and a
// summary), with its start and end marks.
func segmentFile(t *testing.T, i, n int, ss []sent, o segOpts) string {
	t.Helper()
	id := record.SegmentID(i, n)
	if o.segLabel != "" {
		id = o.segLabel
	}
	if o.run == "" {
		o.run = "r1"
	}
	if o.startAt.IsZero() {
		o.startAt = segStart
	}
	start, end := marks(o, id, ss)
	ss = ss[:len(ss)-o.drop]
	var b []byte
	mark := func(m *record.Segment) {
		if o.kind == "log" {
			b, _ = rtlog.AppendSegment(b, m, "h")
			return
		}
		j, _ := json.Marshal(m)
		b = append(append(b, j...), '\n')
	}
	mark(&start)
	switch o.kind {
	case "log":
		for _, s := range ss {
			if s.failed {
				b = rtlog.AppendFailure(b, s.t, "h", "fire.alarm", (s.us+500)/1000, "status 503")
			} else {
				b = rtlog.AppendResponse(b, s.t, "h", "fire.alarm", (s.us+500)/1000)
			}
		}
	case "samples":
		for _, s := range ss {
			smp := record.Sample{Type: record.TypeSample, TS: s.t, Name: "alarm", LatencyUS: s.us, Status: s.status, Tries: 1, Run: o.run, Segment: id}
			b = smp.AppendJSON(b)
		}
	case "feedback":
		b = feedback(b, ss, o.run, id)
	}
	if !o.noEnd {
		mark(&end)
	}
	return string(b)
}

// feedback writes fire's feedback records: an interval record a second,
// then the summary.
func feedback(b []byte, ss []sent, run, id string) []byte {
	iv, total := hist.NewAcc(), hist.NewAcc()
	at := segStart
	put := func(s record.Stats) {
		s.Run, s.Segment = run, id
		j, _ := json.Marshal(&s)
		b = append(append(b, j...), '\n')
	}
	for _, s := range ss {
		for !s.t.Before(at.Add(time.Second)) {
			iv.Start, iv.End = at, at.Add(time.Second)
			put(iv.Stats(record.TypeInterval, true))
			iv.Reset()
			at = at.Add(time.Second)
		}
		iv.Add(s.t, s.us, s.failed)
		total.Add(s.t, s.us, s.failed)
	}
	iv.Start, iv.End = at, at.Add(time.Second)
	put(iv.Stats(record.TypeInterval, true))
	put(total.Stats(record.TypeSummary, true))
	return b
}

func runSegments(t *testing.T, opts Options, files ...string) *Result {
	t.Helper()
	_, res := run(t, opts, files...)
	return res
}

// Every kind of segment output merges into exactly the statistics of one
// histogram over all sends (never averaged percentiles), and a complete
// run says which segments it merged.
func TestSegmentsMergeExactly(t *testing.T) {
	segs := segmentSends(4)
	want := whole(segs)
	var p99s float64
	for _, ss := range segs {
		p99s += whole([][]sent{ss}).P99MS / 4
	}
	if math.Abs(p99s-want.P99MS) < 100 {
		t.Fatalf("the fixture's segments must differ: averaged p99 %v, merged %v", p99s, want.P99MS)
	}
	for _, kind := range []string{"log", "samples", "feedback"} {
		var files []string
		for i, ss := range segs {
			files = append(files, segmentFile(t, i+1, 4, ss, segOpts{kind: kind}))
		}
		got := runSegments(t, Options{Interval: time.Second}, files...).Summary
		if got.Complete == nil || !*got.Complete || len(got.Incomplete) != 0 || got.Run != "r1" ||
			!slices.Equal(got.Segments, []string{"1/4", "2/4", "3/4", "4/4"}) {
			t.Fatalf("%s: complete %v %q, run %q, segments %v", kind, got.Complete, got.Incomplete, got.Run, got.Segments)
		}
		w := want
		if kind == "log" { // a log holds whole milliseconds
			w = whole(roundToMS(segs))
		}
		if got.Count != w.Count || got.Errors != w.Errors || got.MinMS != w.MinMS || got.MaxMS != w.MaxMS ||
			got.P50MS != w.P50MS || got.P95MS != w.P95MS || got.P99MS != w.P99MS || got.P999MS != w.P999MS || !sameHist(t, got.Hist, w.Hist) {
			t.Errorf("%s: merged %+v\none histogram %+v", kind, got, w)
		}
		if tol := map[bool]float64{true: 0.001, false: 0}[kind == "feedback"]; math.Abs(got.MeanMS-w.MeanMS) > tol {
			t.Errorf("%s: mean %v, one histogram %v", kind, got.MeanMS, w.MeanMS) // records carry means rounded to 1 µs
		}
	}
}

func roundToMS(segs [][]sent) [][]sent {
	out := make([][]sent, len(segs))
	for i, ss := range segs {
		for _, s := range ss {
			s.us = (s.us + 500) / 1000 * 1000
			s.t = s.t.Truncate(time.Millisecond)
			out[i] = append(out[i], s)
		}
	}
	return out
}

func TestSegmentsIncomplete(t *testing.T) {
	segs := segmentSends(4)
	std := func(i int, o segOpts) string { return segmentFile(t, i, 4, segs[i-1], o) }
	cases := []struct {
		name  string
		files []string
		opts  Options
		why   []string
	}{
		{"a segment missing", []string{std(1, segOpts{kind: "log"}), std(2, segOpts{kind: "log"}), std(4, segOpts{kind: "log"})}, Options{},
			[]string{"segment 3/4 missing"}},
		{"a segment twice", []string{std(1, segOpts{kind: "log"}), std(2, segOpts{kind: "log"}), std(2, segOpts{kind: "samples"}), std(3, segOpts{kind: "log"}), std(4, segOpts{kind: "log"})}, Options{},
			[]string{"segment 2/4: merged 2 times (2 start marks)"}},
		{"a segment failed, another stopped", []string{std(1, segOpts{kind: "feedback", status: record.SegmentFailed}), std(2, segOpts{kind: "feedback"}), std(3, segOpts{kind: "feedback", status: record.SegmentStopped}), std(4, segOpts{kind: "feedback"})}, Options{},
			[]string{"segment 1/4: failed", "segment 3/4: stopped before the plan's end"}},
		{"a segment never ended", []string{std(1, segOpts{kind: "samples"}), std(2, segOpts{kind: "samples"}), std(3, segOpts{kind: "samples"}), std(4, segOpts{kind: "samples", noEnd: true})}, Options{},
			[]string{"segment 4/4: never ended (no end mark)"}},
		{"a segment started late", []string{std(1, segOpts{kind: "log"}), std(2, segOpts{kind: "log", lagMS: 1500}), std(3, segOpts{kind: "log"}), std(4, segOpts{kind: "log"})}, Options{},
			[]string{"segment 2/4: started 1.5s late (at most 1s)"}},
		{"…within a wider tolerance", []string{std(1, segOpts{kind: "log"}), std(2, segOpts{kind: "log", lagMS: 1500}), std(3, segOpts{kind: "log"}), std(4, segOpts{kind: "log"})}, Options{MaxStartLag: 2 * time.Second},
			nil},
		{"records lost on the way", []string{std(1, segOpts{kind: "log", drop: 3}), std(2, segOpts{kind: "log"}), std(3, segOpts{kind: "log"}), std(4, segOpts{kind: "log"})}, Options{},
			[]string{fmt.Sprintf("segment 1/4: its end mark counts %d responses and %d errors, its records %d and %d", count(segs[0], false), count(segs[0], true), count(segs[0][:len(segs[0])-3], false), count(segs[0][:len(segs[0])-3], true))}},
		{"two runs", []string{std(1, segOpts{kind: "log"}), std(2, segOpts{kind: "log", run: "r2"}), std(3, segOpts{kind: "log"}), std(4, segOpts{kind: "log"})}, Options{},
			[]string{`records of 2 runs: "r1", "r2"`}},
		{"another common start", []string{std(1, segOpts{kind: "log"}), std(2, segOpts{kind: "log", startAt: segStart.Add(time.Hour)}), std(3, segOpts{kind: "log"}), std(4, segOpts{kind: "log"})}, Options{},
			[]string{"segment 2/4: another common start (2026-01-02T04:04:00Z, not 2026-01-02T03:04:00Z)"}},
		{"another split", []string{std(1, segOpts{kind: "log"}), std(2, segOpts{kind: "log", segLabel: "2/3"}), std(3, segOpts{kind: "log"}), std(4, segOpts{kind: "log"})}, Options{},
			[]string{"segments of different splits: 2/3, 1/4, 3/4, 4/4", "segment 1/3 missing", "segment 3/3 missing", "segment 2/4 missing"}},
		{"logs, samples and feedback of one run mix", []string{std(1, segOpts{kind: "log"}), std(2, segOpts{kind: "samples"}), std(3, segOpts{kind: "feedback"}), std(4, segOpts{kind: "log"})}, Options{},
			nil},
		{"only what --name keeps: no count check", []string{std(1, segOpts{kind: "log", drop: 3}), std(2, segOpts{kind: "log"}), std(3, segOpts{kind: "log"}), std(4, segOpts{kind: "log"})}, Options{Name: "alarm"},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runSegments(t, c.opts, c.files...).Summary
			if got.Complete == nil || *got.Complete != (len(c.why) == 0) || !slices.Equal(got.Incomplete, c.why) {
				t.Fatalf("complete %v, why %q\nwant %q", got.Complete, got.Incomplete, c.why)
			}
		})
	}
}

func count(ss []sent, failed bool) (n int) {
	for _, s := range ss {
		if s.failed == failed {
			n++
		}
	}
	return n
}

// An input that is not segmented says nothing about completeness; marks
// that cannot be marks are malformed.
func TestUnsegmentedAndBadMarks(t *testing.T) {
	log, _, _, _, _ := studyLog()
	if s := runSegments(t, Options{}, log).Summary; s.Complete != nil || s.Segments != nil {
		t.Fatalf("an unsegmented run: %+v", s)
	}
	bad := `{"type":"segment","run":"r 1","segment":"2/4","phase":"start","ts":"2026-01-02T03:04:00Z","lag_ms":0}
{"type":"segment","run":"r1","segment":"5/4","phase":"start","ts":"2026-01-02T03:04:00Z","lag_ms":0}
{"type":"segment","run":"r1","segment":"1/4","phase":"middle","ts":"2026-01-02T03:04:00Z","lag_ms":0}
{"type":"segment","run":"r1","segment":"1/4","phase":"end","ts":"2026-01-02T03:04:00Z","lag_ms":0,"status":"great"}
[2026-01-02 03:04:00,000] h/INFO/fire.segment: {"type":"segment","run":
`
	var warn bytes.Buffer
	res := runSegments(t, Options{Warn: &warn}, log+bad)
	if res.Summary.Malformed != 5 || res.Summary.Complete != nil {
		t.Fatalf("malformed %d, complete %v: %s", res.Summary.Malformed, res.Summary.Complete, warn.String())
	}
	for _, w := range []string{`in0:1202: segment mark: run "r 1"`, `in0:1203: segment mark: segment "5/4"`, `in0:1204: segment mark: phase "middle"`, `in0:1205: segment mark: status "great"`, `in0:1206: malformed segment mark: expected a segment record`} {
		if !strings.Contains(warn.String(), w) {
			t.Errorf("no warning %q in\n%s", w, warn.String())
		}
	}
}
