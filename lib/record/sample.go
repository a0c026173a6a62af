package record

import (
	"encoding/json"
	"strconv"
	"time"
)

// Sample is one completed send (docs/formats.md, "sample").
type Sample struct {
	Type string `json:"type"`
	// TS is when the send completed (the response arrived or it was given up).
	TS time.Time `json:"ts"`
	// Scheduled is the intended send time in the open model; latency counts from it.
	Scheduled time.Time `json:"scheduled,omitzero"`
	Name      string    `json:"name"`
	LatencyUS int64     `json:"latency_us"`
	Status    int       `json:"status"`
	Tries     int       `json:"tries"`
	Error     string    `json:"error,omitempty"`
	Users     int       `json:"users,omitempty"`
	// Run and Segment name the run and the segment ("I/N") of a segmented
	// run (fire --run, --segment); absent otherwise.
	Run     string `json:"run,omitempty"`
	Segment string `json:"segment,omitempty"`
}

// Failed reports whether the send ended in an error: a transport error or
// a status outside 2xx and 3xx (a redirect is an answer).
func (s *Sample) Failed() bool { return s.Error != "" || s.Status < 200 || s.Status > 399 }

// AppendJSON appends the sample as one JSON line. It is hand-written because
// fire emits tens of thousands per second; TestSampleRoundTrip keeps it equal
// to encoding/json.
func (s *Sample) AppendJSON(b []byte) []byte {
	b = append(b, `{"type":"sample","ts":"`...)
	b = s.TS.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if !s.Scheduled.IsZero() {
		b = append(b, `,"scheduled":"`...)
		b = s.Scheduled.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = append(b, `,"name":`...)
	b = appendString(b, s.Name)
	b = append(b, `,"latency_us":`...)
	b = strconv.AppendInt(b, s.LatencyUS, 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(s.Status), 10)
	b = append(b, `,"tries":`...)
	b = strconv.AppendInt(b, int64(s.Tries), 10)
	if s.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, s.Error)
	}
	if s.Users != 0 {
		b = append(b, `,"users":`...)
		b = strconv.AppendInt(b, int64(s.Users), 10)
	}
	if s.Run != "" {
		b = append(b, `,"run":`...)
		b = appendString(b, s.Run)
	}
	if s.Segment != "" {
		b = append(b, `,"segment":`...)
		b = appendString(b, s.Segment)
	}
	return append(b, "}\n"...)
}

func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			q, _ := json.Marshal(s) // rare: let encoding/json escape it
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
