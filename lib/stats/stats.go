// Package stats turns response-time streams (Locust logs, sample records,
// statistics records) into interval and summary statistics: histo's engine.
package stats

import (
	"bufio"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/jsonl"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
)

// Options configure Run.
type Options struct {
	Interval    time.Duration    // length of an interval record (0: no interval records)
	Exceed      []hist.Threshold // count responses above these
	Loc         *time.Location   // zone of Locust timestamps (default: local)
	NoHist      bool             // leave the encoded histogram out of interval records
	Warn        io.Writer        // warnings about malformed lines (when Problems is nil)
	MaxWarnings int              // warnings printed at most (the rest are counted)
	// Problems counts and reports malformed lines (nil: a new one warning on Warn).
	Problems *record.Problems
	Since    time.Time // skip samples completed before this (a warm-up)
	// TimeScale: statistics are reported in model time, real ÷ TimeScale,
	// for a run against a simulator at --time-scale F (0: 1); see hist.Acc.
	TimeScale float64
	// Name keeps only the responses of this request (a Locust line's logger
	// fire.NAME or NAME, a sample's name); statistics records, which carry
	// no names, are left out (empty: every response).
	Name string
	// By (record.ByName, record.ByStatus; empty: none) also writes the
	// statistics of each request name or status, as interval and summary
	// records carrying "by" and "group", before every request's summary.
	By string
	// MaxStartLag: a segment that started later than this against the
	// run's common start makes a segmented run incomplete (0:
	// DefaultMaxStartLag).
	MaxStartLag time.Duration
	// RequireLines makes an input without one Locust log line or JSON
	// record (empty, binary, another kind of file) an error naming it,
	// found before anything is written.
	RequireLines bool
}

// Input is one named stream.
type Input struct {
	Name string
	R    io.Reader
}

// merger yields items of several sources in time order (each source is
// assumed to be in time order already, as a log is).
type merger []*source

func (m merger) Len() int           { return len(m) }
func (m merger) Less(i, j int) bool { return m[i].cur.t.Before(m[j].cur.t) }
func (m merger) Swap(i, j int)      { m[i], m[j] = m[j], m[i] }
func (m *merger) Push(x any)        { *m = append(*m, x.(*source)) }
func (m *merger) Pop() any          { old := *m; x := old[len(old)-1]; *m = old[:len(old)-1]; return x }

// Result is what Run returns besides the records it wrote.
type Result struct {
	Summary record.Stats
	Total   *hist.Acc
	Late    int64 // samples older than already written intervals (counted in the summary only)
	// Inputs says what became of each input's lines, in the order given.
	Inputs []InputCounts
	// Stopped: ctx was cancelled (a signal) and the statistics are of what
	// was read until then.
	Stopped bool
	// Groups (Options.By): each group's summary, in the order written.
	Groups []record.Stats
}

// ErrNoLines is the error of an input without one Locust log line or JSON
// record (Options.RequireLines).
var ErrNoLines = errors.New("no Locust log line or JSON record")

// Run reads every input, writes interval records (if opts.Interval > 0) and a
// summary record to out as JSON lines, and returns the summary. Several
// inputs merge into one stream by time. The summary of a segmented run
// (segment marks, or records naming a segment) says whether it is complete
// (record.Stats.Complete).
//
// When ctx is cancelled (even while blocked reading) Run stops reading,
// writes the intervals and the summary of what was read, and returns them
// with ctx's error and Result.Stopped. A failed write (a closed pipe) stops
// the reading too: Run returns the write error, and the Result of what was
// read.
func Run(ctx context.Context, opts Options, inputs []Input, out io.Writer) (*Result, error) {
	if opts.MaxWarnings == 0 {
		opts.MaxWarnings = 20
	}
	if opts.By != "" && opts.By != record.ByName && opts.By != record.ByStatus {
		return nil, fmt.Errorf("by %q: expected %q or %q", opts.By, record.ByName, record.ByStatus)
	}
	r := &runner{opts: opts, w: bufio.NewWriterSize(out, 64*1024), total: hist.NewAcc(opts.Exceed...),
		groups: map[string]*hist.Acc{}, segs: newSegments(), probs: opts.Problems}
	r.total.SetScale(opts.TimeScale)
	if r.probs == nil {
		r.probs = &record.Problems{Tool: "histo", W: opts.Warn, Max: opts.MaxWarnings}
	}
	sources, m, rerr := r.open(ctx, inputs)
	if rerr != nil && !isStop(rerr) {
		return nil, rerr
	}
	r.iv = newIntervals(opts, r.w)
	if rerr == nil {
		rerr = r.merge(m)
	}
	res := &Result{Total: r.total, Stopped: isStop(rerr)}
	for _, s := range sources {
		res.Inputs = append(res.Inputs, s.n)
	}
	werr := r.finish(res)
	if rerr != nil {
		return res, rerr
	}
	return res, werr
}

