package rtlog

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"
)

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
// "[ts] HOST/WARNING/LOGGER: Request failed after N ms: "REASON"\n". The
// reason (often a server's text) is a JSON string, on one line, in which
// "Response time" is written "Response\u0020time": no server text can make
// the line read as a response, to histo or to the original evaluator,
// which takes any line containing "Response time".
func AppendFailure(b []byte, t time.Time, host, logger string, ms int64, reason string) []byte {
	b = AppendTimestamp(b, t)
	b = append(b, ' ')
	b = appendHost(b, host)
	b = append(b, "/WARNING/"...)
	b = append(b, logger...)
	b = append(b, ": "...)
	b = append(b, failMarker...)
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, " ms: "...)
	return append(appendReason(b, reason), '\n')
}

// appendReason appends s as a JSON string with "Response time" broken up.
func appendReason(b []byte, s string) []byte {
	start := len(b)
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		i++
	}
	b = append(b, '"')
	if bytes.Contains(b[start:], respText) {
		q := bytes.ReplaceAll(b[start:], respText, []byte(`Response\u0020time`))
		b = append(b[:start], q...)
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendHost appends a host name as it can stand in a line: no blanks,
// slashes, colons or brackets, which would move the logger or the message.
func appendHost(b []byte, host string) []byte {
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c <= ' ' || c == '/' || c == ':' || c == '[' || c == ']' || c == 0x7f {
			c = '_'
		}
		b = append(b, c)
	}
	return b
}

func appendPrefix(b []byte, t time.Time, host, logger string) []byte {
	b = AppendTimestamp(b, t)
	b = append(b, ' ')
	b = appendHost(b, host)
	b = append(b, "/INFO/"...)
	b = append(b, logger...)
	return append(b, ": "...)
}
