// Package histo is the histo command: it turns response-time logs into
// HdrHistogram statistics, interval and summary records as JSON lines, and a
// requirements verdict.
package histo

import (
	"context"
	"fmt"
	"io"
	"math"
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
	Hgrm              string        `help:"Also write the whole run's percentile distribution (.hgrm, ms) to this file."`
	NoHist            bool          `help:"Leave encoded histograms out of interval records (smaller output)."`
	UTC               bool          `name:"utc" help:"Locust timestamps are UTC (default: local time, as Locust writes them)."`
	Quiet             bool          `short:"q" help:"No human-readable summary on stderr."`
	TimeScale         float64       `default:"1" help:"The run's simulator --time-scale: latencies are divided by it, so statistics and requirements are in model time."`
	By                string        `placeholder:"name|status" help:"Also write the statistics of each request name (fire's fire.NAME lines, samples' names, Locust loggers) or each status (samples' HTTP status; in a log: ok, a failure's status, error): interval and summary records with \"by\" and \"group\", before every request's summary."`
	MaxStartLag       time.Duration `default:"1s" help:"Segmented runs: a segment that started later than this against the run's common start (fire --start-at) makes the run incomplete."`
	AllowIncomplete   bool          `help:"Segmented runs: an incomplete run (a segment missing, merged twice, failed, stopped, unended, late, or with records lost) is a warning, not exit 5."`
	Name              string        `help:"Only the responses of this request: fire's log lines fire.NAME and samples named NAME, Locust lines whose logger is NAME (e.g. the alarms of a production run: ID_REQ_KC_STORE7D3BPACKET)."`
}

// Run is the histo command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("histo", &f, args, stdout, stderr,
		kong.Description("Read response-time logs and write interval and summary statistics as JSON lines (docs/formats.md).\n\n"+
			"Exit codes: 0 ok (also when stopped by a signal or a closed output), 1 a requirement was violated, 2 usage or input error, "+
			"5 an incomplete segmented run (without --allow-incomplete; it comes before 1).")); !ok {
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
	opts, req, err := options(f)
	if err != nil {
		return err
	}
	opts.Problems = &record.Problems{Tool: "histo", W: stderr, Strict: f.Strict}
	inputs, err := openInputs(f.Files, stdin)
	defer closeInputs(inputs)
	if err != nil {
		return err
	}
	var hgrm *cli.Output
	if f.Hgrm != "" { // created first: a file that cannot be written stops the run before it reads
		if hgrm, err = cli.CreateOut(f.Hgrm, stdout); err != nil {
			return err
		}
		defer hgrm.Close()
	}
	out, _ := cli.CreateOut("-", stdout)
	res, err := stats.Run(ctx, opts, inputs, out)
	switch {
	case res == nil:
		return cli.Usage(err)
	case cli.IsBrokenPipe(err): // histo … | head: a normal end, nothing more to write
		report(stderr, f, res, opts.Exceed)
		fmt.Fprintf(stderr, "histo: stdout closed: stopped reading\n")
		return nil
	case res.Stopped:
		fmt.Fprintf(stderr, "histo: stopped by a signal: the statistics are of what was read until then\n")
	case err != nil:
		return cli.Usage(err)
	}
	report(stderr, f, res, opts.Exceed)
	if hgrm != nil {
		res.Total.Hist().PercentilesPrintScaled(hgrm, f.TimeScale)
		if err := hgrm.Close(); err != nil {
			return err
		}
	}
	err = verdict(out, stderr, f, req, &res.Summary)
	if c := res.Summary.Complete; c != nil && !*c && !f.AllowIncomplete {
		// an incomplete run's numbers are not the run's: that comes first
		return &cli.ExitError{Code: cli.ExitIncomplete, Err: fmt.Errorf("incomplete segmented run (--allow-incomplete to accept it)")}
	}
	return err
}

// options checks the flags and turns them into the engine's options and
// the requirement.
func options(f *flags) (stats.Options, requirement.Requirement, error) {
	var opts stats.Options
	ex, err := thresholds(f.Exceed)
	if err != nil {
		return opts, requirement.Requirement{}, cli.Usage(err)
	}
	req, err := f.Requirement()
	switch {
	case err != nil:
		return opts, req, cli.Usage(err)
	case !(f.TimeScale > 0) || math.IsInf(f.TimeScale, 0):
		return opts, req, cli.Usagef("--time-scale %v: expected a positive number", f.TimeScale)
	case f.MaxStartLag <= 0:
		return opts, req, cli.Usagef("--max-start-lag %v: expected a positive duration", f.MaxStartLag)
	case f.By != "" && f.By != record.ByName && f.By != record.ByStatus:
		return opts, req, cli.Usagef("--by %q: expected name or status", f.By)
	}
	opts = stats.Options{Interval: f.Interval, Exceed: ex, NoHist: f.NoHist, TimeScale: f.TimeScale,
		Name: f.Name, By: f.By, MaxStartLag: f.MaxStartLag, RequireLines: true}
	if f.UTC {
		opts.Loc = time.UTC
	}
	return opts, req, nil
}

