package stats

import (
	"bufio"
	"maps"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
)

// intervals keeps a small window of open intervals so slightly out-of-order
// lines still land in their interval, and writes each one as it closes:
// memory stays flat whatever the log's length. Closed intervals are
// summarised and encoded on a second goroutine, so parsing and encoding use
// both cores; one goroutine writes everything, in a fixed order (an
// interval, then its groups by name), so the output is the same every run.
type intervals struct {
	opts   Options
	w      *bufio.Writer
	open   map[int64]*slot
	free   chan *hist.Acc
	jobs   chan job
	done   chan struct{}
	origin time.Time // start of the first item's interval
	maxIdx int64
	closed int64 // intervals below this index are written
	window int64
	late   int64
	err    error
	failed atomic.Bool // a write failed: the reader can stop
	any    bool
}

// slot is one open interval: every request's statistics, and each group's
// (--by).
type slot struct {
	all    *hist.Acc // nil until something (not only a group's record) lands here
	groups map[string]*hist.Acc
}

func newIntervals(opts Options, w *bufio.Writer) *intervals {
	if opts.Interval <= 0 {
		return nil
	}
	win := int64(5*time.Second/opts.Interval) + 1
	v := &intervals{opts: opts, w: w, open: map[int64]*slot{}, window: win,
		free: make(chan *hist.Acc, 256), jobs: make(chan job, 128), done: make(chan struct{})}
	go v.writer()
	return v
}

type job struct {
	a     *hist.Acc
	idx   int64
	group string
}

func (v *intervals) writer() {
	defer close(v.done)
	for j := range v.jobs {
		a := j.a
		a.Start = v.origin.Add(time.Duration(j.idx) * v.opts.Interval).In(a.End.Location())
		a.End = a.Start.Add(v.opts.Interval)
		st := a.Stats(record.TypeInterval, !v.opts.NoHist)
		if j.group != "" {
			st.By, st.Group = v.opts.By, j.group
		}
		if err := writeJSON(v.w, &st); err != nil && v.err == nil {
			v.err = err
			v.failed.Store(true)
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

func (v *intervals) add(it *item) {
	if !v.any {
		v.any, v.origin = true, it.t.Truncate(v.opts.Interval)
	}
	i := v.idx(it.t)
	if i < v.closed {
		v.late++
		return
	}
	if i > v.maxIdx {
		v.maxIdx = i
		if limit := v.maxIdx - v.window; limit > v.closed {
			v.emitBelow(limit)
			v.closed = limit
		}
	}
	sl := v.open[i]
	if sl == nil {
		sl = &slot{}
		v.open[i] = sl
	}
	if !it.groupOnly {
		if sl.all == nil {
			sl.all = v.acc()
		}
		it.addTo(sl.all)
	}
	if it.group != "" {
		if sl.groups == nil {
			sl.groups = map[string]*hist.Acc{}
		}
		a := sl.groups[it.group]
		if a == nil {
			a = v.acc()
			sl.groups[it.group] = a
		}
		it.addTo(a)
	}
}

// acc returns an empty accumulator, a used one if the writer gave one back.
func (v *intervals) acc() *hist.Acc {
	select {
	case a := <-v.free:
		return a
	default:
		a := hist.NewAcc(v.opts.Exceed...)
		a.SetScale(v.opts.TimeScale)
		return a
	}
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
		sl := v.open[k]
		if sl.all != nil {
			v.jobs <- job{sl.all, k, ""}
		}
		for _, g := range slices.Sorted(maps.Keys(sl.groups)) {
			v.jobs <- job{sl.groups[g], k, g}
		}
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
