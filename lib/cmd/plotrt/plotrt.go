// Package plotrt is the plotrt command: it draws perflab's figures (PNG or
// SVG) from histo, rampctl and arssim output, and from the original
// step-load executor's logs.
package plotrt

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/plot"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

type flags struct {
	Version  kong.VersionFlag `help:"Print the version and exit."`
	Strict   bool             `help:"A malformed line is an error (default: a warning naming file and line)."`
	Files    []string         `arg:"" optional:"" help:"Inputs: histo output, rampctl steps, arssim events, executor logs; - is stdin (default). Several runs go in one figure."`
	Output   string           `short:"o" default:"out.png" help:"Output file; .png or .svg."`
	Kind     string           `default:"auto" enum:"auto,rt,load,dist" help:"Chart: rt (response time over time), load (latency against load), dist (percentile distribution); auto picks by input."`
	Title    string           `help:"Figure title."`
	Events   []string         `help:"arssim --events files whose fault windows are shaded."`
	Limits   string           `default:"auto" help:"Requirement lines: 'study' (10 s mean, 30 s max), checks like 'p99<=2s', 'none', or auto (from the input's verdict, else study)."`
	FaultBnd string           `name:"fault-band" default:"" help:"Draw the expected fault band, e.g. 28s-36s (the study's)."`
	LogY     bool             `name:"log-y" help:"Logarithmic y axis."`
	Metric   string           `default:"mean+max" enum:"mean+max,p99" help:"load: which latencies to draw."`
	X        string           `default:"users" enum:"users,rate" help:"load: x axis is users or achieved req/s."`
	MinusMin bool             `help:"rt: also draw response time minus the minimum (as the original evaluator)."`
	Width    int              `default:"1200" help:"Width in pixels."`
	Height   int              `default:"720" help:"Height in pixels."`
}

// Run is the plotrt command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("plotrt", &f, args, stdout, stderr,
		kong.Description("Draw response-time figures from histo/rampctl/arssim output.\n\nExit codes: 0 ok, 2 usage or input error.")); !ok {
		return code
	}
	return cli.Fail(stderr, "plotrt", run(ctx, &f, stdin, stderr))
}

// read reads every input with the tools' one record reader.
func read(ctx context.Context, names []string, stdin io.Reader, p *record.Problems) ([]*plot.Data, error) {
	var out []*plot.Data
	for _, n := range names {
		r, err := cli.OpenIn(n, stdin)
		if err != nil {
			return nil, err
		}
		label := strings.TrimSuffix(filepath.Base(cli.DisplayName(n)), filepath.Ext(n))
		d, err := plot.Read(ctx, r, cli.DisplayName(n), p)
		r.Close()
		if err != nil {
			return nil, err
		}
		d.Name = label
		out = append(out, d)
	}
	return out, nil
}

func run(ctx context.Context, f *flags, stdin io.Reader, stderr io.Writer) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(f.Output)), ".")
	if format != "png" && format != "svg" {
		return cli.Usagef("-o %s: expected a .png or .svg file", f.Output)
	}
	if len(f.Files) == 0 {
		f.Files = []string{"-"}
	}
	probs := &record.Problems{Tool: "plotrt", W: stderr, Strict: f.Strict}
	data, err := read(ctx, f.Files, stdin, probs)
	if err != nil {
		return cli.Usage(err)
	}
	evs, err := read(ctx, f.Events, stdin, probs)
	if err != nil {
		return cli.Usage(err)
	}
	for _, e := range evs {
		data[0].Events = append(data[0].Events, e.Events...)
	}
	kind := f.Kind
	if kind == "auto" {
		kind = "rt"
		for _, d := range data {
			if len(d.Steps) > 0 {
				kind = "load"
			}
		}
	}
	limits, err := limitLines(f.Limits, data)
	if err != nil {
		return cli.Usage(err)
	}
	var fig *plot.Figure
	switch kind {
	case "rt":
		o := plot.RTOptions{Title: f.Title, Limits: limits, MinusMin: f.MinusMin, LogY: f.LogY, ShowMinimum: true}
		if o.Title == "" {
			o.Title = "Response times"
		}
		if f.FaultBnd != "" {
			lo, hi, ok := strings.Cut(f.FaultBnd, "-")
			dl, e1 := time.ParseDuration(lo)
			dh, e2 := time.ParseDuration(hi)
			if !ok || e1 != nil || e2 != nil || dh <= dl {
				return cli.Usagef("--fault-band %q: expected LOW-HIGH durations, e.g. 28s-36s", f.FaultBnd)
			}
			o.FaultBand, o.BandLow, o.BandHigh = true, dl.Seconds(), dh.Seconds()
		}
		fig, err = plot.ResponseTime(data, o)
	case "load":
		o := plot.LoadOptions{Title: f.Title, Metric: f.Metric, XRate: f.X == "rate", LogY: f.LogY, Limits: limits}
		if o.Title == "" {
			o.Title = "Response time against load"
		}
		fig, err = plot.Load(data, o)
	case "dist":
		t := f.Title
		if t == "" {
			t = "Response time percentile distribution"
		}
		fig, err = plot.Distribution(data, t)
	}
	if err != nil {
		return cli.Usage(err)
	}
	fig.Width, fig.Height = f.Width, f.Height
	b, err := fig.Render(format)
	if err != nil {
		return err
	}
	if err := os.WriteFile(f.Output, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "plotrt: wrote %s (%s chart)\n", f.Output, kind)
	return nil
}

// limitLines turns a requirement into horizontal lines in seconds.
func limitLines(spec string, data []*plot.Data) ([]plot.HLine, error) {
	if spec == "none" {
		return nil, nil
	}
	var checks []requirement.Check
	if spec == "auto" {
		for _, d := range data {
			checks = append(checks, d.Checks...)
		}
		if len(checks) == 0 {
			checks = requirement.Study().Checks
		}
	} else {
		r, err := requirement.Parse(spec)
		if err != nil {
			return nil, fmt.Errorf("--limits: %v", err)
		}
		checks = r.Checks
	}
	var out []plot.HLine
	seen := map[string]bool{}
	for _, c := range checks {
		if c.Metric == "errors" || seen[c.Metric] {
			continue // one line a metric, the first input's
		}
		seen[c.Metric] = true
		h := plot.HLine{Y: c.Limit / 1000, Color: plot.Red}
		switch c.Metric {
		case "mean":
			h.Name, h.Color, h.Dash = fmt.Sprintf("Average time allowed (%g s)", h.Y), plot.Yellow, true
		case "max":
			h.Name = fmt.Sprintf("Maximum time allowed (%g s)", h.Y)
		default:
			h.Name, h.Color, h.Dash = fmt.Sprintf("%s allowed (%g s)", c.Metric, h.Y), plot.Purple, true
		}
		out = append(out, h)
	}
	return out, nil
}
