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
)

// Version is the plan format's version, written in the header record.
const Version = 1

// Record types of a plan stream.
const (
	TypeHeader   = "plan"
	TypeScenario = "scenario"
	TypeStage    = "stage"
	TypeEnd      = "end"
)

// Step is one request of a scenario.
type Step struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Body    string            `json:"body,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// Repeat resends until a 2xx answer arrives (the study's repeating client).
	Repeat bool `json:"repeat,omitempty"`
	// Weight is the relative chance of this step when the scenario's order is random.
	Weight float64 `json:"weight,omitempty"`
	// Session scenarios: Times [min, max] repeats this step and the Span-1
	// steps after it a drawn number of times (variables drawn anew each
	// time); Chance runs them only with this probability.
	Times  []int   `json:"times,omitempty"`
	Span   int     `json:"span,omitempty"`
	Chance float64 `json:"chance,omitempty"`
}

// Record is one line of a plan. Which fields are set depends on Type.
type Record struct {
	Type string `json:"type"`

	// header ("plan")
	Version   int    `json:"version,omitempty"`
	Generator string `json:"generator,omitempty"`
	Seed      int64  `json:"seed,omitempty"`

	// scenario: what a virtual user (closed model) or an arrival (open model) does
	Name    string  `json:"name,omitempty"`
	Steps   []Step  `json:"steps,omitempty"`
	ThinkMS float64 `json:"think_ms,omitempty"`
	Order   string  `json:"order,omitempty"` // "sequence" (default) or "random"
	// Session: a user's iteration is a browser session: all steps in order,
	// a cookie jar, redirects followed, each request named after its page.
	// Vars are integers drawn per session, used as {name} in paths and bodies
	// ({user} is the user's number).
	Session bool              `json:"session,omitempty"`
	Vars    map[string][2]int `json:"vars,omitempty"`
	// ThinkMaxMS: think drawn uniformly from [ThinkMS, ThinkMaxMS] after each send.
	ThinkMaxMS float64 `json:"think_max_ms,omitempty"`

	// Group (scenario and users stage): closed-model users of a named group
	// run that group's scenario, beside the users of other groups.
	Group string `json:"group,omitempty"`

	// stage and end: AtMS is the offset from the run's start; a stage without
	// it applies as soon as it is read (rampctl streams stages this way).
	AtMS *float64 `json:"at_ms,omitempty"`
	// Users sets the closed model's user count; RateRPS the open model's arrival rate.
	Users     *int     `json:"users,omitempty"`
	RateRPS   *float64 `json:"rate_rps,omitempty"`
	SpawnRate float64  `json:"spawn_rate,omitempty"` // users started per second; 0 = at once
	Poisson   bool     `json:"poisson,omitempty"`
	Label     string   `json:"label,omitempty"` // names the stage in fire's feedback
}

// Encoder writes plan records as JSON lines.
type Encoder struct {
	w   *bufio.Writer
	err error
}

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: bufio.NewWriter(w)} }

// Encode writes one record.
func (e *Encoder) Encode(r *Record) error {
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
func (d *Decoder) Next() (*Record, error) {
	for d.s.Scan() {
		d.line++
		b := bytes.TrimSpace(d.s.Bytes())
		if len(b) == 0 {
			continue
		}
		var r Record
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

func (d *Decoder) errorf(format string, a ...any) error {
	return fmt.Errorf("%s line %d: %s", d.name, d.line, fmt.Sprintf(format, a...))
}

func (d *Decoder) validate(r *Record) error {
	switch r.Type {
	case TypeHeader:
		if r.Version != Version {
			return fmt.Errorf("expected plan format version %d, got %d", Version, r.Version)
		}
	case TypeScenario:
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
	case TypeStage:
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
	case TypeEnd:
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

// Ptr returns a pointer to v, for the optional fields of a Record.
func Ptr[T any](v T) *T { return &v }
