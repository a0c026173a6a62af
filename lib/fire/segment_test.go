package fire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
)

// A segmented run of TeaStore sessions sends what one fire sends: each
// user in exactly one segment, with the same requests in the same order
// (its draws are seeded by its global index, not by its place in a segment).
func TestSegmentsSendTheSameRequestsPerUser(t *testing.T) {
	t.Parallel()
	target := teasim(t)
	plan := planText(t, "teastore", "--users", "3", "--think", "5ms", "--seed", "9")
	whole := requestsPerUser(t, target, plan, Segment{}, 3, 20, nil)
	segs := []map[int][]string{
		requestsPerUser(t, target, plan, Segment{1, 2}, 2, 20, nil),
		requestsPerUser(t, target, plan, Segment{2, 2}, 1, 20, nil),
	}
	if !sameKeys(segs[0], 0, 2) || !sameKeys(segs[1], 1) {
		t.Fatalf("users of segment 1/2: %v, of 2/2: %v; want 0 and 2, and 1", keys(segs[0]), keys(segs[1]))
	}
	for _, seg := range segs {
		for u, reqs := range seg {
			if n := min(len(reqs), len(whole[u])); !slices.Equal(reqs[:n], whole[u][:n]) || n < 20 {
				t.Fatalf("user %d: a segment sent other requests than the whole run (%d compared)", u, n)
			}
		}
	}
}

func keys(m map[int][]string) []int {
	var k []int
	for u := range m {
		k = append(k, u)
	}
	slices.Sort(k)
	return k
}

func sameKeys(m map[int][]string, want ...int) bool { return slices.Equal(keys(m), want) }

// N segments of an open Poisson plan, started together with --start-at,
// send between them exactly the arrivals of one unsegmented run, at the
// same plan times; every record names its run and segment, and the
// segment's start and end marks open and close its outputs.
func TestSegmentsSplitAnOpenRunExactly(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	plan := `{"type":"plan","version":1,"seed":5}
{"type":"scenario","steps":[{"method":"GET","path":"/"}]}
{"type":"stage","at_ms":0,"rate_rps":900,"poisson":true}
{"type":"stage","at_ms":300,"rate_rps":0}
{"type":"stage","at_ms":400,"rate_rps":1500}
{"type":"end","at_ms":700}
`
	whole := runPlan(t, context.Background(), Config{Target: addr, JSONL: true}, plan)
	want := planTimes(t, whole.out.Bytes(), whole.sum.Start)
	const n = 3
	startAt := time.Now().Add(300 * time.Millisecond).Round(0) // a wall-clock instant, as --start-at gives
	runs := make([]*runOut, n)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := Config{Target: addr, JSONL: true, Segment: Segment{i + 1, n}, Run: "r1", StartAt: startAt}
			runs[i] = runPlan(t, context.Background(), cfg, plan)
		}()
	}
	wg.Wait()
	var got []time.Duration
	for i, r := range runs {
		if r.err != nil || r.sum.Errors+r.sum.Missed > 0 {
			t.Fatalf("segment %d: %v, %d errors, %d missed", i+1, r.err, r.sum.Errors, r.sum.Missed)
		}
		checkSegmentRecords(t, r, record.SegmentID(i+1, n), startAt)
		got = append(got, planTimes(t, r.out.Bytes(), startAt)...)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || len(want) < 500 {
		t.Fatalf("the segments sent %d arrivals, one fire %d: not the same schedule", len(got), len(want))
	}
}

// planTimes lists the samples' intended send times as plan times (µs).
func planTimes(t *testing.T, out []byte, start time.Time) []time.Duration {
	t.Helper()
	var ts []time.Duration
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var s record.Sample
		if !bytes.HasPrefix(sc.Bytes(), []byte(`{"type":"sample"`)) {
			continue // a segment mark
		}
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		ts = append(ts, s.Scheduled.Sub(start).Round(time.Microsecond))
	}
	slices.Sort(ts)
	return ts
}

// checkSegmentRecords: the samples output and the feedback open with the
// segment's start mark and close with its end mark, and every sample and
// statistics record names the run and the segment.
func checkSegmentRecords(t *testing.T, r *runOut, id string, startAt time.Time) {
	t.Helper()
	for name, out := range map[string]string{"samples": r.out.String(), "feedback": r.fb.String()} {
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		var first, last record.Segment
		json.Unmarshal([]byte(lines[0]), &first)
		json.Unmarshal([]byte(lines[len(lines)-1]), &last)
		if first.Phase != record.SegmentStart || first.Segment != id || first.Run != "r1" || !first.StartAt.Equal(startAt) || first.LagMS < 0 {
			t.Fatalf("%s of %s opens with %s", name, id, lines[0])
		}
		if last.Phase != record.SegmentEnd || last.Status != record.SegmentOK || last.Count != r.sum.Count {
			t.Fatalf("%s of %s closes with %s", name, id, lines[len(lines)-1])
		}
		for _, l := range lines[1 : len(lines)-1] {
			if !strings.Contains(l, `"run":"r1","segment":"`+id+`"`) {
				t.Fatalf("%s of %s: a record without its run and segment: %s", name, id, l)
			}
		}
	}
}

// In a Locust-format log a segment's marks are lines of the logger
// fire.segment that rtlog reads back, first and last.
func TestSegmentMarksInALocustLog(t *testing.T) {
	t.Parallel()
	addr := serve(t, ok)
	r := runPlan(t, context.Background(), Config{Target: addr, Segment: Segment{2, 3}, Run: "night1"}, openPlan("90", "300"))
	lines := strings.Split(strings.TrimSuffix(r.out.String(), "\n"), "\n")
	first, isMark, err := rtlog.ParseSegment([]byte(lines[0]))
	if err != nil || !isMark || first.Phase != record.SegmentStart || first.Segment != "2/3" || first.Run != "night1" {
		t.Fatalf("first line %q: %+v %v", lines[0], first, err)
	}
	last, isMark, err := rtlog.ParseSegment([]byte(lines[len(lines)-1]))
	if err != nil || !isMark || last.Phase != record.SegmentEnd || last.Status != record.SegmentOK || last.Count != 9 {
		t.Fatalf("last line %q: %+v %v", lines[len(lines)-1], last, err)
	}
	if n := strings.Count(r.out.String(), "Response time"); n != 9 || len(lines) != 11 {
		t.Fatalf("%d responses in %d lines, want segment 2/3's 9 of the plan's 27 between two marks", n, len(lines))
	}
}
