package regress

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/perflab/perflab/lib/simserver"
)

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

// Process runs the model for one request. It returns the model's time and
// completion instant, or false as soon as its client has gone (see
// simserver.Watch): the request then leaves the requests in progress at
// once and does not count as finished for the others' PR3.
func (r *Regression) Process(cmd string, arrival time.Time, w *simserver.Watch) (time.Duration, time.Time, bool) {
	pr1 := r.inProgress.Add(1) - 1
	defer r.inProgress.Add(-1)
	fin0 := r.finished.Load()
	f := Features{PR1: float64(pr1), Type: r.M.Types[cmd], At: arrival}
	total := r.scaled(r.M.Predict(f))
	if !simserver.SleepUntil(arrival.Add(total), w) {
		return 0, time.Time{}, false
	}
	for i := 0; i < r.M.MaxCorrections(); i++ {
		f.PR3 = float64(r.finished.Load() - fin0)
		p := r.scaled(r.M.Predict(f))
		if p <= total {
			break
		}
		total = p
		if !simserver.SleepUntil(arrival.Add(total), w) {
			return 0, time.Time{}, false
		}
	}
	r.finished.Add(1)
	return total, arrival.Add(total), true
}

// scaled multiplies d by the time scale, saturating rather than wrapping
// around, and caps it at Max.
func (r *Regression) scaled(d time.Duration) time.Duration {
	if r.Scale > 0 {
		if x := float64(d) * r.Scale; x < float64(math.MaxInt64) {
			d = time.Duration(x)
		} else {
			d = math.MaxInt64
		}
	}
	if r.Max > 0 && d > r.Max {
		d = r.Max
	}
	return d
}
