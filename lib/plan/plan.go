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

// Encoder writes plan records as JSON lines.
type Encoder struct {
	w   *bufio.Writer
	err error
}

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: bufio.NewWriter(w)} }

// Encode writes one record.
func (e *Encoder) Encode(r *record.Plan) error {
	if e.err != nil {
		return e.err
	}
	b, err := json.Marshal(r)
	if err != nil {
		e.err = err
		return err
	}
	b = append(b, '\n')
	_, e.err = e.w.Write(b)
	return e.err
}

// Flush writes buffered records out.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

// Decoder reads and validates plan records, one per line.
type Decoder struct {
	s      *bufio.Scanner
	name   string
	line   int
	lastAt float64
}

// NewDecoder reads a plan from r; name is used in error messages.
func NewDecoder(r io.Reader, name string) *Decoder {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 16*1024*1024)
	return &Decoder{s: s, name: name}
}

// Next returns the next record, or io.EOF at the end of the stream. Errors
// name the line and what was expected.
func (d *Decoder) Next() (*record.Plan, error) {
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
		if err := d.validate(&r); err != nil {
			return nil, d.errorf("%v", err)
		}
		return &r, nil
	}
	if err := d.s.Err(); err != nil {
		return nil, d.errorf("%v", err)
	}
	return nil, io.EOF
}

// Line is the number of the line Next last read, from 1 (fire names it in
// its own errors about a record).
func (d *Decoder) Line() int { return d.line }

func (d *Decoder) errorf(format string, a ...any) error {
	return fmt.Errorf("%s line %d: %s", d.name, d.line, fmt.Sprintf(format, a...))
}

func (d *Decoder) validate(r *record.Plan) error {
	switch r.Type {
	case record.TypePlan:
		if r.Version != record.Version {
			return fmt.Errorf("expected plan format version %d, got %d", record.Version, r.Version)
		}
	case record.TypeScenario:
		if len(r.Steps) == 0 {
			return fmt.Errorf("expected a scenario with at least one step")
		}
		if r.Order != "" && r.Order != "sequence" && r.Order != "random" {
			return fmt.Errorf("expected order \"sequence\" or \"random\", got %q", r.Order)
		}
		if r.ThinkMS < 0 || r.ThinkMaxMS != 0 && r.ThinkMaxMS < r.ThinkMS {
			return fmt.Errorf("expected think_ms >= 0 and think_max_ms (if set) >= think_ms")
		}
		for i, s := range r.Steps {
			if s.Method == "" || strings.ContainsAny(s.Method, " \r\n") {
				return fmt.Errorf("step %d: expected an HTTP method", i+1)
			}
			if !strings.HasPrefix(s.Path, "/") {
				return fmt.Errorf("step %d: expected a path starting with /, got %q", i+1, s.Path)
			}
			if s.Weight < 0 {
				return fmt.Errorf("step %d: expected weight >= 0", i+1)
			}
			if s.Times != nil && (len(s.Times) != 2 || s.Times[0] < 0 || s.Times[1] < s.Times[0]) {
				return fmt.Errorf("step %d: expected times [min, max] with 0 <= min <= max", i+1)
			}
			if s.Span < 0 || i+max(s.Span, 1) > len(r.Steps) || s.Chance < 0 || s.Chance > 1 {
				return fmt.Errorf("step %d: expected span within the steps and chance in [0, 1]", i+1)
			}
		}
		for k, v := range r.Vars {
			if v[1] < v[0] || k == "" {
				return fmt.Errorf("var %q: expected [min, max] with min <= max", k)
			}
		}
	case record.TypeStage:
		if (r.Users == nil) == (r.RateRPS == nil) {
			return fmt.Errorf("expected a stage with exactly one of users or rate_rps")
		}
		if r.Users != nil && *r.Users < 0 || r.RateRPS != nil && *r.RateRPS < 0 || r.SpawnRate < 0 {
			return fmt.Errorf("expected users, rate_rps and spawn_rate >= 0")
		}
		if r.Group != "" && r.RateRPS != nil {
			return fmt.Errorf("expected no group on a rate_rps stage (groups are closed-model users)")
		}
		if err := d.checkAt(r.AtMS); err != nil {
			return err
		}
	case record.TypeEnd:
		if err := d.checkAt(r.AtMS); err != nil {
			return err
		}
	case "":
		return fmt.Errorf("expected a \"type\" field")
	default:
		return fmt.Errorf("expected type plan, scenario, stage or end, got %q", r.Type)
	}
	return nil
}

func (d *Decoder) checkAt(at *float64) error {
	if at == nil {
		return nil
	}
	if *at < d.lastAt {
		return fmt.Errorf("expected at_ms >= %g (records in time order), got %g", d.lastAt, *at)
	}
	d.lastAt = *at
	return nil
}

// Ptr returns a pointer to v, for the optional fields of a record.Plan.
func Ptr[T any](v T) *T { return &v }
