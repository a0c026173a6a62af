// Package rampctl is the rampctl command: it steps the load up, level by
// level, until a latency requirement breaks, and reports the saturation
// point.
package rampctl

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/ramp"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

type flags struct {
	Version kong.VersionFlag `help:"Print the version and exit."`
	Target  string           `short:"t" default:":1337" help:"Target (arssim's default address)."`
	Fire    string           `help:"fire binary (default: beside rampctl, else on PATH)."`
	PlanCmd string           `help:"A plan command for a level, with {users}, e.g. 'plan constant --users {users} --duration 1h --think 1s'. Default: the study's alarm devices."`
	Think   time.Duration    `default:"1s" help:"Default workload: the alarm devices' think time."`
	Exec    string           `help:"Run a foreign load tester per level instead of fire: a shell command with {users} and {duration}, writing a Locust-format log."`
	ExecLog string           `help:"With --exec: the tester's log file (default: its stdout)."`

	requirement.Flags `embed:"" group:"Requirement (a level passes only if all hold; default: study)"`

	Search     string        `default:"fast" enum:"fast,linear" help:"fast: grow geometrically, then bisect; linear: start, then +step (the study's)."`
	Start      int           `help:"First level (default: 10 for fast, 1 for linear)."`
	Step       int           `default:"10" help:"linear: users added per level."`
	Growth     float64       `default:"4" help:"fast: factor between passing levels (a clearly failing level ends early, so overshooting is cheap)."`
	Precision  float64       `default:"0.05" help:"fast: stop when the bracket is within this share of the last pass."`
	MaxUsers   int           `default:"10000" help:"Highest level to try."`
	Repeat     int           `default:"1" help:"Measure each level this many times; it passes only if every run does."`
	StepDur    time.Duration `name:"step-duration" default:"2m" help:"Length of a level."`
	Warmup     time.Duration `default:"10s" help:"Start of a level left out of its statistics (after a higher level, counted from when its surplus users have finished their last send)."`
	Pause      time.Duration `default:"0s" help:"Pause between levels (no load)."`
	Interval   time.Duration `help:"fire's feedback interval (default: a tenth of a level, at most 1 s)."`
	MinSamples int64         `default:"100" help:"Samples needed before a level may end early (clearly failing, or clearly passing while the fast search climbs)."`
	EarlyPass  float64       `default:"0.5" name:"early-pass" help:"fast: a climbing level ends early once a quarter of its measured time has every requirement within this share of its limit; the saturation level is always measured at full length (0: off)."`
	TimeScale  float64       `default:"1" help:"The simulator's --time-scale: latencies are divided by it, so the requirement is in model time (scale --think alike)."`
	LegacyLog  string        `help:"Also write the original executor's log lines (Clients: N: avg: Xs, max: Ys) to this file."`
	Resume     string        `help:"Continue from the step records of an interrupted run (its stdout)."`
	Output     string        `short:"o" default:"-" help:"Where step and result records go; - is stdout."`
}

// Run is the rampctl command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("rampctl", &f, args, stdout, stderr,
		kong.Description("Step the load up until a requirement breaks; report the saturation point.\n\n"+
			"Exit codes: 0 saturation point found, 1 even the first level failed, 2 usage or input error, "+
			"3 no level failed up to --max-users.")); !ok {
		return code
	}
	return cli.Fail(stderr, "rampctl", run(ctx, &f, stdout, stderr))
}

// run is a search from the flags to the result: check the flags, open the
// outputs, read what a resumed run already measured, start the load
// driver, search, report.
func run(ctx context.Context, f *flags, stdout, stderr io.Writer) error {
	req, err := f.check()
	if err != nil {
		return err
	}
	s := &session{f: f, req: req, stderr: &lockedWriter{w: stderr}, t0: time.Now(), tty: isTerminal(stderr)}
	if err := s.openOutputs(stdout); err != nil {
		return err
	}
	defer s.closeOutputs()
	done, err := s.readResume()
	if err != nil {
		return err
	}
	measure, stop, err := s.driver(s.level())
	if err != nil {
		return err
	}
	defer stop()
	if done != nil {
		measure = ramp.Resuming(done, measure)
	}
	res, err := s.search(ctx, measure)
	return s.finish(ctx, res, err)
}

// check validates the flags, fills in defaults that depend on others, and
// returns the requirement (the study's when none is given).
func (f *flags) check() (requirement.Requirement, error) {
	req, err := f.Requirement()
	if err != nil {
		return req, cli.Usage(err)
	}
	if req.Empty() {
		req = requirement.Study()
		req.Legacy2020 = f.Legacy2020
	}
	if f.Start == 0 {
		f.Start = map[string]int{"fast": 10, "linear": 1}[f.Search]
	}
	if f.Warmup >= f.StepDur {
		return req, cli.Usagef("--warmup (%v) must be shorter than --step-duration (%v)", f.Warmup, f.StepDur)
	}
	if f.Interval == 0 {
		f.Interval = min(time.Second, f.StepDur/10)
	}
	if f.TimeScale <= 0 {
		return req, cli.Usagef("--time-scale must be > 0")
	}
	return req, nil
}

