package record

import "time"

// Stats is the statistics record (types interval and summary) shared by
// fire's feedback, histo's output and rampctl: one format for one thing.
// Latencies are in milliseconds; Hist holds the successful responses'
// latencies in microseconds (lib/hist encodes and decodes it).
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
	P95MS     float64          `json:"p95_ms"` // added within version 1: 0 in older records
	P99MS     float64          `json:"p99_ms"`
	P999MS    float64          `json:"p999_ms"`
	MaxMS     float64          `json:"max_ms"`
	Exceed    map[string]int64 `json:"exceed,omitempty"`
	Malformed int64            `json:"malformed,omitempty"`
	Missed    int64            `json:"missed,omitempty"`
	// SendLag*: how late the open model's sends left against their schedule.
	SendLagP99MS float64 `json:"send_lag_p99_ms,omitempty"`
	SendLagMaxMS float64 `json:"send_lag_max_ms,omitempty"`
	// TimeScale: the millisecond fields are model time, real ÷ this, for a
	// run against a simulator at --time-scale (absent: real time). Hist is
	// always real microseconds, so records of any scale merge exactly.
	TimeScale float64 `json:"time_scale,omitempty"`
	// Run and Segment (fire's records of a segmented run) name the run and
	// the segment, "I/N".
	Run     string `json:"run,omitempty"`
	Segment string `json:"segment,omitempty"`
	// By and Group (histo --by): the statistics of one group of requests,
	// By "name" (Group: the request's name) or "status" (Group: the HTTP
	// status, "ok" or "error"); absent: every request.
	By    string `json:"by,omitempty"`
	Group string `json:"group,omitempty"`
	// Complete (histo's summary of a segmented run): whether every segment
	// of the run was merged once, started in time and ended ok; Incomplete
	// says why not; Segments lists the segments merged. Absent for a run
	// that is not segmented.
	Complete   *bool    `json:"complete,omitempty"`
	Incomplete []string `json:"incomplete,omitempty"`
	Segments   []string `json:"segments,omitempty"`
	Hist       string   `json:"hist,omitempty"`
}

// Groupings of histo --by.
const (
	ByName   = "name"
	ByStatus = "status"
)

// Latencies returns pointers to every latency field, for code that converts
// them all alike (model time).
func (s *Stats) Latencies() []*float64 {
	return []*float64{&s.MinMS, &s.MeanMS, &s.P50MS, &s.P90MS, &s.P95MS, &s.P99MS, &s.P999MS, &s.MaxMS}
}
