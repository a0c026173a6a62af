package plotrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/plot"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// figure reads the inputs and builds the chart the flags ask for.
func figure(ctx context.Context, f *flags, stdin io.Reader, probs *record.Problems) (*plot.Figure, string, error) {
	data, err := read(ctx, f.Files, f.Label, stdin, probs, false)
	if err != nil {
		return nil, "", err
	}
	evs, err := read(ctx, f.Events, nil, stdin, probs, true)
	if err != nil {
		return nil, "", err
	}
	for _, e := range evs {
		data[0].Events = append(data[0].Events, e.Events...)
	}
	kind := f.Kind
	if kind == "auto" {
		kind = autoKind(data)
	}
	checks, err := limitChecks(f.Limits, data)
	if err != nil {
		return nil, "", cli.Usage(err)
	}
	var fig *plot.Figure
	switch kind {
	case "rt":
		fig, err = rtFigure(f, data, checks)
	case "load":
		fig, err = loadFigure(f, data, checks)
	case "dist":
		fig, err = plot.Distribution(data, orDefault(f.Title, "Response time percentile distribution"))
	}
	var flagErr *cli.ExitError
	if errors.As(err, &flagErr) {
		return nil, "", err
	}
	if err != nil {
		return nil, "", cli.Usage(inputsError(f.Files, err))
	}
	return fig, kind, nil
}

// inputsError names the inputs a chart could not be drawn from.
func inputsError(files []string, err error) error {
	var names []string
	for _, n := range files {
		names = append(names, cli.DisplayName(n))
	}
	return fmt.Errorf("%s: %v", strings.Join(names, ", "), err)
}

func autoKind(data []*plot.Data) string {
	for _, d := range data {
		if len(d.Steps) > 0 {
			return "load"
		}
	}
	for _, d := range data {
		if len(d.Intervals) > 0 {
			return "rt"
		}
	}
	return "dist"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func rtFigure(f *flags, data []*plot.Data, checks []requirement.Check) (*plot.Figure, error) {
	o := plot.RTOptions{Title: orDefault(f.Title, "Response times"), Limits: plot.LimitLines(checks, nil),
		MinusMin: f.MinusMin, LogY: f.LogY, ShowMinimum: true}
	if f.FaultBnd != "" {
		lo, hi, ok := strings.Cut(f.FaultBnd, "-")
		dl, e1 := time.ParseDuration(lo)
		dh, e2 := time.ParseDuration(hi)
		if !ok || e1 != nil || e2 != nil || dh <= dl || dl < 0 {
			return nil, cli.Usagef("--fault-band %q: expected LOW-HIGH durations, e.g. 28s-36s", f.FaultBnd)
		}
		o.FaultBand, o.BandLow, o.BandHigh = true, dl.Seconds(), dh.Seconds()
	}
	if f.ModelClock != "" {
		s, err := dayClock(f.ModelClock)
		if err != nil {
			return nil, cli.Usage(err)
		}
		o.ClockStart = s
	}
	return plot.ResponseTime(data, o)
}

// dayClock reads HH:MM or HH:MM:SS as seconds since midnight (0 is taken
// as 1 s after it, since 0 means "no clock").
func dayClock(s string) (float64, error) {
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return max(float64(t.Hour()*3600+t.Minute()*60+t.Second()), 1e-9), nil
		}
	}
	return 0, fmt.Errorf("--model-clock %q: expected a time of day HH:MM or HH:MM:SS", s)
}

func loadFigure(f *flags, data []*plot.Data, checks []requirement.Check) (*plot.Figure, error) {
	o := plot.LoadOptions{Title: orDefault(f.Title, "Response time against load"), XRate: f.X == "rate", LogY: f.LogY}
	if f.Metric != "auto" {
		for _, m := range strings.Split(f.Metric, ",") {
			m = strings.TrimSpace(m)
			if !contains(plot.StepMetrics, m) {
				return nil, cli.Usagef("--metric %q: expected mean, p50, p99 or max, or a comma list of them", m)
			}
			o.Metrics = append(o.Metrics, m)
		}
	}
	metrics := o.Metrics
	if metrics == nil {
		metrics = plot.LoadMetrics(data)
	}
	o.Limits = plot.LimitLines(checks, metrics)
	return plot.Load(data, o)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// limitChecks is the requirement whose limits are drawn: --limits, or the
// inputs' own (none when they carry none).
func limitChecks(spec string, data []*plot.Data) ([]requirement.Check, error) {
	switch spec {
	case "none":
		return nil, nil
	case "auto":
		var checks []requirement.Check
		for _, d := range data {
			checks = append(checks, d.Checks...)
		}
		return checks, nil
	}
	r, err := requirement.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("--limits: %v", err)
	}
	return r.Checks, nil
}
