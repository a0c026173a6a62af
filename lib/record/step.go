package record

import "time"

// Step is the outcome of one load level (rampctl), or of a line of the
// original step-load executor's log ("Clients: N: avg: Xs, max: Ys").
type Step struct {
	Type        string    `json:"type"`
	Users       int       `json:"users"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	OfferedRPS  float64   `json:"offered_rps"`
	AchievedRPS float64   `json:"achieved_rps"`
	Count       int64     `json:"count"`
	Errors      int64     `json:"errors"`
	MeanMS      float64   `json:"mean_ms"`
	P50MS       float64   `json:"p50_ms"`
	P99MS       float64   `json:"p99_ms"`
	MaxMS       float64   `json:"max_ms"`
	Pass        bool      `json:"pass"`
	// Headroom is the largest share of its limit any requirement check used
	// (≤ 1 passes); the fast search interpolates where it crosses 1.
	Headroom  float64 `json:"headroom"`
	EarlyStop bool    `json:"early_stop,omitempty"` // ended before --step-duration: clearly failing
	EarlyPass bool    `json:"early_pass,omitempty"` // ended before --step-duration: clearly passing (fast search's climb)
	Resumed   bool    `json:"resumed,omitempty"`    // taken from --resume, not measured again
	TimeScale float64 `json:"time_scale,omitempty"` // the _ms fields are model time, real ÷ this; hist stays real µs
	Hist      string  `json:"hist,omitempty"`
}

// Result is rampctl's answer, its last record.
type Result struct {
	Type            string  `json:"type"`
	Found           bool    `json:"found"`
	SaturationUsers int     `json:"saturation_users"` // highest level that passed (0: none)
	FirstFailUsers  int     `json:"first_fail_users"` // lowest level that failed (0: none)
	Requirement     string  `json:"requirement"`
	Search          string  `json:"search"`
	Steps           int     `json:"steps"`
	WallS           float64 `json:"wall_s"`
}
