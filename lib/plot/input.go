package plot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// Data is everything read from one input.
type Data struct {
	// Name labels the input in legends: the run, not the tool that wrote it.
	Name string
	// File is the input's name in messages (a path, or "stdin").
	File      string
	Intervals []record.Stats
	ivLines   []int // each interval's line, for messages
	Summary   *record.Stats
	// Groups are per-group summaries (histo --by name|status), in input order.
	Groups []record.Stats
	Steps  []record.Step
	// Judged: the steps say whether they passed (rampctl's records, or the
	// original executor's "--> True/False" lines).
	Judged  bool
	Result  *record.Result
	Events  []record.Event
	Verdict *record.Verdict
	// Checks are the requirement's limits from a verdict (or a rampctl
	// result), in the order the requirement lists them.
	Checks []requirement.Check
	// Hist is the summary's histogram, decoded (nil without one).
	Hist *hist.H
	// Malformed counts the input's lines that could not be used.
	Malformed int64
}

// Scale is the input's time scale: model time = real ÷ Scale (1: real time).
func (d *Data) Scale() float64 {
	switch {
	case d.Summary != nil && d.Summary.TimeScale > 0:
		return d.Summary.TimeScale
	case len(d.Intervals) > 0 && d.Intervals[0].TimeScale > 0:
		return d.Intervals[0].TimeScale
	case len(d.Steps) > 0 && d.Steps[0].TimeScale > 0:
		return d.Steps[0].TimeScale
	}
	return 1
}

// Empty reports whether the input holds nothing plotrt can use.
func (d *Data) Empty() bool {
	return len(d.Intervals) == 0 && d.Summary == nil && len(d.Steps) == 0 && len(d.Events) == 0 &&
		d.Verdict == nil && d.Result == nil && len(d.Groups) == 0
}

// Read parses one input with the tools' one record reader: histo/fire
// statistics, rampctl steps and result, arssim events, verdicts, and the
// original executor's "Clients:" lines. Other records and lines are
// skipped; malformed ones go to p (an error only with p.Strict).
func Read(ctx context.Context, r io.Reader, name string, p *record.Problems) (*Data, error) {
	d := &Data{Name: name, File: name}
	before := p.Count()
	rd := record.NewReader(ctx, r, name, p)
	for rd.Next() {
		d.Take(rd)
	}
	d.Malformed = p.Count() - before
	return d, rd.Err()
}

// Take adds the reader's current line to d (a reader of a growing file
// calls it line by line); a line it cannot use is reported as malformed.
func (d *Data) Take(rd *record.Reader) {
	if err := d.add(rd); err != nil {
		rd.Malformed(err)
	}
}

// Trim keeps the last n intervals, steps and events: a follower of a
// growing file holds bounded memory.
func (d *Data) Trim(n int) {
	if k := len(d.Intervals) - n; k > 0 {
		d.Intervals = append(d.Intervals[:0:0], d.Intervals[k:]...)
		d.ivLines = append(d.ivLines[:0:0], d.ivLines[k:]...)
	}
	if k := len(d.Steps) - n; k > 0 {
		d.Steps = append(d.Steps[:0:0], d.Steps[k:]...)
	}
	if k := len(d.Events) - n; k > 0 {
		d.Events = append(d.Events[:0:0], d.Events[k:]...)
	}
	if k := len(d.Groups) - n; k > 0 {
		d.Groups = append(d.Groups[:0:0], d.Groups[k:]...)
	}
}

// add takes the reader's current line into d; an error marks it malformed.
func (d *Data) add(rd *record.Reader) error {
	switch rd.Type() {
	case "":
		return d.addLegacy(string(rd.Bytes()))
	case record.TypeInterval, record.TypeSummary:
		var s record.Stats
		if !rd.Decode(&s) {
			return nil
		}
		return d.addStats(&s, rd.Line())
	case record.TypeStep:
		var s record.Step
		if !rd.Decode(&s) {
			return nil
		}
		if err := validStep(&s); err != nil {
			return err
		}
		d.Steps, d.Judged = append(d.Steps, s), true
	case record.TypeEvent:
		var e record.Event
		if rd.Decode(&e) {
			d.Events = append(d.Events, e)
		}
	case record.TypeVerdict:
		var v record.Verdict
		if rd.Decode(&v) {
			d.Verdict = &v
			d.setChecks(verdictChecks(&v))
		}
	case record.TypeResult:
		var res record.Result
		if rd.Decode(&res) {
			d.Result = &res
			d.setChecks(parsedChecks(res.Requirement))
		}
	}
	return nil
}

