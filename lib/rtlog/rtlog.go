// Package rtlog reads and writes response-time logs: the Locust log format of
// the original study (domain.md §2) and perflab's JSON-lines sample records.
// It is the one log parser every perflab tool uses.
package rtlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// Kind says what a log line holds.
type Kind int

const (
	// Other lines (start-up messages, "Sending to …") are skipped, not errors.
	Other Kind = iota
	// Response is a completed send with its response time.
	Response
	// Failure is a send that ended without success ("Request failed after N ms").
	Failure
)

// Entry is one parsed response line.
type Entry struct {
	Kind Kind
	// Time is the line's timestamp: when the response arrived.
	Time time.Time
	// MS is the response time in milliseconds.
	MS int64
}

var (
	respMarker = []byte("Response time ")
	failMarker = []byte("Request failed after ")
	msSuffix   = []byte(" ms")
)

// Parser parses Locust-format lines. It caches the last date seen, so one
// Parser must not be shared between goroutines.
type Parser struct {
	// Loc is the zone of the log's timestamps; Locust writes local time.
	Loc      *time.Location
	lastDate [10]byte
	dayStart time.Time
}

// ErrMalformed reports a line that names a response but cannot be read.
var ErrMalformed = errors.New("malformed response line")

// Parse reads one line (without its newline). A line that is not a response
// gives Kind Other and no error; a line that looks like a response but is
// broken gives an error saying what was expected.
func (p *Parser) Parse(line []byte) (Entry, error) {
	var e Entry
	i := bytes.Index(line, respMarker)
	mark := respMarker
	e.Kind = Response
	if i < 0 {
		if i = bytes.Index(line, failMarker); i < 0 {
			return Entry{}, nil
		}
		mark, e.Kind = failMarker, Failure
	}
	rest := line[i+len(mark):]
	n, j := 0, 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' && j < 18 {
		n = n*10 + int(rest[j]-'0')
		j++
	}
	if j == 0 || !bytes.HasPrefix(rest[j:], msSuffix) {
		return Entry{}, fmt.Errorf("%w: expected %q followed by an integer and \" ms\"", ErrMalformed, string(mark))
	}
	e.MS = int64(n)
	t, err := p.timestamp(line)
	if err != nil {
		return Entry{}, err
	}
	e.Time = t
	return e, nil
}

// timestamp reads "[YYYY-MM-DD HH:MM:SS,mmm]" at the start of line.
func (p *Parser) timestamp(line []byte) (time.Time, error) {
	const layout = "[YYYY-MM-DD HH:MM:SS,mmm]"
	if len(line) < len(layout) || line[0] != '[' || line[24] != ']' || line[11] != ' ' ||
		line[5] != '-' || line[8] != '-' || line[14] != ':' || line[17] != ':' || (line[20] != ',' && line[20] != '.') {
		return time.Time{}, fmt.Errorf("%w: expected a timestamp %s at the start of the line", ErrMalformed, layout)
	}
	if !bytes.Equal(line[1:11], p.lastDate[:]) || p.dayStart.IsZero() {
		loc := p.Loc
		if loc == nil {
			loc = time.Local
		}
		d, err := time.ParseInLocation("2006-01-02", string(line[1:11]), loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: bad date %q", ErrMalformed, line[1:11])
		}
		copy(p.lastDate[:], line[1:11])
		p.dayStart = d
	}
	hh, ok1 := num(line[12:14])
	mm, ok2 := num(line[15:17])
	ss, ok3 := num(line[18:20])
	ms, ok4 := num(line[21:24])
	if !(ok1 && ok2 && ok3 && ok4) || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, fmt.Errorf("%w: bad time of day %q", ErrMalformed, line[12:24])
	}
	// Adding a duration to the day's start ignores DST jumps; Locust logs
	// carry no zone anyway, and the difference between two lines is what counts.
	off := time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second + time.Duration(ms)*time.Millisecond
	return p.dayStart.Add(off), nil
}

