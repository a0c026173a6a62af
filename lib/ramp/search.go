// Package ramp finds a saturation point: it steps the load up while a
// requirement holds and reports the highest level that passed (rampctl).
package ramp

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/perflab/perflab/lib/jsonl"
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
	Progress func(level, users int, left LevelsLeft)
}

// LevelsLeft is how many levels a search has still to run, the next one
// included: an estimate, or only a bound when the levels so far do not say
// where the requirement will break.
type LevelsLeft struct {
	N     int
	Bound bool // N is an upper bound, not an estimate
}

func (l LevelsLeft) String() string {
	levels := "levels"
	if l.N == 1 {
		levels = "level"
	}
	if l.Bound {
		return fmt.Sprintf("at most %d %s left", l.N, levels)
	}
	return fmt.Sprintf("~%d %s left", l.N, levels)
}

// Run searches, emitting every step in order, and returns the result.
func (s *Search) Run(ctx context.Context, m Measure, emit func(record.Step) error) (record.Result, error) {
	s.defaults()
	r := &searchRun{s: s, ctx: ctx, measure: m, emit: emit,
		res:  record.Result{Type: record.TypeResult, Search: s.Strategy},
		head: map[int]float64{0: 0}, passed: map[int]bool{}, full: map[int]bool{0: true}}
	var err error
	switch s.Strategy {
	case "linear":
		err = r.climb(s.nextLinear, false)
	case "fast", "":
		r.res.Search = "fast"
		err = r.fast()
	default:
		return r.res, fmt.Errorf("unknown search %q (fast, linear)", s.Strategy)
	}
	if err != nil {
		return r.res, err
	}
	r.res.SaturationUsers, r.res.FirstFailUsers = r.lo, r.hi
	r.res.Found = r.lo > 0 && r.hi > 0
	return r.res, nil
}

func (s *Search) defaults() {
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
}

// searchRun is the state of one search: the bracket [lo, hi] between the
// highest level that passed and the lowest that failed (0: none yet), and
// what each measured level showed.
type searchRun struct {
	s       *Search
	ctx     context.Context
	measure Measure
	emit    func(record.Step) error
	res     record.Result

	level  int             // levels measured so far (repeats count)
	lo, hi int             // the bracket
	trend  []point         // headroom measured at each level, in order
	head   map[int]float64 // headroom measured at each level (the largest of its repeats)
	passed map[int]bool    // levels that passed (quickly or not)
	full   map[int]bool    // levels that passed at full length
	// streak counts how often in a row the same end of the bracket moved
	// (last: -1 lo, +1 hi): a bent curve, where interpolation stalls.
	streak, last int
}

// try measures a level Repeat times; it passes only if every run passes.
func (r *searchRun) try(users int, quick bool) (bool, error) {
	for range r.s.Repeat {
		r.level++
		if r.s.Progress != nil {
			r.s.Progress(r.level, users, r.levelsLeft(users))
		}
		st, err := r.measure(r.ctx, users, quick)
		if err != nil {
			return false, err
		}
		r.res.Steps++
		r.head[users] = max(r.head[users], st.Headroom)
		if st.Headroom < 1e9 {
			r.trend = append(r.trend, point{users, st.Headroom})
		}
		if err := r.emit(st); err != nil {
			return false, err
		}
		if !st.Pass {
			return false, nil
		}
		if !st.EarlyPass {
			r.full[users] = true
		}
	}
	r.passed[users] = true
	return true, nil
}

// climb measures levels from Start, each the next of the last, while they
// pass (up to MaxUsers).
func (r *searchRun) climb(next func(int) int, quick bool) error {
	for n := r.s.Start; ; n = min(next(n), r.s.MaxUsers) {
		ok, err := r.try(n, quick)
		if err != nil {
			return err
		}
		if !ok {
			r.hi = n
			return nil
		}
		r.lo = n
		r.res.SaturationUsers = r.lo
		if n >= r.s.MaxUsers {
			return nil
		}
	}
}

// fast climbs geometrically with quick levels, then narrows the bracket
// until it is within the precision and its lower end passed at full length.
func (r *searchRun) fast() error {
	grow := func(n int) int { return max(int(math.Ceil(float64(n)*r.s.Growth)), n+1) }
	if err := r.climb(grow, true); err != nil {
		return err
	}
	r.res.FirstFailUsers = r.hi
	for {
		done := r.hi == 0 || r.narrow()
		switch {
		case done && !r.full[r.lo]:
			if err := r.confirm(); err != nil {
				return err
			}
		case done:
			return nil
		default:
			if err := r.probe(); err != nil {
				return err
			}
		}
	}
}

