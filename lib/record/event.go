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

// State is what a simulator's state endpoint answers (arssim: GET
// /_arssim/state, teasim: GET /_teasim/state).
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

	// Abandoned: requests whose client left while they waited in the model;
	// they left it without spending its time.
	Abandoned int64 `json:"abandoned"`
	// Overloaded: requests answered 503 at once beyond --max-inflight.
	Overloaded int64 `json:"overloaded"`
	// Conns: client connections open now; Goroutines: the process's
	// goroutines now (one per connection and per waiting request, a few more).
	Conns      int64 `json:"conns"`
	Goroutines int   `json:"goroutines"`
	// FDExhausted: accepts that failed for lack of file descriptors;
	// ConnsShed: connections without a request in the model closed to free
	// one; ConnsRefused: connections answered 503 and closed because none
	// could be freed.
	FDExhausted  int64 `json:"fd_exhausted"`
	ConnsShed    int64 `json:"conns_shed"`
	ConnsRefused int64 `json:"conns_refused"`
	// ConnErrors: connections that ended in an error (malformed request,
	// body over the limit, a timeout of a slow or idle client).
	ConnErrors int64 `json:"conn_errors"`
	// Failed writes to --log and --events (a full disk), and the bytes lost.
	LogWriteErrors    int64 `json:"log_write_errors"`
	LogBytesLost      int64 `json:"log_bytes_lost"`
	EventsWriteErrors int64 `json:"events_write_errors"`
	EventsBytesLost   int64 `json:"events_bytes_lost"`
}
