package regress

import (
	"sync/atomic"
	"time"

	"github.com/perflab/perflab/lib/clock"
)

// precise wakes every sleeping request at its model instant (one kernel
// timer for all of them; Go's timers alone are up to a millisecond late).
var precise = clock.New()

// Regression predicts the processing time from PR1 (requests in progress at
// arrival) and PR3 (requests finished while this one ran), sleeps the
// prediction, then asks the model again with the grown PR3 and sleeps the
// difference, up to the model's number of corrections.
type Regression struct {
	M     *LR
	Scale float64
	Max   time.Duration // cap on one request's time (the preset's max processing time), scaled; 0: none

	inProgress atomic.Int64
	finished   atomic.Int64
}

// Process runs the model for one request.
func (r *Regression) Process(cmd string, arrival time.Time) (time.Duration, time.Time) {
	pr1 := r.inProgress.Add(1) - 1
	defer r.inProgress.Add(-1)
	fin0 := r.finished.Load()
	f := Features{PR1: float64(pr1), Type: r.M.Types[cmd], At: arrival}
	total := r.scaled(r.M.Predict(f))
	precise.SleepUntil(arrival.Add(total))
	for i := 0; i < r.M.MaxCorrections(); i++ {
		f.PR3 = float64(r.finished.Load() - fin0)
		p := r.scaled(r.M.Predict(f))
		if p <= total {
			break
		}
		total = p
		precise.SleepUntil(arrival.Add(total))
	}
	r.finished.Add(1)
	return total, arrival.Add(total)
}

func (r *Regression) scaled(d time.Duration) time.Duration {
	if r.Scale > 0 {
		d = time.Duration(float64(d) * r.Scale)
	}
	if r.Max > 0 && d > r.Max {
		d = r.Max
	}
	return d
}
