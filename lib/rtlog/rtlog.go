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
	// Mark is a segment's start or end mark (logger fire.segment): read it
	// with ParseSegment.
	Mark
)

// Entry is one parsed response line.
type Entry struct {
	Kind Kind
	// Time is the line's timestamp: when the response arrived.
	Time time.Time
	// MS is the response time in milliseconds.
	MS int64
	// Status (failures): the HTTP status a "status N" reason names, 0 for
	// another reason (a transport error, a give-up).
	Status int
}

var (
	respText   = []byte("Response time")
	respMarker = []byte("Response time ")
	failMarker = []byte("Request failed after ")
	msSuffix   = []byte(" ms")
)

// maxMS is the largest response time a line may carry (record.MaxLatencyUS).
const maxMS = record.MaxLatencyUS / 1000

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

// Parse reads one line (without its newline). A measurement is taken only
// at its place in the line format, "[TIMESTAMP] HOST/LEVEL/LOGGER: " then
// "Response time N ms" (also after "[ID] " or "[ID] (REQUEST-ID) ", as the
// study's later scripts write) or "Request failed after N ms: REASON", so
// no text further on (a server's reason, a URL) can read as one. A line
// that is not a response gives Kind Other and no error; one that names a
// response but cannot be read (a "Response time" without a number, or
// elsewhere than its place) gives an error saying what was expected.
func (p *Parser) Parse(line []byte) (Entry, error) {
	head, msg, ok := message(line)
	if ok && (bytes.HasSuffix(head, segmentSuffix) || bytes.Equal(head, segmentSuffix[1:])) {
		return Entry{Kind: Mark}, nil
	}
	if !ok {
		if bytes.Contains(line, respText) {
			return Entry{}, fmt.Errorf("%w: expected \"[YYYY-MM-DD HH:MM:SS,mmm] HOST/LEVEL/LOGGER: \" before \"Response time\"", ErrMalformed)
		}
		return Entry{}, nil
	}
	var e Entry
	var rest []byte
	switch body := skipIDs(msg); {
	case bytes.HasPrefix(body, respText):
		e.Kind, rest = Response, body[len(respText):]
		if len(rest) == 0 || rest[0] != ' ' {
			return Entry{}, fmt.Errorf("%w: expected \"Response time\" followed by an integer and \" ms\"", ErrMalformed)
		}
		rest = rest[1:]
	case bytes.HasPrefix(msg, failMarker):
		e.Kind, rest = Failure, msg[len(failMarker):]
	case bytes.Contains(msg, respText):
		return Entry{}, fmt.Errorf("%w: \"Response time\" must follow \"LOGGER: \" (or \"[ID] \", \"[ID] (REQUEST-ID) \")", ErrMalformed)
	default:
		return Entry{}, nil
	}
	n, after, err := readMS(rest, e.Kind)
	if err != nil {
		return Entry{}, err
	}
	e.MS = n
	if e.Kind == Failure {
		e.Status = failureStatus(after)
	}
	t, err := p.timestamp(line)
	if err != nil {
		return Entry{}, err
	}
	e.Time = t
	return e, nil
}

// IsLogLine reports whether line starts like a Locust log line, with a
// timestamp "[YYYY-MM-DD HH:MM:SS,mmm]" (its separators: Parse reads the
// digits of the lines it uses).
func IsLogLine(line []byte) bool {
	return len(line) >= 25 && line[0] == '[' && line[5] == '-' && line[8] == '-' && line[11] == ' ' &&
		line[14] == ':' && line[17] == ':' && (line[20] == ',' || line[20] == '.') && line[24] == ']'
}

// readMS reads "N ms" at the start of rest; after is what follows.
func readMS(rest []byte, kind Kind) (n int64, after []byte, err error) {
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' && n <= maxMS {
		n = n*10 + int64(rest[j]-'0')
		j++
	}
	if n > maxMS {
		return 0, nil, fmt.Errorf("%w: a response time beyond 30 days is not a measurement", ErrMalformed)
	}
	if j == 0 || !bytes.HasPrefix(rest[j:], msSuffix) {
		mark := "Response time "
		if kind == Failure {
			mark = string(failMarker)
		}
		return 0, nil, fmt.Errorf("%w: expected %q followed by an integer and \" ms\"", ErrMalformed, mark)
	}
	return n, rest[j+len(msSuffix):], nil
}

// message splits "[TIMESTAMP] HOST/LEVEL/LOGGER: MESSAGE" into
// "HOST/LEVEL/LOGGER" and the message (the timestamp's shape only: Parse
// reads it for responses alone).
func message(line []byte) (head, msg []byte, ok bool) {
	const prefix = len("[YYYY-MM-DD HH:MM:SS,mmm] ")
	if len(line) < prefix || line[0] != '[' || line[prefix-2] != ']' || line[prefix-1] != ' ' {
		return nil, nil, false
	}
	i := bytes.Index(line[prefix:], []byte(": "))
	if i < 0 {
		return nil, nil, false
	}
	return line[prefix : prefix+i], line[prefix+i+2:], true
}

// skipIDs skips a message's "[ID] " and "[ID] (REQUEST-ID) ".
func skipIDs(msg []byte) []byte {
	skip := func(b []byte, open, close byte) []byte {
		if len(b) == 0 || b[0] != open {
			return b
		}
		i := bytes.IndexByte(b, close)
		if i < 0 || i+1 >= len(b) || b[i+1] != ' ' || bytes.IndexByte(b[:i], ' ') >= 0 {
			return b
		}
		return b[i+2:]
	}
	if m := skip(msg, '[', ']'); len(m) != len(msg) {
		return skip(m, '(', ')')
	}
	return msg
}

// failureStatus reads the status of a failure's ": REASON": a JSON string
// (AppendFailure) or bare text (older logs) of the form "status N".
func failureStatus(reason []byte) int {
	r, ok := bytes.CutPrefix(reason, []byte(": "))
	if !ok {
		return 0
	}
	if len(r) > 0 && r[0] == '"' {
		var s string
		if json.Unmarshal(r, &s) != nil {
			return 0
		}
		r = []byte(s)
	}
	if d, ok := bytes.CutPrefix(r, []byte("status ")); ok && len(d) == 3 {
		if n, err := strconv.Atoi(string(d)); err == nil && n >= 100 {
			return n
		}
	}
	return 0
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
