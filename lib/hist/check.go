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
	f := s.TimeScale
	if f == 0 {
		f = 1
	}
	// a latency field is model ms rounded to 0.001: half that, in real µs
	tol := 0.5*f + 1
	toUS := func(ms float64) float64 { return ms * f * 1000 }
	clamped := func(us float64) float64 { return min(max(us, lowestUS), highestUS) }
	minUS, maxUS := toUS(s.MinMS), toUS(s.MaxMS)
	if lo, hi := float64(c.MinUS()), float64(highestEquivalent(c.MinUS())); clamped(minUS) < lo-tol || clamped(minUS) > hi+tol {
		return fmt.Errorf("min_ms %v, but its hist's lowest slot holds %v–%v ms", s.MinMS, lo/f/1000, hi/f/1000)
	}
	if lo, hi := float64(lowestEquivalent(c.MaxUS())), float64(c.MaxUS()); clamped(maxUS) < lo-tol || clamped(maxUS) > hi+tol {
		return fmt.Errorf("max_ms %v, but its hist's highest slot holds %v–%v ms", s.MaxMS, lo/f/1000, hi/f/1000)
	}
	for _, p := range []struct {
		name string
		q    float64
		v    float64
	}{{"p50_ms", 0.5, s.P50MS}, {"p90_ms", 0.9, s.P90MS}, {"p95_ms", 0.95, s.P95MS}, {"p99_ms", 0.99, s.P99MS}, {"p999_ms", 0.999, s.P999MS}} {
		if p.v == 0 && p.name == "p95_ms" {
			continue // an older record: not carried
		}
		us := toUS(p.v)
		// the library ranks by q×100/100 × count, the sparse path by q ×
		// count: they can differ by one at a float's edge
		r1, r2 := int64(p.q*float64(c.total)+0.5), int64(p.q*100/100*float64(c.total)+0.5)
		lo := float64(lowestEquivalent(c.valueAtRank(min(r1, r2))))
		hi := float64(highestEquivalent(c.valueAtRank(max(r1, r2))))
		// Acc.Stats clamps a percentile into [min, max] (values beyond the
		// histogram's range sit in its last slot, the extremes are exact)
		lo, hi = min(max(lo, minUS), maxUS), min(max(hi, minUS), maxUS)
		if us < lo-tol || us > hi+tol {
			return fmt.Errorf("%s %v, but its hist puts that percentile at %v–%v ms", p.name, p.v, lo/f/1000, hi/f/1000)
		}
	}
	for label, n := range s.Exceed {
		d, err := time.ParseDuration(label)
		thr := float64(d.Microseconds()) * f
		if err != nil || thr < lowestUS || thr >= highestUS || maxUS >= highestUS {
			continue // a label that is no duration, or values clamped across it
		}
		us := int64(thr + 0.5)
		if lo, hi := c.CountAbove(us), c.countAboveAny(us); n < lo || n > hi {
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
