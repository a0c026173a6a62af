package ramp

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/perflab/perflab/lib/record"
)

// a system that passes up to cap users
func fake(cap int, seen *[]int) Measure {
	return func(_ context.Context, users int, _ bool) (record.Step, error) {
		*seen = append(*seen, users)
		return record.Step{Type: record.TypeStep, Users: users, Pass: users <= cap}, nil
	}
}

func TestFastSearchFindsCapacityWithinPrecision(t *testing.T) {
	for _, cap := range []int{1, 7, 300, 1240, 5000} {
		var seen []int
		s := Search{Strategy: "fast", Start: 10, Growth: 2, Precision: 0.05, MaxUsers: 100000}
		res, err := s.Run(context.Background(), fake(cap, &seen), func(record.Step) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if res.SaturationUsers > cap || res.FirstFailUsers <= cap {
			t.Fatalf("cap %d: saturation %d, first fail %d", cap, res.SaturationUsers, res.FirstFailUsers)
		}
		if res.SaturationUsers > 0 && float64(res.FirstFailUsers-res.SaturationUsers) > 0.05*float64(res.SaturationUsers)+1 {
			t.Fatalf("cap %d: bracket %d..%d wider than 5%%", cap, res.SaturationUsers, res.FirstFailUsers)
		}
		if cap == 300 && len(seen) > 12 {
			t.Fatalf("cap 300 took %d levels: %v", len(seen), seen)
		}
	}
}

func TestLinearIsTheStudysSequence(t *testing.T) {
	var seen []int
	s := Search{Strategy: "linear", Start: 1, StepSize: 10, MaxUsers: 1000}
	res, _ := s.Run(context.Background(), fake(35, &seen), func(record.Step) error { return nil })
	want := []int{1, 10, 20, 30, 40}
	if len(seen) != len(want) {
		t.Fatalf("levels %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("levels %v, want %v", seen, want)
		}
	}
	if !res.Found || res.SaturationUsers != 30 || res.FirstFailUsers != 40 {
		t.Fatalf("%+v", res)
	}
}

func TestNoSaturationUpToMax(t *testing.T) {
	var seen []int
	s := Search{Strategy: "fast", Start: 10, Growth: 2, Precision: 0.05, MaxUsers: 100}
	res, _ := s.Run(context.Background(), fake(1000, &seen), func(record.Step) error { return nil })
	if res.Found || res.SaturationUsers != 100 || res.FirstFailUsers != 0 || seen[len(seen)-1] != 100 {
		t.Fatalf("%+v after %v", res, seen)
	}
}

func TestRepeatFailsIfAnyRunFails(t *testing.T) {
	calls := 0
	m := func(_ context.Context, users int, _ bool) (record.Step, error) {
		calls++
		return record.Step{Users: users, Pass: users < 20 || (users < 40 && calls%2 == 1)}, nil
	}
	s := Search{Strategy: "linear", Start: 10, StepSize: 10, MaxUsers: 100, Repeat: 2}
	res, _ := s.Run(context.Background(), m, func(record.Step) error { return nil })
	if res.SaturationUsers != 10 || res.FirstFailUsers != 20 {
		t.Fatalf("%+v", res)
	}
}

// With headroom reported, the bracket is cut where it crosses 1, not in half:
// a closed system's latency grows linearly past its knee.
func TestFastSearchInterpolates(t *testing.T) {
	var seen []int
	m := func(_ context.Context, users int, _ bool) (record.Step, error) {
		seen = append(seen, users)
		h := math.Max(0.2, float64(users)/300) // the acceptance system: knee at 100, limit at 300
		return record.Step{Users: users, Pass: h <= 1, Headroom: h}, nil
	}
	s := Search{Strategy: "fast", Start: 10, Precision: 0.05, MaxUsers: 100000}
	res, _ := s.Run(context.Background(), m, func(record.Step) error { return nil })
	if res.SaturationUsers < 285 || res.SaturationUsers > 300 || res.FirstFailUsers <= 300 {
		t.Fatalf("%+v after %v", res, seen)
	}
	if len(seen) > 6 {
		t.Fatalf("%d levels (%v): interpolation should need at most 6", len(seen), seen)
	}
}

// The climb may pass levels quickly; the level reported as the saturation
// point is always one that passed at full length.
func TestQuickClimbConfirmsTheAnswer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cap      int // passes at full length up to cap
		quickCap int // passes quickly up to quickCap (a level that looks fine early)
		max      int
		wantLo   int
		wantHi   int
	}{
		{"answer found by bisection", 300, 300, 100000, -1, -1},
		{"a quick pass fails at full length", 35, 40, 100000, 35, 36},
		{"no failure up to the maximum", 1000, 1000, 160, 160, 0},
		{"the maximum fails at full length", 150, 1000, 160, 150, 151},
	} {
		var seen []string
		m := func(_ context.Context, users int, quick bool) (record.Step, error) {
			st := record.Step{Users: users, Pass: users <= tc.cap}
			if quick && users <= tc.quickCap {
				st.Pass, st.EarlyPass = true, true
			}
			kind := map[bool]string{true: "q", false: "f"}[st.EarlyPass]
			seen = append(seen, kind+strconv.Itoa(users))
			return st, nil
		}
		s := Search{Strategy: "fast", Start: 10, Growth: 4, Precision: 0.01, MaxUsers: tc.max}
		var steps []record.Step
		res, err := s.Run(context.Background(), m, func(st record.Step) error { steps = append(steps, st); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if tc.wantLo < 0 { // within the precision: 300 ≤ 3 users below the first fail
			if res.SaturationUsers > tc.cap || res.FirstFailUsers <= tc.cap || res.FirstFailUsers-res.SaturationUsers > 3 {
				t.Fatalf("%s: %d..%d after %v", tc.name, res.SaturationUsers, res.FirstFailUsers, seen)
			}
		} else if res.SaturationUsers != tc.wantLo || res.FirstFailUsers != tc.wantHi {
			t.Fatalf("%s: %d..%d after %v, want %d..%d", tc.name, res.SaturationUsers, res.FirstFailUsers, seen, tc.wantLo, tc.wantHi)
		}
		confirmed := false
		for _, st := range steps {
			confirmed = confirmed || (st.Users == res.SaturationUsers && st.Pass && !st.EarlyPass)
		}
		if !confirmed {
			t.Fatalf("%s: saturation %d never passed at full length: %v", tc.name, res.SaturationUsers, seen)
		}
	}
}

// --resume reads step records: bad lines give one-line errors naming the
// file and line, never a panic.
func FuzzReadSteps(f *testing.F) {
	f.Add(`{"type":"step","users":10,"pass":true}` + "\n" + `{"type":"result"}` + "\n")
	f.Add(`{"type":"step","users":"x"}`)
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ReadSteps(strings.NewReader(s), "steps.jsonl", &record.Problems{Strict: true})
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "steps.jsonl") {
				t.Fatalf("error %q is not one line naming the file", err)
			}
			return
		}
		for u, st := range steps {
			if st.Users != u {
				t.Fatalf("step of %d users filed under %d", st.Users, u)
			}
		}
	})
}

