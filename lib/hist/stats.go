package hist

import (
	"time"
)

// Record types of the statistics stream (docs/formats.md).
const (
	TypeInterval = "interval"
	TypeSummary  = "summary"
)

// Stats is the statistics record shared by fire's feedback, histo's output and
// rampctl's steps: one format for one thing. Latencies are in milliseconds,
// the histogram holds successful responses in microseconds.
type Stats struct {
	Type      string           `json:"type"`
	Start     time.Time        `json:"start"`
	End       time.Time        `json:"end"`
	Stage     string           `json:"stage,omitempty"`
	Users     int              `json:"users,omitempty"`
	Count     int64            `json:"count"`
	Errors    int64            `json:"errors"`
	RPS       float64          `json:"rps"`
	MinMS     float64          `json:"min_ms"`
	MeanMS    float64          `json:"mean_ms"`
	P50MS     float64          `json:"p50_ms"`
	P90MS     float64          `json:"p90_ms"`
	P99MS     float64          `json:"p99_ms"`
	P999MS    float64          `json:"p999_ms"`
	MaxMS     float64          `json:"max_ms"`
	Exceed    map[string]int64 `json:"exceed,omitempty"`
	Malformed int64            `json:"malformed,omitempty"`
	Missed    int64            `json:"missed,omitempty"`
	// SendLag*: how late the open model's sends left against their schedule.
	SendLagP99MS float64 `json:"send_lag_p99_ms,omitempty"`
	SendLagMaxMS float64 `json:"send_lag_max_ms,omitempty"`
	Hist         string  `json:"hist,omitempty"`
}

// Acc accumulates samples or Stats records into one Stats.
// Count, minimum, maximum, mean and the exceed counts are kept exactly, beside
// the histogram, so they match a plain count over the samples to the µs.
type Acc struct {
	H          *H
	Errors     int64
	Malformed  int64
	Missed     int64
	Start, End time.Time

	thresholds   []Threshold
	exceed       []int64
	minUS, maxUS int64
	sumUS        float64
}

// NewAcc returns an empty accumulator that counts samples above each threshold.
func NewAcc(thresholds ...Threshold) *Acc {
	return &Acc{H: New(), thresholds: thresholds, exceed: make([]int64, len(thresholds)), minUS: -1}
}

func (a *Acc) addUS(us int64, n int64) {
	if a.minUS < 0 || us < a.minUS {
		a.minUS = us
	}
	if us > a.maxUS {
		a.maxUS = us
	}
	a.sumUS += float64(us) * float64(n)
}

// Add records one sample that completed at t.
func (a *Acc) Add(t time.Time, us int64, failed bool) {
	a.Span(t)
	if failed {
		a.Errors++
		return
	}
	a.H.RecordUS(us)
	a.addUS(us, 1)
	for i, t := range a.thresholds {
		if us > t.D.Microseconds() {
			a.exceed[i]++
		}
	}
}

// Span widens the accumulator's time span to include t.
func (a *Acc) Span(t time.Time) {
	if t.IsZero() {
		return
	}
	if a.Start.IsZero() || t.Before(a.Start) {
		a.Start = t
	}
	if t.After(a.End) {
		a.End = t
	}
}

// AddStats merges a decoded Stats record (its histogram must be present).
func (a *Acc) AddStats(s *Stats) error {
	var h *H
	if s.Hist != "" {
		var err error
		if h, err = Decode(s.Hist); err != nil {
			return err
		}
		a.H.Merge(h)
	}
	if s.Count > 0 {
		a.addUS(int64(s.MinMS*1000+0.5), 0)
		a.addUS(int64(s.MaxMS*1000+0.5), 0)
		a.sumUS += s.MeanMS * 1000 * float64(s.Count)
	}
	for i, t := range a.thresholds {
		if n, ok := s.Exceed[t.Label]; ok {
			a.exceed[i] += n
		} else if h != nil {
			a.exceed[i] += h.CountAbove(t.D.Microseconds())
		}
	}
	a.Errors += s.Errors
	a.Malformed += s.Malformed
	a.Missed += s.Missed
	a.Span(s.Start)
	a.Span(s.End)
	return nil
}

// Reset empties the accumulator for reuse.
func (a *Acc) Reset() {
	a.H.Reset()
	a.Errors, a.Malformed, a.Missed = 0, 0, 0
	a.Start, a.End = time.Time{}, time.Time{}
	a.minUS, a.maxUS, a.sumUS = -1, 0, 0
	for i := range a.exceed {
		a.exceed[i] = 0
	}
}

// Count is the number of successful samples.
func (a *Acc) Count() int64 { return a.H.Count() }

// Stats summarises the accumulator as a record of type typ. Percentiles come
// from the histogram (3 significant digits); the rest is exact.
func (a *Acc) Stats(typ string, withHist bool) Stats {
	h := a.H
	s := Stats{
		Type: typ, Start: a.Start, End: a.End,
		Count: h.Count(), Errors: a.Errors, Malformed: a.Malformed, Missed: a.Missed,
		P50MS: ms(h.Quantile(0.5)), P90MS: ms(h.Quantile(0.9)), P99MS: ms(h.Quantile(0.99)),
		P999MS: ms(h.Quantile(0.999)),
	}
	if s.Count > 0 {
		s.MinMS, s.MaxMS = ms(a.minUS), ms(a.maxUS)
		s.MeanMS = round3(a.sumUS / float64(s.Count) / 1000)
		// Percentiles never exceed the exact extremes.
		for _, p := range []*float64{&s.P50MS, &s.P90MS, &s.P99MS, &s.P999MS} {
			*p = min(max(*p, s.MinMS), s.MaxMS)
		}
	}
	if d := a.End.Sub(a.Start).Seconds(); d > 0 {
		s.RPS = round3(float64(s.Count+s.Errors) / d)
	}
	if len(a.thresholds) > 0 {
		s.Exceed = make(map[string]int64, len(a.thresholds))
		for i, t := range a.thresholds {
			s.Exceed[t.Label] = a.exceed[i]
		}
	}
	if withHist {
		s.Hist, _ = h.Encode()
	}
	return s
}

// Threshold is a labelled latency limit, e.g. "10s".
type Threshold struct {
	Label string
	D     time.Duration
}

func round3(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}
