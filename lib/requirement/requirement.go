// Package requirement checks latency statistics against real-time
// requirements (EN 50136 as used by the study: mean ≤ 10 s and max ≤ 30 s).
// It is the one requirements check every perflab tool uses.
package requirement

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// Check is one limit: a metric at most a value.
type Check struct {
	Metric string  // mean, max, p50, p90, p95, p99, p999, errors
	Limit  float64 // milliseconds, or a fraction for errors
}

// Requirement is a set of checks. By default a result passes only if every
// check holds. Legacy2020 reproduces the 2020 script's rule, which failed a
// level only when every check was broken (`not (avg > 10 and max > 30)`).
type Requirement struct {
	Checks     []Check
	Legacy2020 bool
}

// Study is the preset named after the study: mean ≤ 10 s and max ≤ 30 s.
func Study() Requirement {
	return Requirement{Checks: []Check{{Metric: "mean", Limit: 10000}, {Metric: "max", Limit: 30000}}}
}

var metrics = map[string]bool{"mean": true, "max": true, "p50": true, "p90": true, "p95": true, "p99": true, "p999": true, "errors": true}

// Parse reads "mean<=10s,max<=30s,p99<=2s,errors<=1%" or a preset name
// ("study"). Durations take Go units (ms, s, m); errors take a percent or a fraction.
func Parse(s string) (Requirement, error) {
	s = strings.TrimSpace(s)
	if s == "study" || s == "en50136" {
		return Study(), nil
	}
	var r Requirement
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if part == "study" {
			r.Checks = append(r.Checks, Study().Checks...)
			continue
		}
		i := strings.Index(part, "<=")
		if i < 0 {
			return r, fmt.Errorf("requirement %q: expected METRIC<=LIMIT, e.g. p99<=2s", part)
		}
		m, v := strings.TrimSpace(part[:i]), strings.TrimSpace(part[i+2:])
		if m == "p99.9" {
			m = "p999"
		}
		if !metrics[m] {
			return r, fmt.Errorf("requirement %q: unknown metric %q (mean, max, p50, p90, p95, p99, p999, errors)", part, m)
		}
		var lim float64
		var err error
		if m == "errors" {
			lim, err = ParseFraction(v)
		} else {
			var d time.Duration
			d, err = time.ParseDuration(v)
			lim = float64(d) / float64(time.Millisecond)
		}
		if err != nil {
			return r, fmt.Errorf("requirement %q: %v", part, err)
		}
		r.Checks = append(r.Checks, Check{Metric: m, Limit: lim})
	}
	return r, nil
}

// ParseFraction reads "1%" or "0.01".
func ParseFraction(v string) (float64, error) {
	pct := strings.HasSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("expected a fraction like 1%% or 0.01, got %q", v)
	}
	if pct {
		f /= 100
	}
	return f, nil
}

// Add appends a check if the limit is set (> 0); errors limit is a fraction.
func (r *Requirement) Add(metric string, limit float64) {
	if limit > 0 {
		r.Checks = append(r.Checks, Check{Metric: metric, Limit: limit})
	}
}

// Empty reports whether there is nothing to check.
func (r Requirement) Empty() bool { return len(r.Checks) == 0 }

// String writes the requirement back in Parse's syntax.
func (r Requirement) String() string {
	var parts []string
	for _, c := range r.Checks {
		parts = append(parts, c.Metric+"<="+c.limitString())
	}
	s := strings.Join(parts, ",")
	if r.Legacy2020 {
		s += " (legacy 2020 rule: fails only if all are broken)"
	}
	return s
}

func (c Check) limitString() string {
	if c.Metric == "errors" {
		return strconv.FormatFloat(c.Limit*100, 'g', -1, 64) + "%"
	}
	return time.Duration(c.Limit * float64(time.Millisecond)).String()
}

// Value returns a metric of s: milliseconds, or the error fraction.
func Value(s *record.Stats, metric string) float64 {
	switch metric {
	case "mean":
		return s.MeanMS
	case "max":
		return s.MaxMS
	case "p50":
		return s.P50MS
	case "p90":
		return s.P90MS
	case "p95":
		return s.P95MS
	case "p99":
		return s.P99MS
	case "p999":
		return s.P999MS
	case "errors":
		if n := s.Count + s.Errors; n > 0 {
			return float64(s.Errors) / float64(n)
		}
	}
	return 0
}

// Evaluate checks s. A result with no responses at all fails every latency
// check: a server that answers nothing does not meet a real-time requirement.
func (r Requirement) Evaluate(s *record.Stats) record.Verdict {
	v := record.Verdict{Type: record.TypeVerdict, Requirement: r.String(), Pass: true}
	anyPass := false
	for _, c := range r.Checks {
		val := Value(s, c.Metric)
		ok := val <= c.Limit
		if s.Count == 0 && c.Metric != "errors" {
			ok = false
		}
		v.Checks = append(v.Checks, record.Check{Metric: c.Metric, Limit: c.limitString(), LimitValue: c.Limit, Value: val, Pass: ok})
		anyPass = anyPass || ok
		if !ok {
			v.Pass = false
		}
	}
	if r.Legacy2020 && len(r.Checks) > 0 {
		v.Pass = anyPass
	}
	return v
}

// Flags are the requirement flags shared by histo and rampctl (kong tags).
type Flags struct {
	Require    string        `help:"Requirement: 'study' (mean<=10s and max<=30s) or checks like 'p99<=2s,errors<=1%'."`
	MaxMean    time.Duration `help:"Requirement: mean at most this."`
	MaxMax     time.Duration `help:"Requirement: maximum at most this."`
	MaxP99     time.Duration `name:"max-p99" help:"Requirement: p99 at most this."`
	MaxErrors  string        `help:"Requirement: errors at most this share of sends (1% or 0.01)."`
	Legacy2020 bool          `name:"legacy-2020" help:"The 2020 script's rule: a result fails only if every check is broken."`
}

// Requirement combines the flags into one requirement.
func (f *Flags) Requirement() (Requirement, error) {
	r, err := Parse(f.Require)
	if err != nil {
		return r, fmt.Errorf("--require: %v", err)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r.Add("mean", ms(f.MaxMean))
	r.Add("max", ms(f.MaxMax))
	r.Add("p99", ms(f.MaxP99))
	if f.MaxErrors != "" {
		fr, err := ParseFraction(f.MaxErrors)
		if err != nil {
			return r, fmt.Errorf("--max-errors: %v", err)
		}
		r.Checks = append(r.Checks, Check{Metric: "errors", Limit: fr})
	}
	r.Legacy2020 = f.Legacy2020
	return r, nil
}

// Headroom is the largest share of its limit any check uses: ≤ 1 passes
// (under the default rule). It grows with load, so a search can interpolate
// where it crosses 1. A result with no response has headroom 1e9.
func (r Requirement) Headroom(s *record.Stats) float64 {
	h := 0.0
	for _, c := range r.Checks {
		v := Value(s, c.Metric)
		if s.Count == 0 && c.Metric != "errors" {
			return 1e9
		}
		if c.Limit > 0 {
			h = max(h, v/c.Limit)
		} else if v > 0 {
			return 1e9
		}
	}
	return h
}
