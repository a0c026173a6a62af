package hist

import (
	"fmt"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// CheckStats reports why a statistics record contradicts its own histogram
// c (decoded from its hist): another number of responses, a minimum,
// maximum or percentile outside the histogram's slots for it, a count above
// a threshold the histogram cannot hold. s.Check must have passed. A record
// written by Acc.Stats always passes, at any time scale.
func CheckStats(s *record.Stats, c *Counts) error {
	if c.Total() != s.Count {
		return fmt.Errorf("count %d, but its hist holds %d responses", s.Count, c.Total())
	}
	if s.Count == 0 {
		return nil
	}
	k := checker{s: s, c: c, f: s.TimeScale}
	if k.f == 0 {
		k.f = 1
	}
	// a latency field is model ms rounded to 0.001: half that, in real µs
	k.tol = 0.5*k.f + 1
	k.minUS, k.maxUS = k.us(s.MinMS), k.us(s.MaxMS)
	if err := k.extremes(); err != nil {
		return err
	}
	if err := k.percentiles(); err != nil {
		return err
	}
	return k.exceed()
}

// checker holds what CheckStats compares, in real µs.
type checker struct {
	s            *record.Stats
	c            *Counts
	f, tol       float64
	minUS, maxUS float64
}

func (k *checker) us(ms float64) float64 { return ms * k.f * 1000 }

func (k *checker) ms(us float64) float64 { return us / k.f / 1000 }

// extremes: the minimum in the lowest slot, the maximum in the highest
// (values beyond the range are recorded at its ends).
func (k *checker) extremes() error {
	clamped := func(us float64) float64 { return min(max(us, lowestUS), highestUS) }
	if lo, hi := float64(k.c.MinUS()), float64(highestEquivalent(k.c.MinUS())); clamped(k.minUS) < lo-k.tol || clamped(k.minUS) > hi+k.tol {
		return fmt.Errorf("min_ms %v, but its hist's lowest slot holds %v–%v ms", k.s.MinMS, k.ms(lo), k.ms(hi))
	}
	if lo, hi := float64(lowestEquivalent(k.c.MaxUS())), float64(k.c.MaxUS()); clamped(k.maxUS) < lo-k.tol || clamped(k.maxUS) > hi+k.tol {
		return fmt.Errorf("max_ms %v, but its hist's highest slot holds %v–%v ms", k.s.MaxMS, k.ms(lo), k.ms(hi))
	}
	return nil
}

// percentiles: each in the slot its rank falls in.
func (k *checker) percentiles() error {
	s := k.s
	for _, p := range []struct {
		name string
		q    float64
		v    float64
	}{{"p50_ms", 0.5, s.P50MS}, {"p90_ms", 0.9, s.P90MS}, {"p95_ms", 0.95, s.P95MS}, {"p99_ms", 0.99, s.P99MS}, {"p999_ms", 0.999, s.P999MS}} {
		if p.v == 0 && p.name == "p95_ms" {
			continue // an older record: not carried
		}
		// the library ranks by q×100/100 × count, the sparse path by q ×
		// count: they can differ by one at a float's edge
		n := float64(k.c.total)
		r1, r2 := int64(p.q*n+0.5), int64(p.q*100/100*n+0.5)
		lo := float64(lowestEquivalent(k.c.valueAtRank(min(r1, r2))))
		hi := float64(highestEquivalent(k.c.valueAtRank(max(r1, r2))))
		// Acc.Stats clamps a percentile into [min, max] (values beyond the
		// histogram's range sit in its last slot, the extremes are exact)
		lo, hi = min(max(lo, k.minUS), k.maxUS), min(max(hi, k.minUS), k.maxUS)
		if us := k.us(p.v); us < lo-k.tol || us > hi+k.tol {
			return fmt.Errorf("%s %v, but its hist puts that percentile at %v–%v ms", p.name, p.v, k.ms(lo), k.ms(hi))
		}
	}
	return nil
}

// exceed: each count above a threshold between the slots wholly above it
// and those reaching above it.
func (k *checker) exceed() error {
	for label, n := range k.s.Exceed {
		d, err := time.ParseDuration(label)
		thr := float64(d.Microseconds()) * k.f
		if err != nil || thr < lowestUS || thr >= highestUS || k.maxUS >= highestUS {
			continue // a label that is no duration, or values clamped across it
		}
		us := int64(thr + 0.5)
		if lo, hi := k.c.CountAbove(us), k.c.countAboveAny(us); n < lo || n > hi {
			return fmt.Errorf("exceed %q: %d responses, but its hist holds %d–%d above %s", label, n, lo, hi, label)
		}
	}
	return nil
}

// lowestEquivalent is the lowest value that shares v's slot.
func lowestEquivalent(v int64) int64 {
	b := bucketIndex(v)
	return (v >> uint(b)) << uint(b)
}

// valueAtRank is the lowest value of the slot holding the r-th smallest
// value (r clamped to 1…total).
func (c *Counts) valueAtRank(r int64) int64 {
	r = min(max(r, 1), c.total)
	var cum int64
	for i, n := range c.n {
		if cum += n; cum >= r {
			return valueOfIndex(int(c.idx[i]))
		}
	}
	return valueOfIndex(int(c.idx[len(c.idx)-1]))
}
