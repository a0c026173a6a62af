package regress

import (
	"fmt"
	"math"

	"github.com/perflab/perflab/lib/simserver"
)

// Check refuses, naming the model, coefficients that give absurd times
// anywhere in the range of the features: times beyond a century once
// multiplied by scale (they used to wrap around to a negative
// X-Process-Time), or no positive time at all (every request would take
// 0 s). The range: PR1 and PR3 from 0 to maxRequests (0: a million), the
// type 0 or any of the model's types, any time of day and weekday. A
// prediction below 0 somewhere in it is allowed (RAST 2022's is, from
// PR1 ≈ 4 on) and gives 0.
func (m *LR) Check(name string, scale float64, maxRequests int) error {
	if maxRequests <= 0 {
		maxRequests = 1_000_000
	}
	lo, hi := m.Intercept, m.Intercept
	for i, f := range m.Features {
		a, b := m.featureRange(f, float64(maxRequests))
		c := m.Coefficients[i]
		lo += math.Min(c*a, c*b)
		hi += math.Max(c*a, c*b)
	}
	where := fmt.Sprintf("PR1 and PR3 from 0 to %d, any type, time of day and weekday", maxRequests)
	secs := hi * m.unit() / 1e9
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(hi, 0) || secs*scale > simserver.MaxModelTime.Seconds() {
		return fmt.Errorf("%s: the coefficients give times up to %.4g s (%s); × --time-scale %g that is over 100 years: expected sane coefficients",
			name, secs, where, scale)
	}
	if hi <= 0 {
		return fmt.Errorf("%s: the coefficients give no positive time anywhere (%s): every request would take 0 s", name, where)
	}
	return nil
}

// featureRange is the smallest and largest value a feature takes.
func (m *LR) featureRange(f string, maxRequests float64) (float64, float64) {
	switch f {
	case "pr1", "pr3":
		return 0, maxRequests
	case "time_of_day_s":
		return 0, 86399
	case "weekday":
		return 0, 6
	case "type":
		lo, hi := 0.0, 0.0
		for _, v := range m.Types {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		return lo, hi
	}
	return 0, 0 // zero
}
