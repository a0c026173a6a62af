package fire

import (
	"math"
	"math/rand/v2"
	"time"
)

// never is a plan time that does not come: every duration fire computes is
// saturated at it, so an absurd plan value (a rate of 1e-11/s, an end at
// 1e30 ms) means "not within this run" instead of an overflow. It is far
// below the int64 limit, so two of them add without overflowing.
const never = time.Duration(1 << 62)

// satSeconds converts seconds to a duration, saturating at [0, never].
func satSeconds(s float64) time.Duration {
	switch {
	case !(s < float64(never)/1e9): // NaN and +Inf too
		return never
	case s <= 0:
		return 0
	}
	return time.Duration(s * 1e9)
}

// satMS converts a plan's milliseconds to a duration, saturating.
func satMS(ms float64) time.Duration { return satSeconds(ms / 1e3) }

// satAdd adds two durations of at most never, saturating at never.
func satAdd(a, b time.Duration) time.Duration {
	if b >= never-a {
		return never
	}
	return a + b
}

// rateStage is an open-model stage: from plan time at on, arrivals come at
// rate per second (poisson: with exponential gaps) and send sc's steps.
type rateStage struct {
	at      time.Duration
	rate    float64
	poisson bool
	sc      *scenario
}

// arrivals walks the open model's schedule, a pure function of the plan's
// stages and seed, so every segment of a run computes the same one.
//
// Arrival k happens when the integral of the rate since the first stage,
// Λ(t), reaches the level λ_k: λ_0 = 0 and λ_{k+1} = λ_k + 1 (fixed rate) or
// λ_k plus an Exp(1) draw (Poisson: the time-rescaling of a Poisson process,
// which stays exact across rate changes). A rate change therefore moves the
// next arrival instead of restarting the sequence, a trace's second-by-second
// rates add up to its total, and a stage of rate 0 pauses the schedule.
type arrivals struct {
	rng    *rand.Rand
	stages []rateStage // stages[0] holds the next arrival; later ones are known changes
	lam    float64     // Λ at stages[0].at
	level  float64     // λ of arrival k
	k      int64       // the next arrival's index, from 0
}

func newArrivals(seed uint64) *arrivals {
	return &arrivals{rng: rand.New(rand.NewPCG(mix(seed), 0x6f70656e /* "open" */))}
}

// add appends a stage starting at or after the last one; of two stages at
// one instant the later wins (control never commits an arrival at or after
// a stage it has not yet added, see timeline).
func (a *arrivals) add(s rateStage) {
	if n := len(a.stages); n > 0 && s.at <= a.stages[n-1].at {
		s.at = a.stages[n-1].at
		a.stages[n-1] = s
		return
	}
	a.stages = append(a.stages, s)
}

// next returns the plan time of arrival k under the stages known so far
// (never if no stage has a positive rate).
func (a *arrivals) next() time.Duration {
	for len(a.stages) > 0 {
		s := a.stages[0]
		t := never
		if s.rate > 0 {
			t = satAdd(s.at, satSeconds((a.level-a.lam)/s.rate))
		}
		if len(a.stages) > 1 && t >= a.stages[1].at {
			a.lam += s.rate * (a.stages[1].at - s.at).Seconds()
			a.stages = a.stages[1:]
			continue
		}
		return t
	}
	return never
}

// pop draws arrival k's step (call next first: it moves to k's stage) and
// moves on to arrival k+1. Every segment draws for every arrival, its own
// or not, so the draws stay the same in all of them.
func (a *arrivals) pop() *step {
	s := a.stages[0]
	var st *step
	if s.sc != nil {
		st = s.sc.pick(int(a.k), a.rng)
	}
	if s.poisson {
		a.level += a.rng.ExpFloat64()
	} else {
		a.level++
	}
	a.k++
	return st
}

// mix is SplitMix64's finaliser: seeds that differ in one bit give
// unrelated streams.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// userSeed is the seed of user idx of group, started by the group's gen-th
// users stage: the same in every segment and in an unsegmented run.
func userSeed(seed uint64, group string, idx, gen int) (uint64, uint64) {
	h := uint64(14695981039346656037) // FNV-1a of the group's name
	for i := 0; i < len(group); i++ {
		h = (h ^ uint64(group[i])) * 1099511628211
	}
	return mix(seed ^ mix(h)), mix(uint64(idx)<<20 ^ uint64(gen))
}

// Segment is this fire's share of a segmented run (fire --segment I/N): the
// I-th of N disjoint shares of the plan's users and arrivals, by index, so
// that N segments together send exactly what one fire would. The zero value
// is the whole run.
type Segment struct{ I, N int }

func (s Segment) n() int {
	if s.N < 1 {
		return 1
	}
	return s.N
}

func (s Segment) i() int { return min(max(s.I, 1), s.n()) }

// ownsArrival says whether open-model arrival k (from 0) is this segment's.
func (s Segment) ownsArrival(k int64) bool { return k%int64(s.n()) == int64(s.i()-1) }

// firstUser is the first user index at or after from that is this
// segment's, in the group that appeared order-th in the plan. User i of
// that group is segment ((i+order) mod N)+1's: the shares of every prefix
// of a group differ by at most one user, and groups of one user each are
// spread over the segments instead of all landing in the first.
func (s Segment) firstUser(order, from int) int {
	n := s.n()
	return from + ((s.i()-1-(from+order)%n)%n+n)%n
}

// nextUser is the segment's next user after i (its own).
func (s Segment) nextUser(i int) int { return i + s.n() }

// users is how many of users 0…n-1 of the group are this segment's.
func (s Segment) users(order, n int) int {
	first := s.firstUser(order, 0)
	if first >= n {
		return 0
	}
	return (n-1-first)/s.n() + 1
}

// spawnTime is when user i of a range starting at user from (started at
// plan time at, rate users per second; 0: all at once) starts.
func spawnTime(at time.Duration, from, i int, rate float64) time.Duration {
	if rate <= 0 || math.IsInf(rate, 1) {
		return at
	}
	return satAdd(at, satSeconds(float64(i-from)/rate))
}
