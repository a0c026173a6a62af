// Package fire is the fire command: it executes a load plan read on stdin
// against an HTTP target and writes a Locust-compatible response-time log on
// stdout. (It imports the load generator, lib/fire, under the same name.)
package fire

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/fire"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

type flags struct {
	Version           kong.VersionFlag `help:"Print the version and exit."`
	Target            string           `short:"t" default:":1337" help:"Target: host:port, :port (127.0.0.1) or an http(s) URL."`
	Plan              string           `arg:"" optional:"" default:"-" help:"Plan file (JSON lines from plan); - is stdin."`
	Format            string           `default:"locust" enum:"locust,jsonl" help:"Output: Locust log lines (locust) or sample records (jsonl)."`
	Output            string           `short:"o" default:"-" help:"Where samples go; - is stdout."`
	Feedback          string           `help:"Write interval and summary statistics records (JSON lines) to this file."`
	Interval          time.Duration    `default:"1s" help:"Length of a feedback interval."`
	Progress          time.Duration    `default:"5s" help:"Print progress on stderr this often (0: never)."`
	MaxInflight       int              `default:"10000" help:"Open model: sends in flight at most; arrivals beyond are counted as missed."`
	Connections       int              `default:"0" help:"Open connections (and so sends in flight) at most; 0: 512. They open as sends need them (one per user for fewer users); sends beyond wait in fire's queue, and the wait counts as latency."`
	RetryDelay        time.Duration    `default:"0s" help:"Repeating sends: pause between tries (the 2020 scripts: 0; at least 10ms after a transport error)."`
	TryTimeout        time.Duration    `default:"60s" help:"Timeout of one try (and of a non-repeating send)."`
	GiveUp            time.Duration    `default:"0s" help:"Repeating sends: give up after this long (0: never)."`
	StopTimeout       time.Duration    `default:"10s" help:"On stop, wait this long for sends in flight."`
	Seed              *int64           `help:"Seed of every random draw (step order, Poisson arrivals, think ranges, session values). Default: the plan header's seed (plan --seed). The seed used is printed on stderr."`
	Segment           string           `help:"Run the I-th of N disjoint shares of the plan (e.g. 2/4): users and arrivals by index, so N segments together send exactly what one fire would."`
	StartAt           string           `help:"Start the plan clock at this instant (RFC 3339, or Unix seconds), the same for every segment of a run."`
	Run               string           `help:"Name of the run, written in every record of a segmented run (letters, digits and . _ : -; default: from --start-at)."`
	Host              string           `help:"Host name written in log lines (default: this machine's)."`
	requirement.Flags `embed:"" group:"Requirement (a verdict record follows the summary in --feedback; exit 1 if it fails)"`
	CPUProfile        string `name:"cpuprofile" hidden:"" help:"Write a CPU profile (go tool pprof) to this file."`
}

// Run is the fire command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("fire", &f, args, stdout, stderr,
		kong.Description("Execute a load plan (JSON lines on stdin) against --target; write a Locust-compatible response-time log.\n\n"+
			"Exit codes: 0 ok, 1 a requirement was violated, 2 usage, input or output error, 4 not one send succeeded.")); !ok {
		return code
	}
	return cli.Fail(stderr, "fire", run(ctx, &f, stdin, stdout, stderr))
}

