package record

import "time"

// Event is one step of arssim's fault management (arssim --events), or a
// teasim event (teasim --events).
type Event struct {
	Type  string    `json:"type"`
	Event string    `json:"event"` // one of the Ev* names
	TS    time.Time `json:"ts"`
	Fault int       `json:"fault,omitempty"` // the fault's number, from 1 (fault management events)
	// OutageS and DetectS (fault events only): the drawn outage and detection time.
	OutageS float64 `json:"outage_s,omitempty"`
	DetectS float64 `json:"detect_s,omitempty"`
}

// Event names, in the order they happen.
const (
	EvFault     = "fault"      // the ARS is faulted: POST/PUT answer 500
	EvDetected  = "detected"   // the fault was detected
	EvNotified  = "notified"   // the operator was notified
	EvRecovery  = "recovery"   // the recovery action started
	EvRecovered = "recovered"  // the ARS is healthy again
	EvLogsReset = "logs_reset" // teasim: GET /logs/reset (a load test starts)
)

// State is what arssim's GET /_arssim/state answers.
type State struct {
	Type     string  `json:"type"`
	Faulted  bool    `json:"faulted"`
	Faults   int     `json:"faults"`
	Inflight int64   `json:"inflight"`
	UptimeS  float64 `json:"uptime_s"`
	Model    string  `json:"model"`
	// How late answers left against the model's completion instants: the
	// simulator's own error, to check that it is exact and not the bottleneck.
	Processed int64   `json:"processed"`
	LateP99MS float64 `json:"late_p99_ms"`
	LateMaxMS float64 `json:"late_max_ms"`
}