// openInputs opens every file ("-" or none: stdin); the error names the file.
func openInputs(files []string, stdin io.Reader) ([]stats.Input, error) {
	if len(files) == 0 {
		files = []string{"-"}
	}
	var inputs []stats.Input
	for _, name := range files {
		r, err := cli.OpenIn(name, stdin)
		if err != nil {
			return inputs, err
		}
		inputs = append(inputs, stats.Input{Name: cli.DisplayName(name), R: r})
	}
	return inputs, nil
}

func closeInputs(inputs []stats.Input) {
	for _, in := range inputs {
		if c, ok := in.R.(io.Closer); ok {
			c.Close()
		}
	}
}

// printSegments says which segments a segmented run merged and whether it
// is complete (each reason on a line).
func printSegments(w io.Writer, s *record.Stats, allow bool) {
	if s.Complete == nil {
		return
	}
	run := ""
	if s.Run != "" {
		run = fmt.Sprintf("run %q: ", s.Run)
	}
	if *s.Complete {
		fmt.Fprintf(w, "histo: %s%d segments merged (%s), complete\n", run, len(s.Segments), strings.Join(s.Segments, " "))
		return
	}
	word := "INCOMPLETE"
	if allow {
		word = "incomplete (allowed)"
	}
	fmt.Fprintf(w, "histo: %s%d segments merged (%s), %s:\n", run, len(s.Segments), strings.Join(s.Segments, " "), word)
	for _, why := range s.Incomplete {
		fmt.Fprintf(w, "histo:   %s\n", why)
	}
}

// report prints the human-readable summary (unless -q) and what became of
// lines that were not used.
func report(stderr io.Writer, f *flags, res *stats.Result, ex []hist.Threshold) {
	for _, in := range res.Inputs {
		if in.Unrecognised > 0 {
			fmt.Fprintf(stderr, "histo: warning: %s: %d lines neither Locust log lines nor JSON records were skipped (the first: line %d)\n",
				in.Name, in.Unrecognised, in.FirstUnrecognised)
		}
		if in.Used == 0 && in.Recognised() > 0 {
			fmt.Fprintf(stderr, "histo: warning: %s: no response line, sample or interval record among its %d lines\n", in.Name, in.Recognised())
		}
	}
	if !f.Quiet {
		printStudy(stderr, &res.Summary, ex, res.Late)
		printGroups(stderr, res.Groups)
	}
	if c := res.Summary.Complete; c != nil && (!*c || !f.Quiet) {
		printSegments(stderr, &res.Summary, f.AllowIncomplete)
	}
}

// printGroups prints a line per group (--by), the first 20.
func printGroups(w io.Writer, groups []record.Stats) {
	for i, g := range groups {
		if i == 20 {
			fmt.Fprintf(w, "histo: … and %d more groups (in the summary records)\n", len(groups)-i)
			break
		}
		fmt.Fprintf(w, "histo: %s %s: %d responses, %d errors, p50 %.3f s, p95 %.3f s, p99 %.3f s, max %.3f s\n",
			g.By, g.Group, g.Count, g.Errors, g.P50MS/1000, g.P95MS/1000, g.P99MS/1000, g.MaxMS/1000)
	}
}

// verdict writes the requirement's verdict record, if there is a
// requirement, and flushes the output; a violated requirement is exit 1.
func verdict(out *cli.Output, stderr io.Writer, f *flags, req requirement.Requirement, sum *record.Stats) error {
	if req.Empty() {
		return out.Err()
	}
	v := req.Evaluate(sum)
	jsonl.Write(out, v)
	if err := out.Err(); err != nil && !cli.IsBrokenPipe(err) {
		return err
	}
	if !f.Quiet {
		fmt.Fprintf(stderr, "histo: requirement %s: %s\n", v.Requirement, passWord(v.Pass))
	}
	if !v.Pass {
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
	fmt.Fprintf(w, "histo: %d responses, %d errors, min %.3f s, mean %.3f s, p95 %.3f s, p99 %.3f s, max %.3f s\n",
		s.Count, s.Errors, s.MinMS/1000, s.MeanMS/1000, s.P95MS/1000, s.P99MS/1000, s.MaxMS/1000)
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
