package rtlog

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/perflab/perflab/lib/record"
)

// SegmentLogger is the logger of the lines that mark a segment's start and
// end in a Locust-format log (fire --segment).
const SegmentLogger = "fire.segment"

var segmentSuffix = []byte("/" + SegmentLogger)

// AppendSegment appends the line that marks a segment's start or end in a
// Locust-format log: "[ts] HOST/INFO/fire.segment: {segment record}\n".
// The record is JSON (its run name is restricted, see record.ValidRunName),
// so it never reads as a measurement.
func AppendSegment(b []byte, seg *record.Segment, host string) ([]byte, error) {
	j, err := json.Marshal(seg)
	if err != nil {
		return b, err
	}
	b = appendPrefix(b, seg.TS, host, SegmentLogger)
	b = append(b, j...)
	return append(b, '\n'), nil
}

// ParseSegment reads a segment mark written by AppendSegment; ok is false
// for a line that is not one (another logger), err set for a broken one.
func ParseSegment(line []byte) (seg *record.Segment, ok bool, err error) {
	if !bytes.Equal(Logger(line), []byte(SegmentLogger)) {
		return nil, false, nil
	}
	i := bytes.Index(line, []byte(SegmentLogger+": "))
	seg = &record.Segment{}
	if err := json.Unmarshal(line[i+len(SegmentLogger)+2:], seg); err != nil || seg.Type != record.TypeSegment {
		return nil, true, fmt.Errorf("malformed segment mark: expected a segment record after %q", SegmentLogger+": ")
	}
	return seg, true, nil
}
