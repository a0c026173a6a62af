// Package fire is the fire command: it executes a load plan read on stdin
// against an HTTP target and writes a Locust-compatible response-time log on
// stdout. (It imports the load generator, lib/fire, under the same name.)
package fire

import (
	"context"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/fire"
)

type flags struct {
	Version     kong.VersionFlag `help:"Print the version and exit."`
	Target      string           `short:"t" default:":1337" help:"Target: host:port, :port (127.0.0.1) or an http(s) URL."`
	Plan        string           `arg:"" optional:"" default:"-" help:"Plan file (JSON lines from plan); - is stdin."`
	Format      string           `default:"locust" enum:"locust,jsonl" help:"Output: Locust log lines (locust) or sample records (jsonl)."`
	Output      string           `short:"o" default:"-" help:"Where samples go; - is stdout."`
	Feedback    string           `help:"Write interval and summary statistics records (JSON lines) to this file."`
	Interval    time.Duration    `default:"1s" help:"Length of a feedback interval."`
	Progress    time.Duration    `default:"5s" help:"Print progress on stderr this often (0: never)."`
	MaxInflight int              `default:"10000" help:"Open model: sends in flight at most; arrivals beyond are counted as missed."`
	Connections int              `default:"0" help:"Open connections at most (0: 512, or one per user in the closed model); sends beyond wait for one, and the wait counts as latency."`
	RetryDelay  time.Duration    `default:"0s" help:"Repeating sends: pause between tries (the 2020 scripts: 0)."`
	TryTimeout  time.Duration    `default:"60s" help:"Timeout of one try (and of a non-repeating send)."`
	GiveUp      time.Duration    `default:"0s" help:"Repeating sends: give up after this long (0: never)."`
	StopTimeout time.Duration    `default:"10s" help:"On stop, wait this long for sends in flight."`
	Seed        int64            `default:"42" help:"Seed of random choices (step order, Poisson arrivals)."`
	Host        string           `help:"Host name written in log lines (default: this machine's)."`
	CPUProfile  string           `name:"cpuprofile" hidden:"" help:"Write a CPU profile (go tool pprof) to this file."`
}

// Run is the fire command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("fire", &f, args, stdout, stderr,
		kong.Description("Execute a load plan (JSON lines on stdin) against --target; write a Locust-compatible response-time log.\n\nExit codes: 0 ok, 2 usage or input error.")); !ok {
		return code
	}
	return cli.Fail(stderr, "fire", run(ctx, &f, stdin, stdout, stderr))
}

func run(ctx context.Context, f *flags, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	if _, err := fire.ParseTarget(f.Target); err != nil {
		return cli.Usagef("--target: %v", err)
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
	cfg := fire.Config{
		Target: f.Target, JSONL: f.Format == "jsonl", MaxInflight: f.MaxInflight,
		RetryDelay: f.RetryDelay, TryTimeout: f.TryTimeout, GiveUp: f.GiveUp, StopTimeout: f.StopTimeout,
		Interval: f.Interval, Progress: f.Progress, Seed: f.Seed, Host: f.Host, Connections: f.Connections,
	}
	_, err = fire.Run(ctx, cfg, in, planName(f.Plan), out, fb, stderr)
	return cli.Usage(err)
}

func planName(p string) string {
	if p == "" || p == "-" {
		return "plan"
	}
	return p
}
