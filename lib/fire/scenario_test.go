package fire

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// A random-order scenario draws its steps in proportion to their weights
// (plan trace gives the production alarms their share this way).
func TestRandomOrderFollowsWeights(t *testing.T) {
	tgt, _ := ParseTarget(":1")
	sc := compile(&record.Plan{Type: record.TypeScenario, Order: "random", Steps: []record.Request{
		{Name: "a", Method: "POST", Path: "/a", Weight: 0.6},
		{Name: "b", Method: "POST", Path: "/b", Weight: 0.368},
		{Name: "alarm", Method: "POST", Path: "/alarm", Weight: 0.032},
	}}, tgt)
	rng := rand.New(rand.NewPCG(42, 1))
	n := map[string]int{}
	const draws = 200000
	for i := 0; i < draws; i++ {
		n[sc.pick(i, rng).Name]++
	}
	for name, want := range map[string]float64{"a": 0.6, "b": 0.368, "alarm": 0.032} {
		if got := float64(n[name]) / draws; math.Abs(got-want) > 0.005 {
			t.Errorf("%s drawn %.4f of the time, want %.3f", name, got, want)
		}
	}
}

func TestThinkTimeIsDrawnInItsRange(t *testing.T) {
	sc := &scenario{think: 20 * time.Second, thinkTo: 90 * time.Second}
	rng := rand.New(rand.NewPCG(42, 1))
	lo, hi, sum := time.Hour, time.Duration(0), time.Duration(0)
	for i := 0; i < 10000; i++ {
		d := sc.thinkTime(rng)
		lo, hi, sum = min(lo, d), max(hi, d), sum+d
	}
	if lo < 20*time.Second || hi > 90*time.Second || hi-lo < 69*time.Second {
		t.Fatalf("drawn from %v to %v, want the whole of 20–90 s", lo, hi)
	}
	if mean := sum / 10000; mean < 54*time.Second || mean > 56*time.Second {
		t.Fatalf("mean %v, want 55 s", mean)
	}
	if d := (&scenario{think: time.Second}).thinkTime(rng); d != time.Second {
		t.Fatalf("a fixed think became %v", d)
	}
}