// session is one rampctl run: its flags, outputs and progress.
type session struct {
	f      *flags
	req    requirement.Requirement
	out    *cli.Output
	legacy ramp.LegacyLog
	lf     *os.File // --legacy-log
	stderr io.Writer
	t0     time.Time
	tty    bool // stderr is a terminal: live progress
	cur    struct{ level, users, left int }
}

func (s *session) openOutputs(stdout io.Writer) error {
	out, err := cli.CreateOut(s.f.Output, stdout)
	if err != nil {
		return err
	}
	s.out = out
	if s.f.LegacyLog != "" {
		lf, err := os.Create(s.f.LegacyLog)
		if err != nil {
			return cli.Usage(err)
		}
		s.lf, s.legacy.W = lf, lf
	}
	return nil
}

func (s *session) closeOutputs() {
	if s.lf != nil {
		s.lf.Close()
	}
	s.out.Close()
}

// readResume reads the step records of an interrupted run (nil: none).
func (s *session) readResume() (map[int]record.Step, error) {
	if s.f.Resume == "" {
		return nil, nil
	}
	rf, err := os.Open(s.f.Resume)
	if err != nil {
		return nil, cli.Usage(err)
	}
	defer rf.Close()
	done, err := ramp.ReadSteps(rf, s.f.Resume, &record.Problems{Tool: "rampctl", W: s.stderr})
	if err != nil {
		return nil, cli.Usage(err)
	}
	fmt.Fprintf(s.stderr, "rampctl: resuming with %d recorded levels from %s\n", len(done), s.f.Resume)
	return done, nil
}

// level says how each level is run and judged.
func (s *session) level() *ramp.Level {
	f := s.f
	return &ramp.Level{Duration: f.StepDur, Warmup: f.Warmup, Pause: f.Pause, Req: s.req, MinSamples: f.MinSamples,
		EarlyPass: f.EarlyPass, TimeScale: f.TimeScale, Progress: s.levelProgress}
}

// driver starts what measures a level: a foreign tester (--exec) or one
// long-running fire. stop ends it.
func (s *session) driver(level *ramp.Level) (m ramp.Measure, stop func(), err error) {
	if s.f.Exec != "" {
		return (&ramp.ExecDriver{Template: s.f.Exec, LogFile: s.f.ExecLog, Stderr: s.stderr}).Measure(level), func() {}, nil
	}
	firePath, err := findFire(s.f.Fire)
	if err != nil {
		return nil, nil, cli.Usage(err)
	}
	d, err := ramp.StartFire(ramp.FireConfig{Path: firePath, Target: s.f.Target, Interval: s.f.Interval,
		Load: loadFunc(s.f), Stderr: s.stderr, Args: []string{"--stop-timeout", "5s"}})
	if err != nil {
		return nil, nil, cli.Usage(err)
	}
	return d.Measure(level), func() { d.Close() }, nil
}

func findFire(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "fire")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("fire")
	if err != nil {
		return "", fmt.Errorf("fire not found beside rampctl or on PATH: build it (make) or give --fire")
	}
	return p, nil
}

// search runs the search, writing each step as it is measured.
func (s *session) search(ctx context.Context, measure ramp.Measure) (record.Result, error) {
	f := s.f
	srch := &ramp.Search{Strategy: f.Search, Start: f.Start, StepSize: f.Step, Growth: f.Growth, Precision: f.Precision,
		MaxUsers: f.MaxUsers, Repeat: f.Repeat, Progress: s.searchProgress}
	res, err := srch.Run(ctx, measure, s.step)
	res.Requirement = s.req.String()
	res.WallS = time.Since(s.t0).Round(time.Millisecond).Seconds()
	return res, err
}

// step reports a measured level: a line on stderr, its record, and the
// original executor's lines.
func (s *session) step(st record.Step) error {
	s.stepLine(st)
	s.legacy.Step(st)
	return ramp.Emit(s.out, st)
}

// finish writes the result and chooses the exit code.
func (s *session) finish(ctx context.Context, res record.Result, err error) error {
	if err != nil {
		if ctx.Err() != nil {
			return cli.Usagef("interrupted after %d levels; continue with --resume on the records written so far", res.Steps)
		}
		return err
	}
	s.legacy.Finish(res)
	if err := ramp.Emit(s.out, res); err != nil {
		return err
	}
	switch {
	case res.Found:
		fmt.Fprintf(s.stderr, "rampctl: saturation point: %d users pass, %d fail (%s), %d levels in %.0f s\n",
			res.SaturationUsers, res.FirstFailUsers, s.req, res.Steps, res.WallS)
		return nil
	case res.FirstFailUsers > 0:
		return &cli.ExitError{Code: cli.ExitRequirement, Err: fmt.Errorf("even %s %s", usersFail(res.FirstFailUsers), s.req)}
	default:
		return &cli.ExitError{Code: cli.ExitNoSat, Err: fmt.Errorf("no level failed up to --max-users %d", s.f.MaxUsers)}
	}
}

// usersFail says "1 user fails" or "N users fail".
func usersFail(n int) string {
	if n == 1 {
		return "1 user fails"
	}
	return fmt.Sprintf("%d users fail", n)
}
