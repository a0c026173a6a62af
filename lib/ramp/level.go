package ramp

import (
	"time"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// Level says how a step is run and judged.
type Level struct {
	Duration, Warmup, Pause time.Duration
	Req                     requirement.Requirement
	// MinSamples before a step may end early as clearly failing or passing.
	MinSamples int64
	// EarlyPass: a quick level (the fast search's climb) ends once it has
	// MinSamples, a quarter of its measured time, and every requirement
	// within this share of its limit (0: never).
	EarlyPass float64
	// TimeScale: the simulator's --time-scale; latencies are divided by it
	// so requirements and step records are in model time (0: 1).
	TimeScale float64
	// Progress is called during a level with the time since it started and
	// the statistics of its measured part so far (nil while it warms up, or
	// when the driver cannot see them). Progress may be nil.
	Progress func(users int, elapsed time.Duration, soFar *record.Stats)
}

// clearlyFailing: the maximum is already broken, or, with enough samples, a
// limit is exceeded by half again: more load-time cannot bring it back.
func (l *Level) clearlyFailing(s *record.Stats) bool {
	for _, c := range l.Req.Checks {
		v := requirement.Value(s, c.Metric)
		if c.Metric == "max" && v > c.Limit {
			return true
		}
		if s.Count+s.Errors >= l.MinSamples && v > 1.5*c.Limit && c.Metric != "errors" {
			return true
		}
	}
	return false
}

// clearlyPassing: a quick level far enough below every limit, on enough
// samples and time, that running it to the end would not change its verdict.
func (l *Level) clearlyPassing(s *record.Stats, measured time.Duration) bool {
	return l.EarlyPass > 0 && s.Count+s.Errors >= l.MinSamples && measured >= (l.Duration-l.Warmup)/4 &&
		l.Req.Evaluate(s).Pass && l.Req.Headroom(s) <= l.EarlyPass
}