func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// AppendTimestamp appends Locust's "[YYYY-MM-DD HH:MM:SS,mmm]" for t.
func AppendTimestamp(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	ms := t.Nanosecond() / 1e6
	b = append(b, '[')
	b = pad(b, y, 4)
	b = append(b, '-')
	b = pad(b, int(mo), 2)
	b = append(b, '-')
	b = pad(b, d, 2)
	b = append(b, ' ')
	b = pad(b, h, 2)
	b = append(b, ':')
	b = pad(b, mi, 2)
	b = append(b, ':')
	b = pad(b, s, 2)
	b = append(b, ',')
	b = pad(b, ms, 3)
	return append(b, ']')
}

func pad(b []byte, v, width int) []byte {
	var tmp [8]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// LoggerName is a request name as it can stand in a Locust line's logger
// field (no spaces, colons, slashes or brackets).
func LoggerName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == ':' || r == '/' || r == '[' || r == ']' || r < 0x20 {
			return '_'
		}
		return r
	}, name)
}

// Logger returns the LOGGER of a line "[ts] HOST/LEVEL/LOGGER: MESSAGE"
// (nil if the line has none).
func Logger(line []byte) []byte {
	const prefix = len("[YYYY-MM-DD HH:MM:SS,mmm] ")
	if len(line) <= prefix {
		return nil
	}
	head := line[prefix:]
	i := bytes.Index(head, []byte(": "))
	if i < 0 {
		return nil
	}
	head = head[:i]
	return head[bytes.LastIndexByte(head, '/')+1:]
}

// NameMatcher says whether a line's logger or a sample's name is the
// request name: the logger fire.NAME (fire's), ANYTHING.NAME or NAME itself.
type NameMatcher struct{ name, logger, suffix []byte }

// NewNameMatcher matches the request name (empty: no matcher, nil).
func NewNameMatcher(name string) *NameMatcher {
	if name == "" {
		return nil
	}
	l := LoggerName(name)
	return &NameMatcher{name: []byte(name), logger: []byte(l), suffix: []byte("." + l)}
}

// Logger says whether a Locust line's logger names the request.
func (m *NameMatcher) Logger(logger []byte) bool {
	return bytes.Equal(logger, m.name) || bytes.Equal(logger, m.logger) || bytes.HasSuffix(logger, m.suffix)
}

// Sample says whether a sample record's name is the request.
func (m *NameMatcher) Sample(name string) bool { return name == string(m.name) }

// AppendResponse appends one Locust log line for a response:
// "[ts] HOST/INFO/LOGGER: Response time N ms\n". The message carries no
// brackets, because the original evaluator finds the timestamp with a greedy
// `\[.*\]` and would swallow them.
func AppendResponse(b []byte, t time.Time, host, logger string, ms int64) []byte {
	b = appendPrefix(b, t, host, logger)
	b = append(b, respMarker...)
	b = strconv.AppendInt(b, ms, 10)
	return append(b, " ms\n"...)
}

// AppendFailure appends the line for a send that never succeeded:
// "[ts] HOST/WARNING/LOGGER: Request failed after N ms: REASON\n". It does
// not contain "Response time", so the original evaluator skips it.
func AppendFailure(b []byte, t time.Time, host, logger string, ms int64, reason string) []byte {
	b = AppendTimestamp(b, t)
	b = append(b, ' ')
	b = append(b, host...)
	b = append(b, "/WARNING/"...)
	b = append(b, logger...)
	b = append(b, ": "...)
	b = append(b, failMarker...)
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, " ms: "...)
	for i := 0; i < len(reason); i++ { // one line, always
		if c := reason[i]; c == '\n' || c == '\r' {
			b = append(b, ' ')
		} else {
			b = append(b, c)
		}
	}
	return append(b, '\n')
}

func appendPrefix(b []byte, t time.Time, host, logger string) []byte {
	b = AppendTimestamp(b, t)
	b = append(b, ' ')
	b = append(b, host...)
	b = append(b, "/INFO/"...)
	b = append(b, logger...)
	return append(b, ": "...)
}

// SegmentLogger is the logger of the lines that mark a segment's start and
// end in a Locust-format log (fire --segment).
const SegmentLogger = "fire.segment"

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
		return nil, true, fmt.Errorf("%w: expected a segment record after %q", ErrMalformed, SegmentLogger+": ")
	}
	return seg, true, nil
}