func run(ctx context.Context, f *flags, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := config(f)
	if err != nil {
		return cli.Usagef("%v (see fire --help)", err)
	}
	in, err := cli.OpenIn(f.Plan, stdin)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := cli.CreateOut(f.Output, stdout)
	if err != nil {
		return err
	}
	defer out.Close()
	var fb io.Writer
	if f.Feedback != "" {
		fbf, err := cli.CreateOut(f.Feedback, stdout)
		if err != nil {
			return err
		}
		defer fbf.Close()
		fb = fbf
	}
	if f.CPUProfile != "" {
		pf, err := os.Create(f.CPUProfile)
		if err != nil {
			return cli.Usage(err)
		}
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	res, err := fire.Run(ctx, cfg, in, planName(f.Plan), out, fb, stderr)
	if err != nil {
		return cli.Usage(err)
	}
	tgt, _ := fire.ParseTarget(cfg.Target)
	return outcome(&res, tgt.Addr)
}

// outcome is the exit status of a run that measured what it could: 4 when
// not one send succeeded, 1 when the requirement was violated.
func outcome(res *fire.Result, target string) error {
	s := &res.Summary
	if res.NothingSucceeded() {
		why := fire.ReasonsText(res.Reasons)
		if s.Missed > 0 {
			why = strings.TrimPrefix(why+fmt.Sprintf(", %d missed", s.Missed), ", ")
		}
		return &cli.ExitError{Code: cli.ExitNoSuccess, Err: fmt.Errorf(
			"NOTHING SUCCEEDED: not one of %d sends to %s got an answer (%s)", s.Errors+s.Missed, target, why)}
	}
	if res.Verdict != nil && !res.Verdict.Pass {
		return &cli.ExitError{Code: cli.ExitRequirement, Err: fmt.Errorf("requirement violated")}
	}
	return nil
}

// config checks the flags and turns them into fire's settings.
func config(f *flags) (fire.Config, error) {
	cfg := fire.Config{
		Target: f.Target, JSONL: f.Format == "jsonl", MaxInflight: f.MaxInflight,
		RetryDelay: f.RetryDelay, TryTimeout: f.TryTimeout, GiveUp: f.GiveUp, StopTimeout: f.StopTimeout,
		Interval: f.Interval, Progress: f.Progress, Seed: f.Seed, Host: f.Host, Connections: f.Connections,
		Run: f.Run,
	}
	if _, err := fire.ParseTarget(f.Target); err != nil {
		return cfg, err
	}
	if err := checkNumbers(f); err != nil {
		return cfg, err
	}
	var err error
	if cfg.Requirement, err = f.Requirement(); err != nil {
		return cfg, err
	}
	if f.StartAt != "" {
		if cfg.StartAt, err = parseStartAt(f.StartAt, time.Now()); err != nil {
			return cfg, err
		}
	}
	return cfg, segment(f, &cfg)
}

func checkNumbers(f *flags) error {
	for _, c := range []struct {
		name string
		bad  bool
		want string
	}{
		{"--interval", f.Interval <= 0, "a positive duration"},
		{"--progress", f.Progress < 0, "a duration >= 0"},
		{"--max-inflight", f.MaxInflight <= 0, "a positive number"},
		{"--connections", f.Connections < 0, "a number >= 0"},
		{"--retry-delay", f.RetryDelay < 0, "a duration >= 0"},
		{"--try-timeout", f.TryTimeout <= 0, "a positive duration"},
		{"--give-up", f.GiveUp < 0, "a duration >= 0"},
		{"--stop-timeout", f.StopTimeout < 0, "a duration >= 0"},
	} {
		if c.bad {
			return fmt.Errorf("%s: expected %s", c.name, c.want)
		}
	}
	return nil
}

// segment reads --segment and --run: a segmented run needs a name, the
// same in all its segments.
func segment(f *flags, cfg *fire.Config) error {
	if f.Run != "" && !record.ValidRunName(f.Run) {
		return fmt.Errorf("--run %q: expected letters, digits and . _ : - (at most 128)", f.Run)
	}
	if f.Segment == "" {
		return nil
	}
	i, n, err := record.ParseSegmentID(f.Segment)
	if err != nil {
		return fmt.Errorf("--segment: %v", err)
	}
	cfg.Segment = fire.Segment{I: i, N: n}
	if cfg.Run == "" {
		if cfg.StartAt.IsZero() {
			return fmt.Errorf("--segment: name the run with --run NAME (or give --start-at), the same for all its segments")
		}
		cfg.Run = "start-" + cfg.StartAt.UTC().Format("20060102T150405.000Z")
	}
	return nil
}

// parseStartAt reads --start-at: RFC 3339 or Unix seconds, within a day
// ahead and an hour behind now (a segment that starts later than that
// has missed its run).
func parseStartAt(s string, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		sec, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(sec) || sec < 0 || sec > 1e11 {
			return time.Time{}, fmt.Errorf("--start-at %q: expected RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds", s)
		}
		whole := math.Floor(sec)
		t = time.Unix(int64(whole), int64((sec-whole)*1e9))
	}
	switch {
	case t.After(now.Add(24 * time.Hour)):
		return time.Time{}, fmt.Errorf("--start-at %s: more than a day from now", s)
	case t.Before(now.Add(-time.Hour)):
		return time.Time{}, fmt.Errorf("--start-at %s: more than an hour ago", s)
	}
	return t, nil
}

func planName(p string) string {
	if p == "" || p == "-" {
		return "plan"
	}
	return p
}
