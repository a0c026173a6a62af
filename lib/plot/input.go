package plot

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// Data is everything read from one input.
type Data struct {
	Name      string
	Intervals []record.Stats
	Summary   *record.Stats
	Steps     []record.Step
	Events    []record.Event
	// Checks are the requirement's limits from a verdict (or a rampctl
	// result), in the order the requirement lists them.
	Checks []requirement.Check
}

// Read parses one input with the tools' one record reader: histo/fire
// statistics, rampctl steps, arssim events, verdicts, and the original
// executor's "Clients:" lines. Other records and lines are skipped;
// malformed ones go to p (an error only with p.Strict).
func Read(ctx context.Context, r io.Reader, name string, p *record.Problems) (*Data, error) {
	d := &Data{Name: name}
	rd := record.NewReader(ctx, r, name, p)
	for rd.Next() {
		switch rd.Type() {
		case "":
			if i := strings.Index(string(rd.Bytes()), "Clients: "); i >= 0 {
				st, err := parseLegacy(string(rd.Bytes()[i:]))
				if err != nil {
					rd.Malformed(err)
					continue
				}
				d.Steps = append(d.Steps, st)
			}
		case record.TypeInterval, record.TypeSummary:
			var s record.Stats
			if !rd.Decode(&s) {
				continue
			}
			if s.Type == record.TypeSummary {
				d.Summary = &s
			} else {
				d.Intervals = append(d.Intervals, s)
			}
		case record.TypeStep:
			var s record.Step
			if rd.Decode(&s) {
				d.Steps = append(d.Steps, s)
			}
		case record.TypeEvent:
			var e record.Event
			if rd.Decode(&e) {
				d.Events = append(d.Events, e)
			}
		case record.TypeVerdict:
			var v record.Verdict
			if rd.Decode(&v) {
				d.setChecks(verdictChecks(&v))
			}
		case record.TypeResult:
			var res record.Result
			if !rd.Decode(&res) {
				continue
			}
			d.setChecks(parsedChecks(res.Requirement))
		}
	}
	return d, rd.Err()
}

// setChecks keeps the last requirement seen in the input.
func (d *Data) setChecks(c []requirement.Check) {
	if len(c) > 0 {
		d.Checks = c
	}
}

// verdictChecks takes a verdict's structured checks. A verdict written
// before checks carried limit_value gives its requirement string to the one
// requirement parser instead.
func verdictChecks(v *record.Verdict) []requirement.Check {
	var out []requirement.Check
	for _, c := range v.Checks {
		if c.LimitValue == 0 && c.Metric != "errors" {
			return parsedChecks(v.Requirement)
		}
		out = append(out, requirement.Check{Metric: c.Metric, Limit: c.LimitValue})
	}
	if len(out) == 0 {
		return parsedChecks(v.Requirement)
	}
	return out
}

// parsedChecks reads a requirement as records write it, "mean<=10s,max<=30s"
// with an optional " (legacy 2020 rule…)" note; nil if it does not parse.
func parsedChecks(s string) []requirement.Check {
	req, err := requirement.Parse(strings.SplitN(s, " (", 2)[0])
	if err != nil {
		return nil
	}
	return req.Checks
}

// parseLegacy reads "Clients: 200: avg: 0.149s, max: 10.217s".
func parseLegacy(s string) (record.Step, error) {
	f := strings.Fields(strings.NewReplacer(":", " ", ",", " ").Replace(s))
	// Clients N avg Xs max Ys
	if len(f) < 6 || f[0] != "Clients" || f[2] != "avg" || f[4] != "max" {
		return record.Step{}, fmt.Errorf("expected \"Clients: N: avg: Xs, max: Ys\"")
	}
	n, e1 := strconv.Atoi(f[1])
	avg, e2 := strconv.ParseFloat(strings.TrimSuffix(f[3], "s"), 64)
	mx, e3 := strconv.ParseFloat(strings.TrimSuffix(f[5], "s"), 64)
	if e1 != nil || e2 != nil || e3 != nil || n < 0 {
		return record.Step{}, fmt.Errorf("expected numbers in \"Clients: N: avg: Xs, max: Ys\"")
	}
	return record.Step{Type: record.TypeStep, Users: n, MeanMS: avg * 1000, MaxMS: mx * 1000}, nil
}
