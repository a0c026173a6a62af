package fire

import (
	"math"
	"slices"
	"testing"
	"time"
)

type planned struct {
	k    int64
	at   time.Duration
	step string
}

// walk lists segment seg's arrivals before end, as the pacer takes them.
func walk(stages []rateStage, end time.Duration, seed uint64, seg Segment) []planned {
	a := newArrivals(seed)
	for _, s := range stages {
		a.add(s)
	}
	var out []planned
	for {
		t := a.next()
		if t >= end {
			return out
		}
		k := a.k
		st := a.pop()
		if seg.ownsArrival(k) {
			out = append(out, planned{k, t, st.Name})
		}
	}
}

func weighted(names ...string) *scenario {
	sc := &scenario{random: true}
	for i, n := range names {
		sc.steps = append(sc.steps, &step{})
		sc.steps[i].Name = n
		sc.cum = append(sc.cum, float64(i+1))
	}
	return sc
}

// Open-model plans of every kind (a fixed rate, Poisson, a trace's second
// by second rates with pauses, a change of scenario) split into N segments
// whose union is the unsegmented schedule: the same arrivals at the same
// plan times with the same steps, each in exactly one segment, the
// segments' counts differing by at most one.
func TestSegmentsSplitArrivalsExactly(t *testing.T) {
	sc := weighted("a", "b", "c")
	trace := []rateStage{}
	for i, r := range []float64{37.2, 41.5, 0, 0.4, 120, 3.3, 0, 250.7, 1} {
		trace = append(trace, rateStage{at: time.Duration(i) * time.Second, rate: r, sc: sc})
	}
	plans := map[string][]rateStage{
		"fixed":   {{rate: 1000, sc: sc}},
		"poisson": {{rate: 800, poisson: true, sc: sc}},
		"trace":   trace,
		"poisson trace": func() []rateStage {
			p := slices.Clone(trace)
			for i := range p {
				p[i].poisson = i%2 == 0
			}
			return p
		}(),
		"late start and a new scenario": {{at: 300 * time.Millisecond, rate: 500, sc: sc},
			{at: 1100 * time.Millisecond, rate: 500, sc: weighted("x", "y")}},
	}
	for name, stages := range plans {
		const end = 9 * time.Second
		all := walk(stages, end, 42, Segment{})
		if len(all) < 100 {
			t.Fatalf("%s: only %d arrivals", name, len(all))
		}
		for _, n := range []int{1, 2, 3, 4, 7} {
			var union []planned
			lo, hi := len(all), 0
			for i := 1; i <= n; i++ {
				part := walk(stages, end, 42, Segment{i, n})
				lo, hi = min(lo, len(part)), max(hi, len(part))
				union = append(union, part...)
			}
			slices.SortFunc(union, func(a, b planned) int { return int(a.k - b.k) })
			if !slices.Equal(union, all) {
				t.Fatalf("%s in %d segments: the union differs from the unsegmented schedule", name, n)
			}
			if hi-lo > 1 {
				t.Fatalf("%s in %d segments: shares from %d to %d arrivals", name, n, lo, hi)
			}
		}
	}
}

// The schedule's count is the plan's: a fixed rate sends exactly rate ×
// duration (the first arrival at the stage's start), rates add up across a
// trace's stages instead of restarting each second, and a pause moves the
// schedule instead of resetting it.
func TestArrivalsFollowTheRateIntegral(t *testing.T) {
	one := []rateStage{{rate: 3000, sc: weighted("a")}}
	if n := len(walk(one, time.Second, 1, Segment{})); n != 3000 {
		t.Fatalf("3000/s for 1 s: %d arrivals", n)
	}
	// 10 stages of 0.5/s each 1 s long: 5 arrivals, not 10 (one per stage)
	var slow []rateStage
	for i := 0; i < 10; i++ {
		slow = append(slow, rateStage{at: time.Duration(i) * time.Second, rate: 0.5, sc: weighted("a")})
	}
	got := walk(slow, 10*time.Second, 1, Segment{})
	if len(got) != 5 || got[1].at != 2*time.Second {
		t.Fatalf("0.5/s over 10 one-second stages: %v", got)
	}
	// 100/s for 1 s, paused 1 s, 100/s again: arrival 100 comes at 2 s
	paused := []rateStage{{rate: 100, sc: weighted("a")}, {at: time.Second}, {at: 2 * time.Second, rate: 100, sc: weighted("a")}}
	got = walk(paused, 2500*time.Millisecond, 1, Segment{})
	if len(got) != 150 || got[99].at >= time.Second || got[100].at != 2*time.Second {
		t.Fatalf("pause: %d arrivals, the 100th at %v, the 101st at %v", len(got), got[99].at, got[100].at)
	}
}

// Absurd numbers saturate instead of overflowing: a rate of 1e-11/s has its
// second arrival never, an end at 1e30 ms never comes, and no time is negative.
func TestPacingSaturates(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want time.Duration
	}{{1e30, never}, {math.Inf(1), never}, {math.NaN(), never}, {-5, 0}, {1.5, 1500 * time.Microsecond}} {
		if got := satMS(c.in); got != c.want {
			t.Errorf("satMS(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if satAdd(never, never) != never || satAdd(never-1, 5) != never {
		t.Error("satAdd overflows")
	}
	for _, poisson := range []bool{false, true} {
		a := newArrivals(1)
		a.add(rateStage{rate: 1e-11, poisson: poisson, sc: weighted("a")})
		t0 := a.next()
		a.pop()
		if t1 := a.next(); t0 != 0 || t1 != never && t1 < 1e9*time.Second {
			t.Errorf("poisson %v: arrivals at %v and %v, want 0 and never", poisson, t0, t1)
		}
	}
	if got := spawnTime(time.Second, 0, 1e9, 1e-11); got != never {
		t.Errorf("spawn of user 1e9 at 1e-11/s: %v, want never", got)
	}
}

// Closed-model users split by index: at every size of a group, the
// segments' users together are all of them, each in one segment, their
// shares differing by at most one; and groups are spread over the segments.
func TestSegmentsSplitUsersExactly(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 8} {
		for order := 0; order < 4; order++ {
			for users := 0; users < 40; users++ {
				owner := map[int]int{}
				lo, hi := users, 0
				for i := 1; i <= n; i++ {
					seg := Segment{i, n}
					count := 0
					for u := seg.firstUser(order, 0); u < users; u = seg.nextUser(u) {
						if prev, dup := owner[u]; dup {
							t.Fatalf("%d segments: user %d in segments %d and %d", n, u, prev, i)
						}
						owner[u] = i
						count++
					}
					if count != seg.users(order, users) {
						t.Fatalf("%d segments, %d users: segment %d starts %d, users() says %d", n, users, i, count, seg.users(order, users))
					}
					lo, hi = min(lo, count), max(hi, count)
				}
				if len(owner) != users || hi-lo > 1 {
					t.Fatalf("%d segments, group %d, %d users: %d owned, shares %d to %d", n, order, users, len(owner), lo, hi)
				}
			}
		}
	}
	// a range starting mid-group (a stage adding users 5…9) is split alike
	seg := Segment{2, 3}
	if u := seg.firstUser(0, 5); u != 7 {
		t.Fatalf("segment 2/3's first user from 5: %d, want 7", u)
	}
	// groups of one user each land in different segments
	if a, b := (Segment{1, 2}), (Segment{2, 2}); a.users(0, 1) != 1 || a.users(1, 1) != 0 || b.users(1, 1) != 1 {
		t.Fatal("two groups of one user both in one segment")
	}
}
