package plan

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// gen runs a generator and decodes its plan: whatever a generator writes,
// the Decoder (fire) accepts.
func gen(t testing.TB, f func(e *Encoder) error) []*record.Plan {
	t.Helper()
	var b bytes.Buffer
	if err := f(NewEncoder(&b)); err != nil {
		t.Fatal(err)
	}
	recs, err := decodeAll(t, b.String())
	if err != nil {
		t.Fatalf("generated plan does not decode: %v\n%s", err, b.String())
	}
	return recs
}

var alarmScenario = &record.Plan{Type: record.TypeScenario, Steps: []record.Request{AlarmStep}, ThinkMS: 1000}

func stages(recs []*record.Plan) (users []int, ats []float64) {
	for _, r := range recs {
		if r.Type == record.TypeStage {
			users = append(users, *r.Users)
			ats = append(ats, *r.AtMS)
		}
	}
	return users, ats
}

func TestStepsPlan(t *testing.T) {
	recs := gen(t, func(e *Encoder) error {
		return Steps(context.Background(), e, 42, alarmScenario, 1, 10, 2*time.Minute, 31)
	})
	users, ats := stages(recs)
	if !slices.Equal(users, []int{1, 11, 21, 31}) || !slices.Equal(ats, []float64{0, 120000, 240000, 360000}) {
		t.Fatalf("users %v at %v", users, ats)
	}
	if end := recs[len(recs)-1]; end.Type != record.TypeEnd || *end.AtMS != 480000 {
		t.Fatalf("end %+v", end)
	}
	// one step only: --until equal to --from
	users, _ = stages(gen(t, func(e *Encoder) error {
		return Steps(context.Background(), e, 42, alarmScenario, 5, 0, time.Minute, 5)
	}))
	if !slices.Equal(users, []int{5}) {
		t.Fatalf("one step: %v", users)
	}
}

// --until 0 ends at the limits, not never: the users reach MaxUsers, or
// the steps reach MaxDuration, whichever comes first.
func TestStepsWithoutUntilStopAtTheLimits(t *testing.T) {
	recs := gen(t, func(e *Encoder) error {
		return Steps(context.Background(), e, 1, alarmScenario, 1, 2_000_000, time.Minute, 0)
	})
	if users, _ := stages(recs); !slices.Equal(users, []int{1, 2000001, 4000001, 6000001, 8000001}) {
		t.Fatalf("users %v", users)
	}
	recs = gen(t, func(e *Encoder) error {
		return Steps(context.Background(), e, 1, alarmScenario, 1, 1, 30*365*24*time.Hour, 0)
	})
	users, ats := stages(recs)
	if len(users) != 3 || ats[2] != 2*30*365*24*3600e3 || *recs[len(recs)-1].AtMS != 90*365*24*3600e3 {
		t.Fatalf("users %v at %v, end %v", users, ats, *recs[len(recs)-1].AtMS)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Steps(ctx, NewEncoder(&bytes.Buffer{}), 1, alarmScenario, 1, 1, time.Second, 0); err != context.Canceled {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestCheckSteps(t *testing.T) {
	cases := []struct {
		from, step int
		every      time.Duration
		until      int
		want       string
	}{
		{1, 10, time.Minute, 100, ""},
		{0, 1, time.Second, 0, ""},
		{-1, 10, time.Minute, 100, "--from -1: expected 0 to 10000000 users"},
		{1, 10, time.Minute, 20_000_000, "--until 20000000: expected 0 (no limit) to 10000000"},
		{50, 10, time.Minute, 20, "--until 20: expected 0 (no limit) or at least --from 50"},
		{1, 0, time.Minute, 100, "--step 0: expected 1 to 10000000 users"},
		{1, -3, time.Minute, 0, "--step -3: expected 1 to 10000000 users"},
		{0, 0, time.Minute, 0, "--step 0: expected 1 to 10000000 users"},
		{1, 10, 0, 100, "--every 0s: expected more than 0"},
		{1, 10, -time.Second, 100, "--every -1s: expected more than 0"},
		{1, 1, 24 * time.Hour * 365, 1000, "--every 8760h0m0s: 1000 steps would last 31536000000 s, longer than a plan may (876000h0m0s)"},
	}
	for _, c := range cases {
		err := CheckSteps(c.from, c.step, c.every, c.until)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c, err, c.want)
		}
	}
}

func TestClosedAndOpenEndOnlyWithADuration(t *testing.T) {
	recs := gen(t, func(e *Encoder) error { return Closed(e, "c", 1, alarmScenario, 3, 0, 0) })
	if len(recs) != 3 || recs[2].Type != record.TypeStage || *recs[2].Users != 3 {
		t.Fatalf("no duration: %+v", recs)
	}
	recs = gen(t, func(e *Encoder) error { return Open(e, "o", 1, alarmScenario, 2.5, true, 1500*time.Millisecond) })
	if len(recs) != 4 || *recs[2].RateRPS != 2.5 || !recs[2].Poisson || *recs[3].AtMS != 1500 {
		t.Fatalf("with a duration: %+v", recs)
	}
	// the generators leave range checks to the Encoder: nothing invalid is written
	var b bytes.Buffer
	err := Closed(NewEncoder(&b), "c", 1, alarmScenario, MaxUsers+1, 0, 0)
	if err == nil || !strings.Contains(err.Error(), "users 10000001: expected 0 to 10000000") || strings.Contains(b.String(), "stage") {
		t.Fatalf("%v: %q", err, b.String())
	}
	if err := Open(NewEncoder(&b), "o", 1, alarmScenario, 1e-11, false, 0); err == nil {
		t.Fatal("rate 1e-11 accepted")
	}
	if err := Closed(NewEncoder(&b), "c", 1, alarmScenario, 1, 0, -time.Second); err == nil {
		t.Fatal("a negative duration accepted")
	}
}

func TestHeaderCarriesTheSeed(t *testing.T) {
	for _, seed := range []int64{0, 1, -7, 1 << 62} {
		recs := gen(t, func(e *Encoder) error { return Closed(e, "c", seed, alarmScenario, 1, 0, 0) })
		if recs[0].Type != record.TypePlan || recs[0].Seed != seed || recs[0].Version != 1 || recs[0].Generator != "c" {
			t.Errorf("seed %d: header %+v", seed, recs[0])
		}
	}
}
