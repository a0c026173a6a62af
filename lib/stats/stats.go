// Package stats turns response-time streams (Locust logs, sample records,
// statistics records) into interval and summary statistics: histo's engine.
package stats

import (
	"bufio"
	"container/heap"
	"context"
	"fmt"
	"io"
	"math"
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
}

// Input is one named stream.
type Input struct {
	Name string
	R    io.Reader
}

// item is one thing read from an input: a sample or a statistics record.
type item struct {
	t      time.Time
	us     int64
	failed bool
	rec    *record.Stats
}

// source reads items from one input, line by line, with the tools' one
// record reader.
type source struct {
	rd   *record.Reader
	p    rtlog.Parser
	cur  item
	only *rtlog.NameMatcher // nil: every request
	note func()             // says once that statistics records were left out
}

// advance reads the next item into s.cur; false at the end (see rd.Err).
func (s *source) advance() bool {
	for s.rd.Next() {
		b := s.rd.Bytes()
		switch {
		case s.rd.Type() != "":
			if it, ok := s.decodeJSON(); ok {
				s.cur = it
				return true
			}
		case b[0] == '[':
			e, perr := s.p.Parse(b)
			if perr != nil {
				s.rd.Malformed(perr)
				continue
			}
			if e.Kind == rtlog.Other || s.only != nil && !s.only.Logger(rtlog.Logger(b)) {
				continue
			}
			s.cur = item{t: e.Time, us: e.MS * 1000, failed: e.Kind == rtlog.Failure}
			return true
		}
	}
	return false
}

func (s *source) decodeJSON() (item, bool) {
	switch s.rd.Type() {
	case record.TypeSample:
		var smp record.Sample
		if !s.rd.Decode(&smp) {
			return item{}, false
		}
		if smp.TS.IsZero() {
			s.rd.Malformed(fmt.Errorf("sample record without ts"))
			return item{}, false
		}
		if s.only != nil && !s.only.Sample(smp.Name) {
			return item{}, false
		}
		return item{t: smp.TS, us: smp.LatencyUS, failed: smp.Failed()}, true
	case record.TypeInterval:
		if s.only != nil {
			s.note()
			return item{}, false
		}
		var st record.Stats
		if !s.rd.Decode(&st) {
			return item{}, false
		}
		if st.Start.IsZero() {
			s.rd.Malformed(fmt.Errorf("interval record without start"))
			return item{}, false
		}
		if st.Hist == "" && st.Count > 0 {
			s.rd.Malformed(fmt.Errorf("interval record with %d responses but no \"hist\"", st.Count))
			return item{}, false
		}
		if _, err := hist.Decode(st.Hist); st.Hist != "" && err != nil {
			s.rd.Malformed(fmt.Errorf("interval record: %v", err))
			return item{}, false
		}
		return item{t: st.Start, rec: &st}, true
	}
	// summary, verdict, step, event, plan records: derived or unrelated; skipped
	return item{}, false
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
}

// Run reads every input, writes interval records (if opts.Interval > 0) and a
// summary record to out as JSON lines, and returns the summary. Several
// inputs merge into one stream by time.
func Run(ctx context.Context, opts Options, inputs []Input, out io.Writer) (*Result, error) {
	if opts.MaxWarnings == 0 {
		opts.MaxWarnings = 20
	}
	w := bufio.NewWriterSize(out, 64*1024)
	total := hist.NewAcc(opts.Exceed...)
	total.SetScale(opts.TimeScale)
	probs := opts.Problems
	if probs == nil {
		probs = &record.Problems{Tool: "histo", W: opts.Warn, Max: opts.MaxWarnings}
	}
	var m merger
	only := rtlog.NewNameMatcher(opts.Name)
	noted := false
	note := func() {
		if !noted && opts.Warn != nil {
			fmt.Fprintf(opts.Warn, "histo: statistics records carry no request names: left out with --name\n")
		}
		noted = true
	}
	for _, in := range inputs {
		s := &source{rd: record.NewReader(ctx, in.R, in.Name, probs), only: only, note: note}
		s.p.Loc = opts.Loc
		if s.advance() {
			m = append(m, s)
		} else if err := s.rd.Err(); err != nil {
			return nil, err
		}
	}
	heap.Init(&m)
	iv := newIntervals(opts, w)
	res := &Result{Total: total}
	var werr error
	for len(m) > 0 {
		s := m[0]
		it := s.cur
		if !opts.Since.IsZero() && it.t.Before(opts.Since) {
			// warm-up: not measured
		} else if it.rec != nil {
			if err := total.AddStats(it.rec); err != nil {
				s.rd.Malformed(err)
			}
		} else {
			total.Add(it.t, it.us, it.failed)
		}
		if iv != nil && (opts.Since.IsZero() || !it.t.Before(opts.Since)) {
			iv.add(&it)
		}
		if s.advance() {
			heap.Fix(&m, 0)
		} else {
			if err := s.rd.Err(); err != nil {
				werr = err
				break
			}
			heap.Pop(&m)
		}
	}
	if iv != nil {
		if err := iv.flushAll(); err != nil && werr == nil {
			werr = err
		}
		res.Late = iv.late
	}
	total.Malformed += probs.Count()
	res.Summary = total.Stats(record.TypeSummary, true)
	if err := writeJSON(w, &res.Summary); err != nil && werr == nil {
		werr = err
	}
	if err := w.Flush(); err != nil && werr == nil {
		werr = err
	}
	return res, werr
}

