// Package plotrt is the plotrt command: it draws perflab's figures (PNG or
// SVG) from histo, rampctl and arssim output and from the original
// step-load executor's logs, writes a run's report (one HTML file), and
// serves a live view of growing files.
package plotrt

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/plot"
	"github.com/perflab/perflab/lib/record"
)

type flags struct {
	Version    kong.VersionFlag `help:"Print the version and exit."`
	Strict     bool             `help:"A malformed line is an error (default: a warning naming file and line)."`
	Files      []string         `arg:"" optional:"" help:"Inputs: histo output, rampctl steps, arssim events, executor logs; - is stdin (default). Several runs go in one figure. A report takes one run directory."`
	Output     string           `short:"o" default:"out.png" help:"Output file: .png or .svg (a figure), .html (a run's report); - is stdout (then give --format)."`
	Format     string           `default:"auto" enum:"auto,png,svg,html" help:"Output format; auto: by the extension of -o."`
	Kind       string           `default:"auto" enum:"auto,rt,load,dist" help:"Chart: rt (response time over time), load (latency against load), dist (percentile distribution); auto picks by input."`
	Title      string           `help:"Figure title."`
	Label      []string         `sep:"none" help:"Name of an input in legends (repeatable, in order of the inputs) (default: the run directory's or the file's name)."`
	Events     []string         `sep:"none" help:"An arssim --events file whose fault windows are shaded (repeatable)."`
	Limits     string           `default:"auto" help:"Requirement lines: checks like 'p99<=2s', 'study' (10 s mean, 30 s max), 'none', or auto (the input's verdict or rampctl result; none without one)."`
	FaultBnd   string           `name:"fault-band" default:"" help:"Draw the expected fault band, e.g. 28s-36s (the study's)."`
	LogY       bool             `name:"log-y" help:"Logarithmic y axis."`
	Metric     string           `default:"auto" help:"load: latencies to draw, e.g. p99 or mean,max (mean, p50, p99, max); auto: those the requirement checks."`
	X          string           `default:"users" enum:"users,rate" help:"load: x axis is users or achieved req/s."`
	MinusMin   bool             `help:"rt: also draw response time minus the minimum (as the original evaluator)."`
	ModelClock string           `name:"model-clock" help:"rt: label a model-time axis as the model's clock from this time of day (HH:MM[:SS]), e.g. a replayed trace's start."`
	Width      int              `default:"1200" help:"Width in pixels (400 to 8000)."`
	Height     int              `default:"720" help:"Height in pixels (300 to 8000)."`
	Live       string           `help:"Serve a live view of the inputs on this address (e.g. 127.0.0.1:8090) instead of drawing once."`
	LiveToken  string           `name:"live-token" help:"Token every live-view request must carry (?token=…); needed for an address other than loopback."`
}

// Run is the plotrt command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("plotrt", &f, args, stdout, stderr,
		kong.Description("Draw response-time figures from histo/rampctl/arssim output, write a run's HTML report, or serve a live view.\n\n"+
			"Exit codes: 0 ok, 2 usage or input error.")); !ok {
		return code
	}
	return cli.Fail(stderr, "plotrt", run(ctx, &f, stdin, stdout, stderr))
}

func run(ctx context.Context, f *flags, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := plot.CheckSize(f.Width, f.Height); err != nil {
		return cli.Usage(err)
	}
	if len(f.Files) == 0 {
		f.Files = []string{"-"}
	}
	if f.Live != "" {
		return serveLive(ctx, f, stderr)
	}
	format, err := outFormat(f)
	if err != nil {
		return err
	}
	probs := &record.Problems{Tool: "plotrt", W: stderr, Strict: f.Strict}
	if format == "html" {
		return writeReport(ctx, f, probs, stdout, stderr)
	}
	fig, kind, err := figure(ctx, f, stdin, probs)
	if err != nil {
		return err
	}
	fig.Width, fig.Height = f.Width, f.Height
	b, err := fig.Render(format)
	if err != nil {
		return err
	}
	if err := writeOut(f.Output, b, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "plotrt: wrote %s (%s chart)\n", outName(f.Output), kind)
	return nil
}

func outName(path string) string {
	if path == "-" {
		return "stdout"
	}
	return path
}

// outFormat is png, svg or html, from --format or the extension of -o.
func outFormat(f *flags) (string, error) {
	if f.Format != "auto" {
		return f.Format, nil
	}
	if f.Output == "-" {
		return "", cli.Usagef("-o -: give --format png, svg or html for stdout")
	}
	switch ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(f.Output)), "."); ext {
	case "png", "svg", "html":
		return ext, nil
	}
	return "", cli.Usagef("-o %s: expected a .png, .svg or .html file (or --format)", f.Output)
}

// writeOut writes b whole to path ("-": stdout); the error names the file.
func writeOut(path string, b []byte, stdout io.Writer) error {
	out, err := cli.CreateOut(path, stdout)
	if err != nil {
		return err
	}
	out.Write(b)
	return out.Close()
}

// read reads every input with the tools' one record reader; an input with
// nothing plotrt can use is an error naming it, unless emptyOK (--events: a
// run without faults writes an empty events file) and nothing in it was
// malformed.
func read(ctx context.Context, names, labels []string, stdin io.Reader, p *record.Problems, emptyOK bool) ([]*plot.Data, error) {
	var out []*plot.Data
	for i, n := range names {
		r, err := cli.OpenIn(n, stdin)
		if err != nil {
			return nil, err
		}
		d, err := plot.Read(ctx, r, cli.DisplayName(n), p)
		r.Close()
		if err != nil {
			return nil, cli.Usage(err)
		}
		if d.Empty() && !(emptyOK && d.Malformed == 0) {
			return nil, cli.Usage(emptyError(d))
		}
		d.Name = inputLabel(n, names)
		if i < len(labels) {
			d.Name = labels[i]
		}
		out = append(out, d)
	}
	return out, nil
}

func emptyError(d *plot.Data) error {
	why := "it is empty or holds no perflab record"
	if d.Malformed > 0 {
		why = fmt.Sprintf("all %d lines with records are malformed", d.Malformed)
	}
	return fmt.Errorf("%s: nothing to draw: %s (expected histo or fire --feedback statistics, rampctl steps, arssim events or executor \"Clients:\" lines)", d.File, why)
}

// inputLabel names an input after its run: the run directory (it holds a
// manifest.json) for a file in one, else the file's name without extension.
func inputLabel(path string, all []string) string {
	if path == "" || path == "-" {
		return "stdin"
	}
	stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	dir := filepath.Dir(path)
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		return stem
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return stem
	}
	sameDir := 0
	for _, p := range all {
		if filepath.Dir(p) == dir {
			sameDir++
		}
	}
	if sameDir > 1 {
		return filepath.Base(abs) + " " + stem
	}
	return filepath.Base(abs)
}