func (d *Data) addStats(s *record.Stats, line int) error {
	if err := validStats(s); err != nil {
		return err
	}
	switch {
	case s.Type == record.TypeInterval:
		d.Intervals, d.ivLines = append(d.Intervals, *s), append(d.ivLines, line)
	case s.By != "":
		d.Groups = append(d.Groups, *s)
	default:
		var h *hist.H
		if s.Hist != "" {
			var err error
			if h, err = hist.Decode(s.Hist); err != nil {
				return err
			}
		}
		d.Summary, d.Hist = s, h
	}
	return nil
}

// validStats refuses statistics no run can have produced: negative counts,
// latencies that are negative or not numbers, a minimum above the maximum.
func validStats(s *record.Stats) error {
	if s.Count < 0 || s.Errors < 0 {
		return errors.New("negative count or errors")
	}
	for _, v := range append(s.Latencies(), &s.RPS, &s.TimeScale, &s.P95MS) {
		if *v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0) {
			return fmt.Errorf("latency or rate %v is not a finite number >= 0", *v)
		}
	}
	if s.Count > 0 && s.MinMS > s.MaxMS {
		return fmt.Errorf("min_ms %g above max_ms %g", s.MinMS, s.MaxMS)
	}
	return nil
}

func validStep(s *record.Step) error {
	for _, v := range []float64{s.MeanMS, s.P50MS, s.P99MS, s.MaxMS, s.AchievedRPS, s.OfferedRPS, s.TimeScale} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("latency or rate %v is not a finite number >= 0", v)
		}
	}
	if s.Users < 0 || s.Count < 0 || s.Errors < 0 {
		return errors.New("negative users, count or errors")
	}
	return nil
}

// addLegacy reads the original executor's lines: "Clients: N: avg: Xs,
// max: Ys", its verdict "--> True" for that level, and "System failed at N".
func (d *Data) addLegacy(line string) error {
	switch {
	case strings.Contains(line, "Clients: "):
		st, err := parseLegacy(line[strings.Index(line, "Clients: "):])
		if err != nil {
			return err
		}
		d.Steps = append(d.Steps, st)
	case strings.Contains(line, "--> ") && len(d.Steps) > 0:
		v := strings.TrimSpace(line[strings.Index(line, "--> ")+4:])
		d.Steps[len(d.Steps)-1].Pass, d.Judged = v == "True", true
	case strings.Contains(line, "System failed at "):
		n, err := strconv.Atoi(strings.TrimSpace(line[strings.Index(line, "System failed at ")+17:]))
		if err != nil || n < 0 {
			return errors.New(`expected "System failed at N"`)
		}
		d.Result = &record.Result{Type: record.TypeResult, Found: true, FirstFailUsers: n, SaturationUsers: lastPass(d.Steps, n)}
	}
	return nil
}

// lastPass is the highest passing level below n.
func lastPass(steps []record.Step, n int) int {
	best := 0
	for _, s := range steps {
		if s.Pass && s.Users < n && s.Users > best {
			best = s.Users
		}
	}
	return best
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
	if e1 != nil || e2 != nil || e3 != nil || n < 0 || !(avg >= 0 && mx >= 0) || math.IsInf(avg+mx, 0) {
		return record.Step{}, fmt.Errorf("expected numbers in \"Clients: N: avg: Xs, max: Ys\"")
	}
	return record.Step{Type: record.TypeStep, Users: n, MeanMS: avg * 1000, MaxMS: mx * 1000}, nil
}

// histogram is the run's histogram: the summary's, else the intervals'
// merged; nil without one.
func (d *Data) histogram() (*hist.H, error) {
	if d.Hist != nil {
		return d.Hist, nil
	}
	var h *hist.H
	for i, iv := range d.Intervals {
		if iv.Hist == "" {
			continue
		}
		x, err := hist.Decode(iv.Hist)
		if err != nil {
			line := 0
			if i < len(d.ivLines) {
				line = d.ivLines[i]
			}
			return nil, fmt.Errorf("%s:%d: %v", d.File, line, err)
		}
		if h == nil {
			h = hist.New()
		}
		h.Merge(x)
	}
	return h, nil
}
