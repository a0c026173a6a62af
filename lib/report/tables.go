package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/plot"
	"github.com/perflab/perflab/lib/record"
)

type verdictView struct {
	Source, Requirement string
	Pass                bool
	Checks              []checkRow
}

type checkRow struct {
	Metric, Limit, Value, Margin, Used string
	Pass                               bool
}

type statRow struct {
	Label                                     string
	Count, Errors, RPS                        string
	Min, P50, P90, P95, P99, P999, Max, Scale string
}

type eventRow struct{ Time, Event, Fault, Outage, Detect string }

type levelRow struct {
	N, Users, Start, Length, Offered, Achieved, Count, Errors string
	Mean, P50, P99, Max, Headroom, Outcome                    string
	Pass                                                      bool
}

// verdicts are every input's verdict with each check's margin.
func (r *Run) verdicts() []verdictView {
	var out []verdictView
	for _, d := range r.Inputs {
		if v := d.Verdict; v != nil {
			vv := verdictView{Source: d.Name + ".jsonl", Requirement: v.Requirement, Pass: v.Pass}
			for _, c := range v.Checks {
				vv.Checks = append(vv.Checks, checkRowOf(c))
			}
			out = append(out, vv)
		}
	}
	return out
}

func checkRowOf(c record.Check) checkRow {
	row := checkRow{Metric: c.Metric, Limit: c.Limit, Pass: c.Pass}
	f := ms
	if c.Metric == "errors" {
		f = percent
	}
	row.Value, row.Margin = f(c.Value), f(c.LimitValue-c.Value)
	if c.LimitValue > 0 {
		row.Used = fmt.Sprintf("%.0f %%", 100*c.Value/c.LimitValue)
	}
	if c.LimitValue-c.Value > 0 {
		row.Margin = "+" + row.Margin
	}
	return row
}

// statRows are the per-group summaries of one kind (histo --by), or nil.
func (r *Run) statRows(by string) []statRow {
	var out []statRow
	for _, d := range r.Inputs {
		for i := range d.Groups {
			if g := &d.Groups[i]; g.By == by {
				out = append(out, statRowOf(g.Group, g, nil))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}

// summaryRows are, without per-group records, every input's whole-run
// summary, labelled by its file.
func (r *Run) summaryRows() []statRow {
	var out []statRow
	for _, d := range r.Inputs {
		if d.Summary != nil {
			out = append(out, statRowOf(d.Name+".jsonl", d.Summary, d.Hist))
		}
	}
	return out
}

// statusRows split the main summary into answered sends and errors when
// no per-status records exist.
func statusRows(d *plot.Data) []statRow {
	s := d.Summary
	ok := statRowOf("answered (2xx, 3xx)", s, d.Hist)
	ok.Errors = "0"
	bad := statRow{Label: "failed (other status or transport error)", Count: strconv.FormatInt(s.Errors, 10), Errors: strconv.FormatInt(s.Errors, 10)}
	ok.Count = strconv.FormatInt(s.Count, 10)
	return []statRow{ok, bad}
}

func statRowOf(label string, s *record.Stats, h *hist.H) statRow {
	p95 := s.P95MS
	scale := s.TimeScale
	if scale == 0 {
		scale = 1
	}
	if p95 == 0 && s.Count > 0 {
		if h == nil && s.Hist != "" {
			h, _ = hist.Decode(s.Hist)
		}
		if h != nil {
			p95 = math.Min(math.Max(float64(h.Quantile(0.95))/1000/scale, s.MinMS), s.MaxMS)
		}
	}
	row := statRow{Label: label, Count: strconv.FormatInt(s.Count, 10), Errors: strconv.FormatInt(s.Errors, 10),
		RPS: trim(s.RPS, 3), Min: ms(s.MinMS), P50: ms(s.P50MS), P90: ms(s.P90MS), P95: "–", P99: ms(s.P99MS),
		P999: ms(s.P999MS), Max: ms(s.MaxMS), Scale: "real"}
	if p95 > 0 {
		row.P95 = ms(p95)
	}
	if s.TimeScale > 0 && s.TimeScale != 1 {
		row.Scale = "model (×" + trim(s.TimeScale, 4) + ")"
	}
	if s.Count == 0 {
		row.Min, row.P50, row.P90, row.P95, row.P99, row.P999, row.Max = "–", "–", "–", "–", "–", "–", "–"
	}
	return row
}

// eventRows list the events; their durations (real seconds) are given in
// model time for a time-scaled run.
func eventRows(evs []record.Event, scale float64) []eventRow {
	var out []eventRow
	for _, e := range evs {
		row := eventRow{Time: stamp(e.TS), Event: e.Event, Fault: "–", Outage: "–", Detect: "–"}
		if e.Fault > 0 {
			row.Fault = strconv.Itoa(e.Fault)
		}
		if e.OutageS > 0 {
			row.Outage = trim(e.OutageS/scale, 2) + " s"
		}
		if e.DetectS > 0 {
			row.Detect = trim(e.DetectS/scale, 2) + " s"
		}
		out = append(out, row)
	}
	return out
}

func levelRows(steps []record.Step) []levelRow {
	var out []levelRow
	for i, s := range steps {
		row := levelRow{N: strconv.Itoa(i + 1), Users: strconv.Itoa(s.Users), Start: stamp(s.Start), Length: "–",
			Offered: trim(s.OfferedRPS, 1), Achieved: trim(s.AchievedRPS, 1), Count: strconv.FormatInt(s.Count, 10),
			Errors: strconv.FormatInt(s.Errors, 10), Mean: ms(s.MeanMS), P50: ms(s.P50MS), P99: ms(s.P99MS), Max: ms(s.MaxMS),
			Headroom: trim(s.Headroom, 3), Pass: s.Pass, Outcome: "FAIL"}
		if d := s.End.Sub(s.Start); !s.Start.IsZero() && d > 0 {
			row.Length = trim(d.Seconds(), 1) + " s"
		}
		if s.Pass {
			row.Outcome = "pass"
		}
		switch {
		case s.EarlyStop:
			row.Outcome += ", ended early"
		case s.EarlyPass:
			row.Outcome += ", ended early"
		case s.Resumed:
			row.Outcome += ", resumed"
		}
		out = append(out, row)
	}
	return out
}

// ms formats milliseconds for people: 812 ms, 2.813 s.
func ms(v float64) string {
	if math.Abs(v) >= 1000 {
		return trim(v/1000, 3) + " s"
	}
	return trim(v, 1) + " ms"
}

func percent(f float64) string { return trim(100*f, 3) + " %" }

func trim(v float64, digits int) string {
	p := math.Pow10(digits)
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}
