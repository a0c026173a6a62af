package simserver

import "runtime"

// State is what a simulator's state endpoint answers (arssim: GET
// /_arssim/state, teasim: GET /_teasim/state): one JSON object of type
// "state" (docs/formats.md). Counters run from the simulator's start.
type State struct {
	Type     string  `json:"type"` // "state"
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

// Fill sets the process-wide connection counters of s from reg.
func (reg *Conns) Fill(s *State) {
	s.Conns = int64(reg.Open())
	s.Goroutines = runtime.NumGoroutine()
	s.FDExhausted = reg.Exhausted.Load()
	s.ConnsShed = reg.Shed.Load()
	s.ConnsRefused = reg.Refused.Load()
	s.ConnErrors = reg.ConnErrors.Load()
}

// FillOutputs sets the write-error counters of s from the log and event outputs (either may be nil).
func FillOutputs(s *State, log, events *Output) {
	s.LogWriteErrors, s.LogBytesLost = log.Errors(), log.Lost()
	s.EventsWriteErrors, s.EventsBytesLost = events.Errors(), events.Lost()
}
