package record

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Segment marks the start and the end of one segment of a segmented run
// (fire --segment I/N): the N segments of a run together send exactly what
// one unsegmented fire would. histo checks from these marks that a merged
// run is complete (every segment once, started in time, ended ok).
type Segment struct {
	Type    string    `json:"type"`
	Run     string    `json:"run"`     // the run's name, the same in every segment (fire --run)
	Segment string    `json:"segment"` // "I/N", I from 1
	Phase   string    `json:"phase"`   // SegmentStart or SegmentEnd
	TS      time.Time `json:"ts"`      // when this phase happened
	// StartAt is the common instant every segment's plan clock starts at
	// (fire --start-at; absent: each segment started on its own).
	StartAt time.Time `json:"start_at,omitzero"`
	// LagMS (start): how late this segment's plan clock started against StartAt.
	LagMS float64 `json:"lag_ms"`
	// Status (end): SegmentOK, SegmentStopped or SegmentFailed.
	Status string `json:"status,omitempty"`
	Count  int64  `json:"count,omitempty"`  // end: successful responses
	Errors int64  `json:"errors,omitempty"` // end: failed sends
}

// Segment phases and end states.
const (
	SegmentStart   = "start"
	SegmentEnd     = "end"
	SegmentOK      = "ok"      // the plan ran to its end
	SegmentStopped = "stopped" // stopped by a signal before the plan's end
	SegmentFailed  = "failed"  // an error, or nothing succeeded
)

// SegmentID writes segment i of n as "i/n".
func SegmentID(i, n int) string { return strconv.Itoa(i) + "/" + strconv.Itoa(n) }

// ParseSegmentID reads "I/N" with 1 ≤ I ≤ N.
func ParseSegmentID(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, e1 := strconv.Atoi(a)
	n, e2 := strconv.Atoi(b)
	if !ok || e1 != nil || e2 != nil || n < 1 || i < 1 || i > n || n > 1_000_000 {
		return 0, 0, fmt.Errorf("segment %q: expected I/N with 1 <= I <= N (e.g. 2/4)", s)
	}
	return i, n, nil
}

// ValidRunName reports whether s can name a run: letters, digits and
// ". _ : -", at most 128 bytes, so it needs no quoting in a log line and
// cannot be mistaken for a measurement.
func ValidRunName(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._:-", c)) {
			return false
		}
	}
	return true
}
