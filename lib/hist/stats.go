package hist

import (
	"sync"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// Acc accumulates samples or Stats records into one Stats.
// Count, minimum, maximum, mean and the exceed counts are kept exactly, beside
// the histogram, so they match a plain count over the samples to the µs.
//
// Model time is one concept here: inside an Acc every latency is real time
// (samples as measured, records converted back by their time_scale as they
// enter), and Stats reports model time, real ÷ Scale. The histogram is
// always real microseconds, so statistics from a log and from that log's own
// records agree exactly at any scale.
type Acc struct {
	Errors     int64
	Malformed  int64
	Missed     int64
	Start, End time.Time

	// Values live in vals (sparse) until there are more than sparseMax of
	// them or a histogram is merged in; then in h (dense).
	vals         []int64
	h            *H
	dense        bool
	thresholds   []Threshold
	exceed       []int64
	minUS, maxUS int64
	sumUS        float64
	scale        float64 // model time = real ÷ scale (1: real time)
	realUS       []int64 // each threshold in real µs: its model value × scale
}

// sparseMax is how many raw values an accumulator keeps before it switches to
// a histogram: 512 KiB at most.
const sparseMax = 1 << 16

// NewAcc returns an empty accumulator that counts samples above each threshold.
func NewAcc(thresholds ...Threshold) *Acc {
	a := &Acc{thresholds: thresholds, exceed: make([]int64, len(thresholds)), minUS: -1}
	a.SetScale(1)
	return a
}

// SetScale makes Stats report model time for a simulator run at
// --time-scale f (every model duration took f times as long): latencies
// are divided by f, and the exceed thresholds are model time. f must be
// positive and finite; 0 means 1. Set it before adding anything.
func (a *Acc) SetScale(f float64) {
	if f == 0 {
		f = 1
	}
	a.scale = f
	a.realUS = make([]int64, len(a.thresholds))
	for i, t := range a.thresholds {
		a.realUS[i] = int64(float64(t.D.Microseconds())*f + 0.5)
	}
}

// Scale is the accumulator's time scale (1: real time).
func (a *Acc) Scale() float64 { return a.scale }

// Hist returns the accumulator's histogram (switching it to dense mode).
func (a *Acc) Hist() *H {
	if !a.dense {
		if a.h == nil {
			a.h = New()
		}
		for _, v := range a.vals {
			a.h.RecordUS(v)
		}
		a.vals, a.dense = a.vals[:0], true
	}
	return a.h
}

func (a *Acc) record(us int64) {
	us = min(max(us, lowestUS), highestUS)
	if a.dense {
		a.h.RecordUS(us)
		return
	}
	a.vals = append(a.vals, us)
	if len(a.vals) > sparseMax {
		a.Hist()
	}
}

func (a *Acc) addUS(us int64, n int64) {
	if a.minUS < 0 || us < a.minUS {
		a.minUS = us
	}
	if us > a.maxUS {
		a.maxUS = us
	}
	a.sumUS += float64(us) * float64(n)
}

// Add records one sample that completed at t.
func (a *Acc) Add(t time.Time, us int64, failed bool) {
	a.Span(t)
	if failed {
		a.Errors++
		return
	}
	a.record(us)
	a.addUS(us, 1)
	for i, lim := range a.realUS {
		if us > lim {
			a.exceed[i]++
		}
	}
}

// Span widens the accumulator's time span to include t.
func (a *Acc) Span(t time.Time) {
	if t.IsZero() {
		return
	}
	if a.Start.IsZero() || t.Before(a.Start) {
		a.Start = t
	}
	if t.After(a.End) {
		a.End = t
	}
}

// AddStats merges a Stats record, decoding its histogram (see AddDecoded).
func (a *Acc) AddStats(s *record.Stats) error {
	c := countsPool.Get().(*Counts)
	defer countsPool.Put(c)
	c.Reset()
	if s.Hist != "" {
		if err := c.Decode(s.Hist); err != nil {
			return err
		}
	}
	a.AddDecoded(s, c)
	return nil
}

var countsPool = sync.Pool{New: func() any { return new(Counts) }}

// AddDecoded merges a Stats record whose histogram c holds (decoded from
// s.Hist by the caller, who can check the record against it first). A
// record in model time (time_scale set) is converted back to real time as
// it enters; its exceed counts are taken as they are only when it was
// written at this accumulator's scale, else counted again from its
// histogram.
func (a *Acc) AddDecoded(s *record.Stats, c *Counts) {
	a.addCounts(c)
	f := s.TimeScale
	if f == 0 {
		f = 1
	}
	if s.Count > 0 {
		a.addUS(int64(s.MinMS*f*1000+0.5), 0)
		a.addUS(int64(s.MaxMS*f*1000+0.5), 0)
		a.sumUS += s.MeanMS * f * 1000 * float64(s.Count)
	}
	for i, t := range a.thresholds {
		if n, ok := s.Exceed[t.Label]; ok && f == a.scale {
			a.exceed[i] += n
		} else {
			a.exceed[i] += c.CountAbove(a.realUS[i])
		}
	}
	a.Errors += s.Errors
	a.Malformed += s.Malformed
	a.Missed += s.Missed
	a.Span(s.Start)
	a.Span(s.End)
}

// addCounts adds a decoded histogram: as raw values while the accumulator
// is sparse and they fit (each slot's lowest value encodes and ranks as the
// slot), else into the dense histogram.
func (a *Acc) addCounts(c *Counts) {
	if !a.dense && int64(len(a.vals))+c.total <= sparseMax {
		for i, idx := range c.idx {
			v := valueOfIndex(int(idx))
			for range c.n[i] {
				a.vals = append(a.vals, v)
			}
		}
		return
	}
	a.Hist().AddCounts(c)
}

// Reset empties the accumulator for reuse.
func (a *Acc) Reset() {
	if a.h != nil && a.dense {
		a.h.Reset()
	}
	a.vals, a.dense = a.vals[:0], false
	a.Errors, a.Malformed, a.Missed = 0, 0, 0
	a.Start, a.End = time.Time{}, time.Time{}
	a.minUS, a.maxUS, a.sumUS = -1, 0, 0
	for i := range a.exceed {
		a.exceed[i] = 0
	}
}

// Count is the number of successful samples.
func (a *Acc) Count() int64 {
	if a.dense {
		return a.h.Count()
	}
	return int64(len(a.vals))
}

// Stats summarises the accumulator as a record of type typ, in model time
// (see SetScale). Percentiles come from the histogram (3 significant
// digits); the rest is exact.
func (a *Acc) Stats(typ string, withHist bool) record.Stats {
	s := record.Stats{Type: typ, Start: a.Start, End: a.End, Count: a.Count(),
		Errors: a.Errors, Malformed: a.Malformed, Missed: a.Missed}
	if a.scale != 1 {
		s.TimeScale = a.scale
	}
	q := func(f float64) float64 { return a.ms(a.h.Quantile(f)) }
	if !a.dense {
		sortValues(a.vals)
		q = func(f float64) float64 { return a.ms(quantileSorted(a.vals, f)) }
	}
	s.P50MS, s.P90MS, s.P95MS, s.P99MS, s.P999MS = q(0.5), q(0.9), q(0.95), q(0.99), q(0.999)
	if s.Count > 0 {
		s.MinMS, s.MaxMS = a.ms(a.minUS), a.ms(a.maxUS)
		s.MeanMS = round3(a.sumUS / float64(s.Count) / 1000 / a.scale)
		// Percentiles never exceed the exact extremes, nor does the mean
		// (only float rounding of merged sums could push it out).
		for _, p := range []*float64{&s.MeanMS, &s.P50MS, &s.P90MS, &s.P95MS, &s.P99MS, &s.P999MS} {
			*p = min(max(*p, s.MinMS), s.MaxMS)
		}
	}
	if d := a.End.Sub(a.Start).Seconds(); d > 0 {
		s.RPS = round3(float64(s.Count+s.Errors) / d)
	}
	if len(a.thresholds) > 0 {
		s.Exceed = make(map[string]int64, len(a.thresholds))
		for i, t := range a.thresholds {
			s.Exceed[t.Label] = a.exceed[i]
		}
	}
	if withHist {
		if a.dense {
			s.Hist, _ = a.h.Encode()
		} else {
			s.Hist = encodeSorted(a.vals)
		}
	}
	return s
}

// ms converts real µs to model milliseconds.
func (a *Acc) ms(us int64) float64 {
	if a.scale == 1 {
		return ms(us)
	}
	return round3(float64(us) / a.scale / 1000)
}

// Threshold is a labelled latency limit, e.g. "10s".
type Threshold struct {
	Label string
	D     time.Duration
}

func round3(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}

// Merge adds everything o accumulated (o is left as it was). Both must count
// the same thresholds.
func (a *Acc) Merge(o *Acc) {
	if o.Count() > 0 {
		if a.minUS < 0 || (o.minUS >= 0 && o.minUS < a.minUS) {
			a.minUS = o.minUS
		}
		a.maxUS = max(a.maxUS, o.maxUS)
		a.sumUS += o.sumUS
	}
	if o.dense {
		a.Hist().Merge(o.h)
	} else {
		for _, v := range o.vals {
			a.record(v)
		}
	}
	a.Errors += o.Errors
	a.Malformed += o.Malformed
	a.Missed += o.Missed
	for i := range a.exceed {
		if i < len(o.exceed) {
			a.exceed[i] += o.exceed[i]
		}
	}
	a.Span(o.Start)
	a.Span(o.End)
}
