package plan

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/perflab/perflab/lib/record"
)

// validator checks a plan record by record, as the Decoder reads it and as
// the Encoder writes it, so that a plan one accepts the other does too. It
// keeps what the rules across records need: the time order, the header's
// place, the end, and every group's users.
type validator struct {
	n      int // records checked
	lastAt float64
	ended  bool
	users  map[string]int // the users of each group, by the latest stage
	total  int            // their sum
}

// check validates r as the next record of the plan.
func (v *validator) check(r *record.Plan) error {
	if v.ended {
		return fmt.Errorf("expected nothing after the end record, got a %s record", short(r.Type))
	}
	var err error
	switch r.Type {
	case record.TypePlan:
		err = v.header(r)
	case record.TypeScenario:
		err = checkScenario(r)
	case record.TypeStage:
		err = v.stage(r)
	case record.TypeEnd:
		if err = v.at(r.AtMS); err == nil {
			v.ended = true
		}
	case "":
		err = errors.New(`expected a "type" field`)
	default:
		err = fmt.Errorf("expected type plan, scenario, stage or end, got %s", short(r.Type))
	}
	if err == nil {
		v.n++
	}
	return err
}

func (v *validator) header(r *record.Plan) error {
	if r.Version != record.Version {
		return fmt.Errorf("expected plan format version %d, got %d", record.Version, r.Version)
	}
	if v.n > 0 {
		return errors.New("expected the plan header only as the first record (two plans run together?)")
	}
	return nil
}

// at checks a record's time: within the limits and not before the last one.
func (v *validator) at(at *float64) error {
	if at == nil {
		return nil
	}
	if err := CheckMS("at_ms", *at); err != nil {
		return err
	}
	if *at < v.lastAt {
		return fmt.Errorf("expected at_ms >= %s (records in time order), got %s", num(v.lastAt), num(*at))
	}
	v.lastAt = *at
	return nil
}

func (v *validator) stage(r *record.Plan) error {
	if (r.Users == nil) == (r.RateRPS == nil) {
		return errors.New("expected a stage with exactly one of users or rate_rps")
	}
	if r.RateRPS != nil {
		if r.Group != "" {
			return errors.New("expected no group on a rate_rps stage (groups are closed-model users)")
		}
		if err := CheckRate(*r.RateRPS); err != nil {
			return err
		}
	} else {
		if *r.Users < 0 || *r.Users > MaxUsers {
			return rangeError("users", float64(*r.Users), 0, MaxUsers)
		}
		if total := v.total - v.users[r.Group] + *r.Users; total > MaxUsers {
			return fmt.Errorf("users %d: expected at most %d users in all groups together, got %d", *r.Users, MaxUsers, total)
		}
	}
	if err := CheckSpawn(derefOr(r.Users, 0), r.SpawnRate); err != nil {
		return err
	}
	if err := v.at(r.AtMS); err != nil {
		return err
	}
	if r.Users != nil {
		if v.users == nil {
			v.users = map[string]int{}
		}
		v.total += *r.Users - v.users[r.Group]
		v.users[r.Group] = *r.Users
	} else if *r.RateRPS > 0 { // a rate stage stops every closed-model user (fire)
		v.users, v.total = nil, 0
	}
	return nil
}

func derefOr[T any](p *T, or T) T {
	if p == nil {
		return or
	}
	return *p
}

func checkScenario(r *record.Plan) error {
	if len(r.Steps) == 0 {
		return errors.New("expected a scenario with at least one step")
	}
	if r.Order != "" && r.Order != "sequence" && r.Order != "random" {
		return fmt.Errorf("expected order \"sequence\" or \"random\", got %s", short(r.Order))
	}
	if err := CheckMS("think_ms", r.ThinkMS); err != nil {
		return err
	}
	if r.ThinkMaxMS != 0 {
		if err := CheckMS("think_max_ms", r.ThinkMaxMS); err != nil {
			return err
		}
		if r.ThinkMaxMS < r.ThinkMS {
			return fmt.Errorf("think_max_ms %s: expected 0 (none) or at least think_ms %s", num(r.ThinkMaxMS), num(r.ThinkMS))
		}
	}
	for i, s := range r.Steps {
		if err := checkStep(&s, len(r.Steps)-i); err != nil {
			return fmt.Errorf("step %d: %v", i+1, err)
		}
	}
	for _, k := range sortedKeys(r.Vars) {
		v := r.Vars[k]
		if k == "" || v[0] > v[1] || v[0] < -MaxVar || v[1] > MaxVar {
			return fmt.Errorf("var %s [%d, %d]: expected a name and [min, max] with %d <= min <= max <= %d", short(k), v[0], v[1], -MaxVar, MaxVar)
		}
	}
	return nil
}

// checkStep checks one request of a scenario; left is the number of steps
// from it to the scenario's end.
func checkStep(s *record.Request, left int) error {
	if !IsToken(s.Method) {
		return fmt.Errorf("method %s: expected an HTTP method (letters, no blanks)", short(s.Method))
	}
	if !strings.HasPrefix(s.Path, "/") || strings.ContainsAny(s.Path, "\x00\r\n ") {
		return fmt.Errorf("path %s: expected a path starting with / and without blanks or line breaks", short(s.Path))
	}
	for _, k := range sortedKeys(s.Headers) {
		if !IsToken(k) || strings.ContainsAny(s.Headers[k], "\x00\r\n") {
			return fmt.Errorf("header %s: expected a header name (a token) and a value without line breaks", short(k))
		}
	}
	if !within(s.Weight, 0, MaxWeight) {
		return rangeError("weight", s.Weight, 0, MaxWeight)
	}
	if s.Times != nil && (len(s.Times) != 2 || s.Times[0] < 0 || s.Times[1] < s.Times[0] || s.Times[1] > MaxTimes) {
		return fmt.Errorf("times %v: expected [min, max] with 0 <= min <= max <= %d", s.Times, MaxTimes)
	}
	if s.Span < 0 || s.Span > left {
		return fmt.Errorf("span %d: expected 0 to %d (the steps left in the scenario)", s.Span, left)
	}
	if !within(s.Chance, 0, 1) {
		return rangeError("chance", s.Chance, 0, 1)
	}
	return nil
}

// IsToken reports whether s is an HTTP token (RFC 9110): what a method or
// a header name must be.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// sortedKeys returns m's keys in order, so the first bad one reported is
// always the same.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
