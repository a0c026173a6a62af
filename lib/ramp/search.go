// Package ramp finds a saturation point: it steps the load up while a
// requirement holds and reports the highest level that passed (rampctl).
package ramp

import (
	"context"
	"fmt"
	"math"

	"github.com/perflab/perflab/lib/record"
)

// FromStats fills a step from the statistics of its measured part.
func FromStats(users int, s *record.Stats) record.Step {
	st := record.Step{Type: record.TypeStep, Users: users, Start: s.Start, End: s.End, Count: s.Count, Errors: s.Errors,
		MeanMS: s.MeanMS, P50MS: s.P50MS, P99MS: s.P99MS, MaxMS: s.MaxMS, TimeScale: s.TimeScale, Hist: s.Hist}
	if d := s.End.Sub(s.Start).Seconds(); d > 0 {
		st.AchievedRPS = math.Round(float64(s.Count+s.Errors)/d*1000) / 1000
	}
	return st
}

// Measure runs one level and says whether it passed. With quick, a level
// that is clearly passing may end early (EarlyPass); the search asks for it
// only while climbing and confirms its final level at full length.
type Measure func(ctx context.Context, users int, quick bool) (record.Step, error)

// Search holds the strategy's parameters.
type Search struct {
	Strategy  string  // "fast" or "linear"
	Start     int     // first level
	StepSize  int     // linear: users added per level
	Growth    float64 // fast: factor between levels while they pass (4: a failing level ends early)
	Precision float64 // fast: stop when (first fail − last pass) ≤ Precision × last pass
	MaxUsers  int
	Repeat    int // measure each level this many times; it passes only if every run passes
	// Progress is told before each level (may be nil).
	Progress func(level, users, stepsLeft int)
}

// Run searches and returns every step (in order) and the result.
func (s *Search) Run(ctx context.Context, m Measure, emit func(record.Step) error) (record.Result, error) {
	if s.Start < 1 {
		s.Start = 1
	}
	if s.MaxUsers < s.Start {
		s.MaxUsers = s.Start
	}
	if s.Repeat < 1 {
		s.Repeat = 1
	}
	if s.Growth <= 1 {
		s.Growth = 4
	}
	res := record.Result{Type: record.TypeResult, Search: s.Strategy}
	level := 0
	head := map[int]float64{0: 0} // headroom measured at each level
	passed := map[int]bool{}      // levels that passed (quickly or not)
	full := map[int]bool{0: true} // levels that passed at full length
	try := func(users int, quick bool) (bool, error) {
		for r := 0; r < s.Repeat; r++ {
			level++
			if s.Progress != nil {
				s.Progress(level, users, s.stepsLeft(res.SaturationUsers, res.FirstFailUsers, users))
			}
			st, err := m(ctx, users, quick)
			if err != nil {
				return false, err
			}
			res.Steps++
			head[users] = max(head[users], st.Headroom)
			if err := emit(st); err != nil {
				return false, err
			}
			if !st.Pass {
				return false, nil
			}
			if !st.EarlyPass {
				full[users] = true
			}
		}
		passed[users] = true
		return true, nil
	}
	lo, hi := 0, 0
	// climb measures levels from Start, each the next of the last, while they pass.
	climb := func(next func(int) int, quick bool) error {
		for n := s.Start; ; n = min(next(n), s.MaxUsers) {
			ok, err := try(n, quick)
			if err != nil {
				return err
			}
			if !ok {
				hi = n
				return nil
			}
			lo = n
			res.SaturationUsers = lo
			if n >= s.MaxUsers {
				return nil
			}
		}
	}
	switch s.Strategy {
	case "linear":
		if err := climb(s.nextLinear, false); err != nil {
			return res, err
		}
	case "fast", "":
		res.Search = "fast"
		if err := climb(func(n int) int { return max(int(math.Ceil(float64(n)*s.Growth)), n+1) }, true); err != nil {
			return res, err
		}
		res.FirstFailUsers = hi
		streak, last := 0, 0 // how often in a row the same end moved (last: -1 lo, +1 hi)
		for {
			narrow := hi > 0 && float64(hi-lo) <= math.Max(1, s.Precision*float64(lo))
			if (hi == 0 || narrow) && !full[lo] {
				// the answer is a level that passed quickly: measure it at full length
				ok, err := try(lo, false)
				if err != nil {
					return res, err
				}
				if !ok {
					hi, lo = lo, below(passed, lo)
				}
				res.SaturationUsers, res.FirstFailUsers = lo, hi
				continue
			}
			if hi == 0 || narrow {
				break
			}
			mid := next(lo, hi, head[lo], head[hi], s.Precision, streak >= 2)
			ok, err := try(mid, false)
			if err != nil {
				return res, err
			}
			side := 1
			if ok {
				lo, side = mid, -1
			} else {
				hi = mid
			}
			if side == last {
				streak++
			} else {
				streak, last = 1, side
			}
			res.SaturationUsers, res.FirstFailUsers = lo, hi
		}
	default:
		return res, fmt.Errorf("unknown search %q (fast, linear)", s.Strategy)
	}
	res.SaturationUsers, res.FirstFailUsers = lo, hi
	res.Found = lo > 0 && hi > 0
	return res, nil
}

// below is the highest passed level under n (0: none).
func below(passed map[int]bool, n int) int {
	b := 0
	for u, ok := range passed {
		if ok && u < n && u > b {
			b = u
		}
	}
	return b
}

// next picks the level between a pass (lo) and a fail (hi): where the
// headroom, interpolated linearly, crosses 1 (regula falsi), at least half
// the precision step from either end (a fail just above lo, or a pass just
// below hi, then ends the search); the midpoint when the headrooms say
// nothing or the same end moved twice in a row (a bent curve).
func next(lo, hi int, hLo, hHi, precision float64, stuck bool) int {
	mid := (lo + hi) / 2
	if stuck || hi-lo < 4 || hHi <= hLo || hHi >= 1e9 || hLo > 1 {
		return mid
	}
	x := float64(lo) + (1-hLo)/(hHi-hLo)*float64(hi-lo)
	margin := math.Max(1, precision*float64(lo)/2)
	x = math.Min(math.Max(x, float64(lo)+margin), float64(hi)-margin)
	return int(math.Round(x))
}

func (s *Search) nextLinear(n int) int {
	if s.StepSize < 1 {
		s.StepSize = 1
	}
	// the study's sequence: 1, then 10, 20, 30, … (multiples of the step)
	return (n/s.StepSize + 1) * s.StepSize
}

// stepsLeft estimates the levels still to run (for progress).
func (s *Search) stepsLeft(lo, hi, next int) int {
	if s.Strategy == "linear" {
		return max((s.MaxUsers-next)/max(s.StepSize, 1)+1, 1) * s.Repeat
	}
	bisect := func(lo, hi int) int {
		n := 0
		for float64(hi-lo) > math.Max(1, s.Precision*float64(max(lo, 1))) {
			hi = (lo + hi) / 2 // pessimistic: assume the upper half fails
			n++
		}
		return n
	}
	if hi == 0 { // still growing: guess the next level fails
		return (1 + bisect(next/2, next)) * s.Repeat
	}
	return (bisect(lo, hi) + 1) * s.Repeat
}