// narrow: the bracket is within the precision.
func (r *searchRun) narrow() bool {
	return r.hi > 0 && float64(r.hi-r.lo) <= math.Max(1, r.s.Precision*float64(r.lo))
}

// confirm measures the answer, a level that passed quickly, at full
// length; if it fails there, the bracket moves down to the highest level
// below it that passed.
func (r *searchRun) confirm() error {
	ok, err := r.try(r.lo, false)
	if err != nil {
		return err
	}
	if !ok {
		r.hi, r.lo = r.lo, below(r.passed, r.lo)
	}
	r.res.SaturationUsers, r.res.FirstFailUsers = r.lo, r.hi
	return nil
}

// probe measures a level inside the bracket and moves the end it lands on.
func (r *searchRun) probe() error {
	mid := next(r.lo, r.hi, r.head[r.lo], r.head[r.hi], r.s.Precision, r.streak >= 2)
	ok, err := r.try(mid, false)
	if err != nil {
		return err
	}
	side := 1
	if ok {
		r.lo, side = mid, -1
	} else {
		r.hi = mid
	}
	if side == r.last {
		r.streak++
	} else {
		r.streak, r.last = 1, side
	}
	r.res.SaturationUsers, r.res.FirstFailUsers = r.lo, r.hi
	return nil
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

// point is a level's headroom.
type point struct {
	users    int
	headroom float64
}

// levelsLeft estimates the levels still to run, next included. While the
// search climbs, the headroom of the last two levels, extrapolated, says
// where the requirement will break; when it cannot (a flat curve below the
// knee, a single level), only the bound is known: the levels up to
// MaxUsers. Once bracketed, the bisections left (pessimistically halving).
func (r *searchRun) levelsLeft(next int) LevelsLeft {
	s := r.s
	if r.hi > 0 {
		return LevelsLeft{N: (s.bisections(r.lo, r.hi) + 1) * s.Repeat}
	}
	fail, ok := r.extrapolate()
	if s.Strategy == "linear" {
		bound := (s.MaxUsers-next)/max(s.StepSize, 1) + 1
		if !ok || fail > s.MaxUsers {
			return LevelsLeft{N: bound * s.Repeat, Bound: true}
		}
		n := (fail-next+s.StepSize-1)/max(s.StepSize, 1) + 1
		return LevelsLeft{N: min(max(n, 1), bound) * s.Repeat}
	}
	// fast: climb until a level reaches the failure (or MaxUsers), then
	// bisect between it and the one below, then confirm
	limit := s.MaxUsers
	if ok {
		limit = min(fail, s.MaxUsers)
	}
	climbs, top, below := 1, next, next/2
	for top < limit && top < s.MaxUsers {
		below, top = top, min(max(int(math.Ceil(float64(top)*s.Growth)), top+1), s.MaxUsers)
		climbs++
	}
	n := climbs + s.bisections(below, top) + 1
	return LevelsLeft{N: n * s.Repeat, Bound: !ok || fail > s.MaxUsers}
}

// extrapolate says where the headroom of the last two levels measured,
// extended linearly, reaches 1 (ok false: it does not grow).
func (r *searchRun) extrapolate() (int, bool) {
	if len(r.trend) < 2 {
		return 0, false
	}
	a, b := r.trend[len(r.trend)-2], r.trend[len(r.trend)-1]
	if b.users < a.users {
		a, b = b, a
	}
	if b.headroom >= 1 { // at the limit already: the next level fails
		return b.users, true
	}
	if b.users == a.users || b.headroom <= a.headroom {
		return 0, false
	}
	x := float64(b.users) + (1-b.headroom)*float64(b.users-a.users)/(b.headroom-a.headroom)
	if x > float64(r.s.MaxUsers) {
		return r.s.MaxUsers + 1, true
	}
	return int(math.Ceil(x)), true
}

// bisections is how many halvings bring a bracket within the precision.
func (s *Search) bisections(lo, hi int) int {
	n := 0
	for float64(hi-lo) > math.Max(1, s.Precision*float64(max(lo, 1))) {
		hi = (lo + hi) / 2 // pessimistic: assume the upper half fails
		n++
	}
	return n
}

// Emit writes a record as one JSON line.
func Emit(w io.Writer, v any) error { return jsonl.Write(w, v) }
