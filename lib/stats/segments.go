package stats

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// A segmented run (fire --segment I/N) is N processes, often on N machines,
// that together send what one fire would. Merging their statistics is
// exact (the histograms add); what can go wrong is which segments were
// merged: one missing, one twice, one that failed, stopped or never ended,
// one that started late, records lost on the way. segments collects the
// marks and what was read of each segment, and says whether the merged run
// is complete, and if not, why.

// DefaultMaxStartLag is how late a segment may start against the run's
// common start (fire --start-at) before the run counts as incomplete.
const DefaultMaxStartLag = time.Second

// segments is what is known of a segmented run's segments.
type segments struct {
	segs map[string]*segment // by "I/N"
	runs map[string]bool
	none int64 // sends read outside any segment, in a segmented run
	// empty: inputs that held nothing (a segment killed before it wrote a
	// line), told apart from other inputs' errors only in a segmented run
	empty []string
}

type segment struct {
	i, n          int
	starts, ends  []*record.Segment
	count, errors int64 // read: successful and failed sends
}

func newSegments() *segments {
	return &segments{segs: map[string]*segment{}, runs: map[string]bool{}}
}

// get returns the segment id ("I/N", valid), making it known.
func (g *segments) get(run, id string) *segment {
	g.runs[run] = true
	s := g.segs[id]
	if s == nil {
		i, n, _ := record.ParseSegmentID(id) // checked by the record's Check
		s = &segment{i: i, n: n}
		g.segs[id] = s
	}
	return s
}

// mark records a start or end mark (already checked).
func (g *segments) mark(m *record.Segment) {
	s := g.get(m.Run, m.Segment)
	if m.Phase == record.SegmentStart {
		s.starts = append(s.starts, m)
	} else {
		s.ends = append(s.ends, m)
	}
}

// read counts what was read of a segment ("": outside any segment).
func (g *segments) read(run, id string, count, errors int64) {
	if id == "" {
		g.none += count + errors
		return
	}
	s := g.get(run, id)
	s.count += count
	s.errors += errors
}

// segmented reports whether anything named a segment.
func (g *segments) segmented() bool { return len(g.segs) > 0 }

// CompletenessOptions say what a complete segmented run is.
type CompletenessOptions struct {
	MaxStartLag time.Duration // 0: DefaultMaxStartLag
	// CheckCounts compares each segment's end mark's counts with what was
	// read of it (not possible when only some requests are kept, --name).
	CheckCounts bool
}

// judge sets the summary's completeness fields: Complete, Incomplete (the
// reasons, in segment order) and Segments (those merged).
func (g *segments) judge(sum *record.Stats, o CompletenessOptions, stopped bool) {
	if !g.segmented() {
		return
	}
	if o.MaxStartLag == 0 {
		o.MaxStartLag = DefaultMaxStartLag
	}
	var why []string
	runs := slices.Sorted(maps.Keys(g.runs))
	if len(runs) > 1 {
		why = append(why, fmt.Sprintf("records of %d runs: %s", len(runs), strings.Join(quoteAll(runs), ", ")))
	}
	ids := slices.SortedFunc(maps.Keys(g.segs), func(a, b string) int {
		sa, sb := g.segs[a], g.segs[b]
		return cmpInts(sa.n, sb.n, sa.i, sb.i)
	})
	ns := map[int]bool{}
	for _, id := range ids {
		ns[g.segs[id].n] = true
	}
	if len(ns) > 1 {
		why = append(why, fmt.Sprintf("segments of different splits: %s", strings.Join(ids, ", ")))
	}
	why = append(why, g.missing(ns)...)
	startAt := g.startAt(ids)
	for _, id := range ids {
		why = append(why, g.segs[id].problems(id, o, startAt)...)
	}
	if g.none > 0 {
		why = append(why, fmt.Sprintf("%d sends belong to no segment", g.none))
	}
	for _, name := range g.empty {
		why = append(why, fmt.Sprintf("%s: empty (a segment that wrote nothing?)", name))
	}
	if stopped {
		why = append(why, "histo was stopped before the end of its input")
	}
	complete := len(why) == 0
	sum.Complete, sum.Incomplete, sum.Segments = &complete, why, ids
	if len(runs) == 1 {
		sum.Run = runs[0]
	}
}

// missing lists the segments of each split that nothing was read of.
func (g *segments) missing(ns map[int]bool) []string {
	var why []string
	for _, n := range slices.Sorted(maps.Keys(ns)) {
		for i := 1; i <= n; i++ {
			if g.segs[record.SegmentID(i, n)] == nil {
				why = append(why, fmt.Sprintf("segment %s missing", record.SegmentID(i, n)))
			}
		}
	}
	return why
}

// startAt is the common start the first segment (by number) names.
func (g *segments) startAt(ids []string) time.Time {
	for _, id := range ids {
		for _, m := range g.segs[id].starts {
			return m.StartAt
		}
	}
	return time.Time{}
}

// problems says what is wrong with one segment.
func (s *segment) problems(id string, o CompletenessOptions, startAt time.Time) []string {
	var why []string
	add := func(format string, a ...any) { why = append(why, "segment "+id+": "+fmt.Sprintf(format, a...)) }
	switch {
	case len(s.starts) > 1:
		add("merged %d times (%d start marks)", len(s.starts), len(s.starts))
	case len(s.starts) == 0:
		add("no start mark")
	default:
		st := s.starts[0]
		if lag := time.Duration(st.LagMS * float64(time.Millisecond)); lag > o.MaxStartLag {
			add("started %v late (at most %v)", lag.Round(time.Millisecond), o.MaxStartLag)
		}
		if !st.StartAt.Equal(startAt) {
			add("another common start (%s, not %s)", fmtTime(st.StartAt), fmtTime(startAt))
		}
	}
	switch {
	case len(s.ends) == 0:
		add("never ended (no end mark)")
	case len(s.ends) > 1:
		if len(s.starts) < 2 {
			add("%d end marks", len(s.ends))
		}
	default:
		end := s.ends[0]
		switch end.Status {
		case record.SegmentFailed:
			add("failed")
		case record.SegmentStopped:
			add("stopped before the plan's end")
		}
		if o.CheckCounts && len(s.starts) == 1 && (end.Count != s.count || end.Errors != s.errors) {
			add("its end mark counts %d responses and %d errors, its records %d and %d", end.Count, end.Errors, s.count, s.errors)
		}
	}
	return why
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func cmpInts(a1, b1, a2, b2 int) int {
	if a1 != b1 {
		return a1 - b1
	}
	return a2 - b2
}
