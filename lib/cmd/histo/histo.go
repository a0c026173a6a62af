// Package histo is the histo command: it turns response-time logs into
// HdrHistogram statistics, interval and summary records as JSON lines, and a
// requirements verdict.
package histo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/jsonl"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
	"github.com/perflab/perflab/lib/stats"
)

type flags struct {
	Version           kong.VersionFlag `help:"Print the version and exit."`
	Strict            bool             `help:"A malformed line is an error (default: a warning naming file and line, counted as malformed)."`
	Files             []string         `arg:"" optional:"" help:"Logs to read (Locust format, fire samples, histo or fire statistics); - is stdin (default). Several files merge by time."`
	Interval          time.Duration    `default:"1s" help:"Length of an interval record (0: summary only)."`
	Exceed            string           `default:"10s,30s" help:"Count responses above each of these (the study's faults > 10 s and above requirements > 30 s)."`
	requirement.Flags `embed:"" group:"Requirement (a verdict record follows; exit 1 if it fails)"`
	Hgrm              string  `help:"Also write the whole run's percentile distribution (.hgrm, ms) to this file."`
	NoHist            bool    `help:"Leave encoded histograms out of interval records (smaller output)."`
	UTC               bool    `name:"utc" help:"Locust timestamps are UTC (default: local time, as Locust writes them)."`
	Quiet             bool    `short:"q" help:"No human-readable summary on stderr."`
	TimeScale         float64 `default:"1" help:"The run's simulator --time-scale: latencies are divided by it, so statistics and requirements are in model time."`
	Name              string  `help:"Only the responses of this request: fire's log lines fire.NAME and samples named NAME, Locust lines whose logger is NAME (e.g. the alarms of a production run: ID_REQ_KC_STORE7D3BPACKET)."`
}

// Run is the histo command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("histo", &f, args, stdout, stderr,
		kong.Description("Read response-time logs and write interval and summary statistics as JSON lines (docs/formats.md).\n\n"+
			"Exit codes: 0 ok, 1 a requirement was violated, 2 usage or input error.")); !ok {
		return code
	}
	return cli.Fail(stderr, "histo", run(ctx, &f, stdin, stdout, stderr))
}

func thresholds(s string) ([]hist.Threshold, error) {
	var ts []hist.Threshold
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		d, err := time.ParseDuration(p)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--exceed %q: expected durations like 10s,30s", s)
		}
		ts = append(ts, hist.Threshold{Label: p, D: d})
	}
	return ts, nil
}

func run(ctx context.Context, f *flags, stdin io.Reader, stdout, stderr io.Writer) error {
	ex, err := thresholds(f.Exceed)
	if err != nil {
		return cli.Usage(err)
	}
	req, err := f.Requirement()
	if err != nil {
		return cli.Usage(err)
	}
	if len(f.Files) == 0 {
		f.Files = []string{"-"}
	}
	var inputs []stats.Input
	for _, name := range f.Files {
		r, err := cli.OpenIn(name, stdin)
		if err != nil {
			return err
		}
		defer r.Close()
		inputs = append(inputs, stats.Input{Name: cli.DisplayName(name), R: r})
	}
	if !(f.TimeScale > 0) || math.IsInf(f.TimeScale, 0) {
		return cli.Usagef("--time-scale %v: expected a positive number", f.TimeScale)
	}
	probs := &record.Problems{Tool: "histo", W: stderr, Strict: f.Strict}
	opts := stats.Options{Interval: f.Interval, Exceed: ex, NoHist: f.NoHist, Problems: probs, TimeScale: f.TimeScale, Name: f.Name}
	if f.UTC {
		opts.Loc = time.UTC
	}
	out := bufio.NewWriter(stdout)
	res, err := stats.Run(ctx, opts, inputs, out)
	if err != nil {
		out.Flush()
		return cli.Usage(err)
	}
	if !f.Quiet {
		printStudy(stderr, &res.Summary, ex, res.Late)
	}
	if f.Hgrm != "" {
		hf, err := os.Create(f.Hgrm)
		if err != nil {
			return cli.Usage(err)
		}
		err = res.Total.Hist().PercentilesPrintScaled(hf, f.TimeScale)
		if cerr := hf.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %v", f.Hgrm, err)
		}
	}
	var failed bool
	if !req.Empty() {
		v := req.Evaluate(&res.Summary)
		jsonl.Write(out, v)
		failed = !v.Pass
		if !f.Quiet {
			fmt.Fprintf(stderr, "histo: requirement %s: %s\n", v.Requirement, passWord(v.Pass))
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing output: %v", err)
	}
	if failed {
		return &cli.ExitError{Code: cli.ExitRequirement, Err: fmt.Errorf("requirement violated")}
	}
	return nil
}

func passWord(ok bool) string {
	if ok {
		return "held"
	}
	return "VIOLATED"
}

// printStudy prints the original evaluator's numbers: responses, faults
// (> 10 s), above requirements (> 30 s), minimum.
func printStudy(w io.Writer, s *record.Stats, ex []hist.Threshold, late int64) {
	fmt.Fprintf(w, "histo: %d responses, %d errors, min %.3f s, mean %.3f s, p99 %.3f s, max %.3f s\n",
		s.Count, s.Errors, s.MinMS/1000, s.MeanMS/1000, s.P99MS/1000, s.MaxMS/1000)
	for _, t := range ex {
		fmt.Fprintf(w, "histo: responses above %s: %d\n", t.Label, s.Exceed[t.Label])
	}
	if s.Malformed > 0 {
		fmt.Fprintf(w, "histo: %d malformed lines skipped\n", s.Malformed)
	}
	if late > 0 {
		fmt.Fprintf(w, "histo: %d samples arrived too late for their interval (counted in the summary)\n", late)
	}
}
