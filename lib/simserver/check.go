package simserver

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// MaxModelTime bounds every duration of a simulator's model once scaled:
// a century. Far below where a time.Duration overflows (292 years) and
// turns negative, far above any experiment.
const MaxModelTime = 100 * 365 * 24 * time.Hour

// CheckScale refuses a --time-scale that is not a finite number above 0.
func CheckScale(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return fmt.Errorf("--time-scale %s: expected a finite number > 0", strconv.FormatFloat(f, 'g', -1, 64))
	}
	return nil
}

// Scale returns d × f for the model duration set by flag, refusing a
// negative d and a product beyond MaxModelTime.
func Scale(flag string, d time.Duration, f float64) (time.Duration, error) {
	if d < 0 {
		return 0, fmt.Errorf("%s %v: expected a duration >= 0", flag, d)
	}
	x := float64(d) * f
	if math.IsNaN(x) || x > float64(MaxModelTime) {
		return 0, fmt.Errorf("%s %v × --time-scale %g: over 100 years, expected less", flag, d, f)
	}
	return time.Duration(x), nil
}

// CheckMaxInflight refuses a negative --max-inflight (0 means no bound).
func CheckMaxInflight(n int) error {
	if n < 0 {
		return fmt.Errorf("--max-inflight %d: expected a number >= 0 (0: no bound)", n)
	}
	return nil
}