// runner is one Run's state.
type runner struct {
	opts   Options
	w      *bufio.Writer
	total  *hist.Acc
	groups map[string]*hist.Acc // --by: each group's whole run
	segs   *segments
	iv     *intervals
	probs  *record.Problems
}

// merge takes the sources' items in time order into the statistics; it
// returns a read error (a cancellation, a --strict malformed line), or nil
// at the end of every input or when the output failed.
func (r *runner) merge(m merger) error {
	for len(m) > 0 {
		s := m[0]
		it := s.cur
		if !it.groupOnly {
			n, e := it.sends()
			r.segs.read(it.run, it.seg, n, e)
		}
		if r.opts.Since.IsZero() || !it.t.Before(r.opts.Since) { // else a warm-up: not measured
			r.add(&it)
			if r.iv != nil && r.iv.failed.Load() {
				return nil // nobody reads the output any more
			}
		}
		if s.advance() {
			heap.Fix(&m, 0)
		} else if err := s.rd.Err(); err != nil {
			return err
		} else {
			heap.Pop(&m)
		}
	}
	return nil
}

// add adds a measured item to the run, its group and its interval.
func (r *runner) add(it *item) {
	if !it.groupOnly {
		it.addTo(r.total)
	}
	if it.group != "" {
		g := r.groups[it.group]
		if g == nil {
			g = hist.NewAcc(r.opts.Exceed...)
			g.SetScale(r.opts.TimeScale)
			r.groups[it.group] = g
		}
		it.addTo(g)
	}
	if r.iv != nil {
		r.iv.add(it)
	}
}

// open makes a source of each input and reads its first item, so an input
// that has nothing to read is known before anything is written.
func (r *runner) open(ctx context.Context, inputs []Input) ([]*source, merger, error) {
	opts, probs := r.opts, r.probs
	only := rtlog.NewNameMatcher(opts.Name)
	noted := map[string]bool{}
	note := func(msg string) {
		if !noted[msg] && opts.Warn != nil {
			fmt.Fprintln(opts.Warn, msg)
		}
		noted[msg] = true
	}
	var groups *grouper
	if opts.By != "" {
		groups = &grouper{By: opts.By, names: map[string]string{}, note: note}
	}
	var sources []*source
	var m merger
	var empty []string  // inputs with no line at all
	var noLines error   // the first input without a recognised line
	unreadable := false // an input has lines, none recognised
	for _, in := range inputs {
		s := &source{rd: record.NewReader(ctx, in.R, in.Name, probs), only: only, note: note, groups: groups,
			segs: r.segs, n: InputCounts{Name: in.Name}}
		s.p.Loc = opts.Loc
		sources = append(sources, s)
		malformed := probs.Count()
		if s.advance() {
			m = append(m, s)
			continue
		}
		if err := s.rd.Err(); err != nil {
			return sources, m, err
		}
		if malformed = probs.Count() - malformed; opts.RequireLines && s.n.Recognised() == 0 {
			what := "empty"
			if n := s.n.Unrecognised + malformed; n > 0 {
				what, unreadable = fmt.Sprintf("%d lines, %d of them malformed", n, malformed), true
			} else {
				empty = append(empty, in.Name)
			}
			if noLines == nil {
				noLines = fmt.Errorf("%s: %w (%s)", in.Name, ErrNoLines, what)
			}
		}
	}
	// An empty input beside segments is a segment that wrote nothing (one
	// killed before its start mark): the run is incomplete, not unreadable.
	if noLines != nil && (unreadable || !r.segs.segmented()) {
		return sources, m, noLines
	}
	for _, name := range empty {
		note(fmt.Sprintf("histo: warning: %s: empty: counted as a segment that wrote nothing", name))
	}
	r.segs.empty = empty
	heap.Init(&m)
	return sources, m, nil
}

// finish writes the open intervals, the groups' summaries (by name) and
// every request's summary, last, which says whether a segmented run is
// complete; it returns the first write error.
func (r *runner) finish(res *Result) error {
	var werr error
	if r.iv != nil {
		werr = r.iv.flushAll()
		res.Late = r.iv.late
	}
	for _, g := range slices.Sorted(maps.Keys(r.groups)) {
		st := r.groups[g].Stats(record.TypeSummary, true)
		st.By, st.Group = r.opts.By, g
		res.Groups = append(res.Groups, st)
		if werr == nil {
			werr = writeJSON(r.w, &st)
		}
	}
	r.total.Malformed += r.probs.Count()
	res.Summary = r.total.Stats(record.TypeSummary, true)
	r.segs.judge(&res.Summary, CompletenessOptions{MaxStartLag: r.opts.MaxStartLag,
		CheckCounts: r.opts.Name == "" && r.opts.Since.IsZero()}, res.Stopped)
	if werr == nil {
		werr = writeJSON(r.w, &res.Summary)
	}
	if err := r.w.Flush(); werr == nil {
		werr = err
	}
	return werr
}

// isStop reports whether err is a cancellation (a signal), not a failure.
func isStop(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func writeJSON(w *bufio.Writer, v any) error { return jsonl.Write(w, v) }
