package record

import (
	"errors"
	"fmt"
	"math"
)

// MaxLatencyUS is the longest latency a sample or log line may carry: 30
// days. No run of these tools waits that long for one answer, so a larger
// value is an overflow or a corrupt line, not a measurement.
const MaxLatencyUS = 30 * 24 * 3600 * 1_000_000

// Check reports why a sample cannot be a measurement (nil if it can): a
// missing completion time, a negative or impossible latency, a status or a
// count out of range, a malformed run or segment name. Readers treat such a
// sample as a malformed line: warned, counted, never used.
func (s *Sample) Check() error {
	switch {
	case s.TS.IsZero():
		return errors.New("sample without ts")
	case s.LatencyUS < 0:
		return fmt.Errorf("negative latency_us %d", s.LatencyUS)
	case s.LatencyUS > MaxLatencyUS:
		return fmt.Errorf("latency_us %d is beyond 30 days: not a measurement", s.LatencyUS)
	case s.Status < 0 || s.Status > 999:
		return fmt.Errorf("status %d: expected 0 (no answer) or an HTTP status", s.Status)
	case s.Tries < 0:
		return fmt.Errorf("negative tries %d", s.Tries)
	case s.Users < 0:
		return fmt.Errorf("negative users %d", s.Users)
	}
	return checkRun(s.Run, s.Segment)
}

func checkRun(run, segment string) error {
	if !ValidRunName(run) {
		return fmt.Errorf("run %q: expected letters, digits and . _ : - (at most 128 bytes)", run)
	}
	if segment != "" {
		if _, _, err := ParseSegmentID(segment); err != nil {
			return err
		}
	}
	return nil
}

// Check reports why a statistics record contradicts itself (nil if it
// does not): negative counts, latencies out of order (min ≤ p50 ≤ p90 ≤ p95
// ≤ p99 ≤ p99.9 ≤ max, mean within [min, max]), latencies without responses,
// more responses above a threshold than responses, an end before its start.
// Whether it agrees with its own histogram is lib/hist's CheckStats. Readers
// treat such a record as a malformed line: warned, counted, never used.
func (s *Stats) Check() error {
	if s.Type != TypeInterval && s.Type != TypeSummary {
		return fmt.Errorf("type %q is not a statistics record", s.Type)
	}
	for _, c := range []struct {
		name string
		v    int64
	}{{"count", s.Count}, {"errors", s.Errors}, {"malformed", s.Malformed}, {"missed", s.Missed}, {"users", int64(s.Users)}} {
		if c.v < 0 {
			return fmt.Errorf("negative %s %d", c.name, c.v)
		}
	}
	if s.Count > math.MaxInt64-s.Errors {
		return fmt.Errorf("count %d and errors %d overflow", s.Count, s.Errors)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"rps", s.RPS}, {"send_lag_p99_ms", s.SendLagP99MS}, {"send_lag_max_ms", s.SendLagMaxMS}, {"time_scale", s.TimeScale}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%s %v: expected a non-negative number", f.name, f.v)
		}
	}
	if !s.Start.IsZero() && !s.End.IsZero() && s.End.Before(s.Start) {
		return fmt.Errorf("end %s before start %s", s.End.Format("2006-01-02T15:04:05.999Z07:00"), s.Start.Format("2006-01-02T15:04:05.999Z07:00"))
	}
	if err := s.checkLatencies(); err != nil {
		return err
	}
	for label, n := range s.Exceed {
		if n < 0 || n > s.Count {
			return fmt.Errorf("exceed %q: %d of %d responses", label, n, s.Count)
		}
	}
	if s.By != "" && s.By != ByName && s.By != ByStatus {
		return fmt.Errorf("by %q: expected %q or %q", s.By, ByName, ByStatus)
	}
	return checkRun(s.Run, s.Segment)
}

// checkLatencies holds the latency fields to their order. A p95_ms of 0
// beside responses is one the record does not carry (it was added within
// version 1): every recorded latency is at least 1 µs.
func (s *Stats) checkLatencies() error {
	names := [...]string{"min_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms"}
	vals := [...]float64{s.MinMS, s.P50MS, s.P90MS, s.P95MS, s.P99MS, s.P999MS, s.MaxMS, s.MeanMS}
	for i, v := range vals {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%s %v: expected a non-negative number", names[i], v)
		}
		if s.Count == 0 && v != 0 {
			return fmt.Errorf("%s %v without responses (count 0)", names[i], v)
		}
	}
	prev := 0
	for i := 1; i < len(vals)-1; i++ {
		if i == 3 && s.P95MS == 0 {
			continue // not carried
		}
		if vals[i] < vals[prev] {
			return fmt.Errorf("%s %v below %s %v", names[i], vals[i], names[prev], vals[prev])
		}
		prev = i
	}
	if s.MeanMS < s.MinMS || s.MeanMS > s.MaxMS {
		return fmt.Errorf("mean_ms %v outside [min_ms %v, max_ms %v]", s.MeanMS, s.MinMS, s.MaxMS)
	}
	return nil
}

// Check reports why a segment mark cannot be one (nil if it can): a
// malformed run or segment, another phase, a start without its time, an
// end without a known status, negative counts, a lag that is no number.
func (s *Segment) Check() error {
	if s.Segment == "" {
		return errors.New("segment mark without a segment")
	}
	if err := checkRun(s.Run, s.Segment); err != nil {
		return err
	}
	switch {
	case s.TS.IsZero():
		return errors.New("segment mark without ts")
	case s.Phase != SegmentStart && s.Phase != SegmentEnd:
		return fmt.Errorf("phase %q: expected %q or %q", s.Phase, SegmentStart, SegmentEnd)
	case s.Phase == SegmentEnd && s.Status != SegmentOK && s.Status != SegmentStopped && s.Status != SegmentFailed:
		return fmt.Errorf("status %q: expected %q, %q or %q", s.Status, SegmentOK, SegmentStopped, SegmentFailed)
	case s.Count < 0 || s.Errors < 0:
		return fmt.Errorf("negative count %d or errors %d", s.Count, s.Errors)
	case math.IsNaN(s.LagMS) || math.IsInf(s.LagMS, 0):
		return fmt.Errorf("lag_ms %v: expected a number", s.LagMS)
	}
	return nil
}
