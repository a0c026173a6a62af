// Package plan holds the load-plan stream: its records, their JSON-lines codec
// and the generators behind the `plan` command (docs/formats.md, "Plan").
package plan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/perflab/perflab/lib/record"
)

// Encoder writes plan records as JSON lines. It checks every record against
// the same rules as the Decoder (and the limits in limits.go) before it
// writes it, and it writes whole records only: each Write to the underlying
// writer holds complete lines, so a plan cut short by an error ends after
// its last whole record, never inside one.
type Encoder struct {
	w    io.Writer
	buf  []byte
	v    validator
	err  error // the first error: a record refused, or a failed write
	werr error // the first failed write
}

// flushAt is how many bytes of whole records the Encoder gathers before it
// writes them.
const flushAt = 64 << 10

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode checks r and adds it to the plan. The first error (an invalid
// record, a failed write) sticks: every later call returns it and adds
// nothing; Flush still writes the whole records before an invalid one.
func (e *Encoder) Encode(r *record.Plan) error {
	if e.err != nil {
		return e.err
	}
	if err := e.v.check(r); err != nil {
		e.err = fmt.Errorf("plan record %d: %v", e.v.n+1, err)
		return e.err
	}
	b, err := json.Marshal(r)
	if err != nil {
		e.err = fmt.Errorf("plan record %d: %v", e.v.n, err)
		return e.err
	}
	if r.Type == record.TypePlan && r.Seed == 0 {
		// the header always states its seed, 0 too (the field is omitempty)
		b = append(b[:len(b)-1], `,"seed":0}`...)
	}
	if len(b) >= MaxLine {
		e.err = fmt.Errorf("plan record %d: a line of %d bytes, longer than a reader takes (plan.MaxLine)", e.v.n, len(b)+1)
		return e.err
	}
	e.buf = append(append(e.buf, b...), '\n')
	if len(e.buf) >= flushAt {
		return e.write()
	}
	return nil
}

func (e *Encoder) write() error {
	if len(e.buf) > 0 && e.werr == nil {
		if _, e.werr = e.w.Write(e.buf); e.werr != nil && e.err == nil {
			e.err = e.werr
		}
		e.buf = e.buf[:0]
	}
	return e.err
}

// Flush writes the records gathered so far and returns the first error.
func (e *Encoder) Flush() error { return e.write() }

// Decoder reads plan records, one per line, and checks each against the
// rules in docs/formats.md ("Plan") and the limits in limits.go: fire reads
// every plan through it, so no record it returns can overflow a count or a
// time.Duration. The first error ends the plan.
type Decoder struct {
	s    *bufio.Scanner
	name string
	line int
	v    validator
	err  error
}

// MaxLine is the longest plan line the Decoder reads (a scenario of many
// named steps is one line).
const MaxLine = 16 << 20

// NewDecoder reads a plan from r; name is used in error messages.
func NewDecoder(r io.Reader, name string) *Decoder {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), MaxLine)
	return &Decoder{s: s, name: name}
}

// Next returns the next record, or io.EOF at the end of the stream. An
// error is one line naming the plan, its line and what was expected.
func (d *Decoder) Next() (*record.Plan, error) {
	if d.err != nil {
		return nil, d.err
	}
	r, err := d.next()
	d.err = err
	return r, err
}

func (d *Decoder) next() (*record.Plan, error) {
	for d.s.Scan() {
		d.line++
		b := bytes.TrimSpace(d.s.Bytes())
		if len(b) == 0 {
			continue
		}
		var r record.Plan
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, d.errorf("expected a JSON plan record: %v", err)
		}
		if dec.More() {
			return nil, d.errorf("expected one JSON plan record on the line")
		}
		if err := d.v.check(&r); err != nil {
			return nil, d.errorf("%v", err)
		}
		return &r, nil
	}
	if err := d.s.Err(); err != nil {
		if err == bufio.ErrTooLong {
			d.line++
			return nil, d.errorf("line longer than %d bytes", MaxLine)
		}
		return nil, fmt.Errorf("reading %s: %v", d.name, err)
	}
	return nil, io.EOF
}

// Line is the number of the line Next last read, from 1 (fire names it in
// its own errors about a record).
func (d *Decoder) Line() int { return d.line }

func (d *Decoder) errorf(format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if len(msg) > 300 { // encoding/json's messages may quote a field name of any length
		msg = strings.ToValidUTF8(msg[:300], "") + "…"
	}
	return fmt.Errorf("%s line %d: %s", d.name, d.line, msg)
}

// Ptr returns a pointer to v, for the optional fields of a record.Plan.
func Ptr[T any](v T) *T { return &v }