// A crash leaves a truncated last line: --resume keeps every complete
// record and reports the one it dropped.
func TestReadStepsKeepsCompleteRecords(t *testing.T) {
	in := `{"type":"step","users":10,"pass":true}` + "\n" + `{"type":"step","users":40,"pass":false}` + "\n" + `{"type":"step","users":25,"pa`
	var warn strings.Builder
	p := &record.Problems{Tool: "rampctl", W: &warn}
	steps, err := ReadSteps(strings.NewReader(in), "run.jsonl", p)
	if err != nil || len(steps) != 2 || !steps[10].Pass || steps[40].Pass || p.Count() != 1 {
		t.Fatalf("steps %v, err %v, %d malformed", steps, err, p.Count())
	}
	if want := "rampctl: warning: run.jsonl:3: bad step record: unexpected end of JSON input\n"; warn.String() != want {
		t.Fatalf("warned %q, want %q", warn.String(), want)
	}
}

// The levels-left estimate of a linear search stays sane: a bound (the
// levels up to MaxUsers) until two levels show the headroom growing, then
// the levels to where it crosses 1, off by at most one on a straight curve.
func TestLevelsLeftLinear(t *testing.T) {
	var lefts []LevelsLeft
	m := func(_ context.Context, users int, _ bool) (record.Step, error) {
		h := float64(users) / 300
		return record.Step{Users: users, Pass: h <= 1, Headroom: h}, nil
	}
	s := Search{Strategy: "linear", Start: 1, StepSize: 10, MaxUsers: 10000,
		Progress: func(_, _ int, l LevelsLeft) { lefts = append(lefts, l) }}
	s.Run(context.Background(), m, func(record.Step) error { return nil })
	if len(lefts) != 32 { // 1, 10, 20, …, 310
		t.Fatalf("%d levels", len(lefts))
	}
	if lefts[0] != (LevelsLeft{N: 1000, Bound: true}) || lefts[1].String() != "at most 1000 levels left" {
		t.Fatalf("first levels: %v %v, want the bound", lefts[0], lefts[1])
	}
	for i, l := range lefts[2:] {
		if actual := len(lefts) - 2 - i; l.Bound || l.N < actual-1 || l.N > actual+1 {
			t.Fatalf("level %d: %v, actually %d left", i+3, l, actual)
		}
	}
}

// The fast search's estimate: never below the levels actually left when it
// is a bound, and close to them once two levels show the trend.
func TestLevelsLeftFast(t *testing.T) {
	var lefts []LevelsLeft
	m := func(_ context.Context, users int, _ bool) (record.Step, error) {
		h := math.Max(0.2, float64(users)/300)
		return record.Step{Users: users, Pass: h <= 1, Headroom: h}, nil
	}
	s := Search{Strategy: "fast", Start: 10, Precision: 0.05, MaxUsers: 100000,
		Progress: func(_, _ int, l LevelsLeft) { lefts = append(lefts, l) }}
	s.Run(context.Background(), m, func(record.Step) error { return nil })
	for i, l := range lefts {
		actual := len(lefts) - i
		if (l.Bound && l.N < actual) || l.N > 3*actual+3 || l.N > 20 {
			t.Fatalf("level %d: %v, actually %d left (all: %v)", i+1, l, actual, lefts)
		}
	}
}