func writeJSON(w *bufio.Writer, v any) error { return jsonl.Write(w, v) }

// intervals keeps a small window of open intervals so slightly out-of-order
// lines still land in their interval, and writes each one as it closes:
// memory stays flat whatever the log's length. Closed intervals are
// summarised and encoded on a second goroutine, so parsing and encoding use
// both cores.
type intervals struct {
	opts   Options
	w      *bufio.Writer
	open   map[int64]*hist.Acc
	free   chan *hist.Acc
	jobs   chan job
	done   chan struct{}
	origin time.Time // start of the first item's interval
	maxIdx int64
	closed int64 // intervals below this index are written
	window int64
	late   int64
	err    error
	any    bool
}

func newIntervals(opts Options, w *bufio.Writer) *intervals {
	if opts.Interval <= 0 {
		return nil
	}
	win := int64(5*time.Second/opts.Interval) + 1
	v := &intervals{opts: opts, w: w, open: map[int64]*hist.Acc{}, window: win,
		free: make(chan *hist.Acc, 256), jobs: make(chan job, 128), done: make(chan struct{})}
	go v.writer()
	return v
}

type job struct {
	a   *hist.Acc
	idx int64
}

func (v *intervals) writer() {
	defer close(v.done)
	for j := range v.jobs {
		a := j.a
		a.Start = v.origin.Add(time.Duration(j.idx) * v.opts.Interval).In(a.End.Location())
		a.End = a.Start.Add(v.opts.Interval)
		st := a.Stats(record.TypeInterval, !v.opts.NoHist)
		if err := writeJSON(v.w, &st); err != nil && v.err == nil {
			v.err = err
		}
		a.Reset()
		select {
		case v.free <- a:
		default:
		}
	}
}

// idx numbers t's interval from the first item's (Sub saturates instead of
// overflowing, so any year is safe).
func (v *intervals) idx(t time.Time) int64 {
	d := t.Sub(v.origin)
	i := int64(d / v.opts.Interval)
	if d < 0 && d%v.opts.Interval != 0 {
		i--
	}
	return i
}

func (v *intervals) add(it *item) error {
	if !v.any {
		v.any, v.origin = true, it.t.Truncate(v.opts.Interval)
	}
	i := v.idx(it.t)
	if i < v.closed {
		v.late++
		return nil
	}
	if i > v.maxIdx {
		v.maxIdx = i
		if limit := v.maxIdx - v.window; limit > v.closed {
			v.emitBelow(limit)
			v.closed = limit
		}
	}
	a := v.open[i]
	if a == nil {
		select {
		case a = <-v.free:
		default:
			a = hist.NewAcc(v.opts.Exceed...)
			a.SetScale(v.opts.TimeScale)
		}
		v.open[i] = a
	}
	if it.rec != nil {
		if err := a.AddStats(it.rec); err != nil {
			return nil // already warned about when totalling
		}
	} else {
		a.Add(it.t, it.us, it.failed)
	}
	return nil
}

// emitBelow writes the open intervals numbered below limit, in order. It
// walks the few open intervals, not the numbers between: a log may jump
// years ahead.
func (v *intervals) emitBelow(limit int64) {
	var ks []int64
	for k := range v.open {
		if k < limit {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	for _, k := range ks {
		v.jobs <- job{v.open[k], k}
		delete(v.open, k)
	}
}

// flushAll writes the open intervals and waits for the writer; it returns
// the first write error.
func (v *intervals) flushAll() error {
	v.emitBelow(math.MaxInt64)
	close(v.jobs)
	<-v.done
	return v.err
}
