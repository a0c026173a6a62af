// Package rampctl is the rampctl command: it steps the load up, level by
// level, until a latency requirement breaks, and reports the saturation
// point.
package rampctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
	Exec    string           `help:"Run a foreign load tester per level instead of fire: a shell command with {users}, {duration} (e.g. 120s) and {log}, writing a Locust-format log to {log} (or to its stdout)."`
	ExecLog string           `help:"With --exec: a log file the tester appends to instead of {log}; rampctl reads what each level appended and never deletes or truncates it."`
	ExecDir string           `help:"With --exec: where each level's log is kept (default: beside -o, named after it with .levels; a new temporary directory when -o is stdout)."`

	requirement.Flags `embed:"" group:"Requirement (a level passes only if all hold; default: study)"`

	Search     string         `default:"fast" enum:"fast,linear" help:"fast: grow geometrically, then bisect; linear: start, then +step (the study's)."`
	Start      int            `help:"First level (default: 10 for fast, 1 for linear)."`
	Step       int            `default:"10" help:"linear: users added per level."`
	Growth     float64        `default:"4" help:"fast: factor between passing levels (a clearly failing level ends early, so overshooting is cheap)."`
	Precision  float64        `default:"0.05" help:"fast: stop when the bracket is within this share of the last pass."`
	MaxUsers   int            `default:"10000" help:"Highest level to try."`
	Repeat     int            `default:"1" help:"Measure each level this many times; it passes only if every run does."`
	StepDur    time.Duration  `name:"step-duration" default:"2m" help:"Length of a level."`
	Warmup     *time.Duration `help:"Start of a level left out of its statistics (after a higher level, counted from when its surplus users have finished their last send). Default: a quarter of --step-duration, at most 10s."`
	Pause      time.Duration  `default:"0s" help:"Pause between levels (no load)."`
	Interval   time.Duration  `help:"fire's feedback interval (default: a tenth of a level, at most 1 s)."`
	MinSamples int64          `default:"100" help:"Samples needed before a level may end early (clearly failing, or clearly passing while the fast search climbs)."`
	EarlyPass  float64        `default:"0.5" name:"early-pass" help:"fast: a climbing level ends early once a quarter of its measured time has every requirement within this share of its limit; the saturation level is always measured at full length (0: off)."`
	TimeScale  float64        `default:"1" help:"The simulator's --time-scale: latencies are divided by it, so the requirement is in model time (scale --think alike)."`
	LegacyLog  string         `help:"Also write the original executor's log lines (Clients: N: avg: Xs, max: Ys) to this file."`
	Resume     string         `help:"Continue from the step records of an interrupted run (its stdout)."`
	Output     string         `short:"o" default:"-" help:"Where step and result records go; - is stdout."`
	Progress   time.Duration  `default:"5s" help:"During a level, a progress line on stderr this often (users, time, p99, mean and max so far); on a terminal one line, updated (0: none)."`
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
func run(ctx context.Context, f *flags, stdout, stderr io.Writer) (err error) {
	req, err := f.check()
	if err != nil {
		return err
	}
	s := &session{f: f, req: req, stderr: &lockedWriter{w: stderr}, t0: time.Now()}
	s.p = &progress{w: s.stderr, tty: isTerminal(stderr), every: f.Progress, length: f.StepDur, warmup: *f.Warmup, req: req.String(), t0: s.t0}
	done, err := s.readResume()
	if err != nil {
		return err
	}
	if err := s.openOutputs(stdout); err != nil {
		return err
	}
	defer func() { err = s.closeOutputs(err) }()
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
	req, err := f.requirement()
	if err != nil {
		return req, err
	}
	if f.Start == 0 {
		f.Start = map[string]int{"fast": 10, "linear": 1}[f.Search]
	}
	if f.Interval == 0 {
		f.Interval = min(time.Second, f.StepDur/10)
	}
	if f.Warmup == nil { // a default that fits any level's length
		f.Warmup = new(min(10*time.Second, f.StepDur/4))
	}
	if err := f.checkNumbers(); err != nil {
		return req, err
	}
	if *f.Warmup >= f.StepDur {
		return req, cli.Usagef("--warmup (%v) must be shorter than --step-duration (%v)", *f.Warmup, f.StepDur)
	}
	if f.ExecLog != "" && strings.Contains(f.Exec, "{log}") {
		return req, cli.Usagef("--exec-log: the command writes {log} already; give one of them")
	}
	return req, nil
}

// requirement combines the requirement flags; limits must be positive.
func (f *flags) requirement() (requirement.Requirement, error) {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--max-mean", f.MaxMean}, {"--max-max", f.MaxMax}, {"--max-p99", f.MaxP99}} {
		if d.v < 0 {
			return requirement.Requirement{}, cli.Usagef("%s: %v is below zero", d.name, d.v)
		}
	}
	req, err := f.Requirement()
	if err != nil {
		return req, cli.Usage(err)
	}
	for _, c := range req.Checks {
		if c.Limit < 0 || (c.Limit == 0 && c.Metric != "errors") || math.IsNaN(c.Limit) || math.IsInf(c.Limit, 0) {
			return req, cli.Usagef("--require: %s<=%v: a limit must be above zero", c.Metric, c.Limit)
		}
	}
	if req.Empty() {
		req = requirement.Study()
		req.Legacy2020 = f.Legacy2020
	}
	return req, nil
}

// Bounds of the numeric flags: beyond them a number is a typo or would
// overflow a duration, never a test anyone runs.
const (
	maxUsers    = 10_000_000 // every level's users are started by one fire or shared by the workers
	maxDuration = 24 * time.Hour
)

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// checkNumbers refuses absurd numbers with one line naming the flag.
func (f *flags) checkNumbers() error {
	ints := []struct {
		name      string
		v, lo, hi int
	}{
		{"--max-users", f.MaxUsers, 1, maxUsers}, {"--start", f.Start, 1, f.MaxUsers},
		{"--step", f.Step, 1, maxUsers}, {"--repeat", f.Repeat, 1, 100},
	}
	for _, c := range ints {
		if c.v < c.lo || c.v > c.hi {
			return cli.Usagef("%s: %d is out of range (%d to %d)", c.name, c.v, c.lo, c.hi)
		}
	}
	floats := []struct {
		name           string
		v, lo, hi      float64
		openLo, zeroOK bool
	}{
		{"--growth", f.Growth, 1, 1000, true, false}, {"--precision", f.Precision, 0, 1, true, false},
		{"--early-pass", f.EarlyPass, 0, 1, false, true}, {"--time-scale", f.TimeScale, 0, 1e6, true, false},
	}
	for _, c := range floats {
		if math.IsNaN(c.v) || c.v < c.lo || c.v > c.hi || (c.openLo && c.v == c.lo) {
			lo := "from"
			if c.openLo {
				lo = "above"
			}
			return cli.Usagef("%s: %v is out of range (%s %s to %s)", c.name, c.v, lo, num(c.lo), num(c.hi))
		}
	}
	durs := []struct {
		name string
		v    time.Duration
		pos  bool // must be above zero
	}{
		{"--step-duration", f.StepDur, true}, {"--warmup", *f.Warmup, false}, {"--pause", f.Pause, false},
		{"--think", f.Think, false}, {"--interval", f.Interval, true}, {"--progress", f.Progress, false},
	}
	for _, c := range durs {
		if c.v < 0 || (c.pos && c.v == 0) || c.v > maxDuration {
			return cli.Usagef("%s: %v is out of range (%s0 to %v)", c.name, c.v, map[bool]string{true: "above "}[c.pos], maxDuration)
		}
	}
	if f.MinSamples < 0 {
		return cli.Usagef("--min-samples: %d is below zero", f.MinSamples)
	}
	return nil
}

// session is one rampctl run: its flags, outputs and progress.
type session struct {
	f      *flags
	req    requirement.Requirement
	out    *cli.Output // -o: step and result records
	legacy *cli.Output // --legacy-log (nil: none)
	stderr io.Writer
	t0     time.Time
	p      *progress
	steps  int // step records written
}

// openOutputs creates -o and --legacy-log. A resumed run writes its records
// anew, so -o must not be the file it resumes from.
func (s *session) openOutputs(stdout io.Writer) error {
	if s.f.Resume != "" && s.f.Output != "-" && s.f.Output != "" {
		a, errA := os.Stat(s.f.Resume)
		b, errB := os.Stat(s.f.Output)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return cli.Usagef("-o %s is the --resume file: write the continued run to a new file (it repeats the resumed records)", s.f.Output)
		}
	}
	out, err := cli.CreateOut(s.f.Output, stdout)
	if err != nil {
		return err
	}
	s.out = out
	if s.f.LegacyLog != "" {
		if s.legacy, err = cli.CreateOut(s.f.LegacyLog, stdout); err != nil {
			return err
		}
	}
	return nil
}

// closeOutputs closes the outputs; a write or close error replaces err: a
// run whose records are not all written is not a result.
func (s *session) closeOutputs(err error) error {
	for _, o := range []*cli.Output{s.legacy, s.out} {
		if o == nil {
			continue
		}
		if cerr := o.Close(); cerr != nil && (err == nil || cli.Code(err) != cli.ExitUsage) {
			err = s.lost(cerr)
		}
	}
	return err
}

// lost says what a failed write leaves and how to go on: every record
// written before it is whole in -o, and --resume continues from there.
func (s *session) lost(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) { // cli.Output says "writing F: write F: …"
		err = fmt.Errorf("writing %s: %v", pe.Path, pe.Err)
	}
	if s.steps == 0 {
		return cli.Usagef("%v (no level recorded)", err)
	}
	return cli.Usagef("%v (after %s: %s)", err, plural(s.steps, "level"), s.resumeHint())
}

// resumeHint says how to go on after an interruption.
func (s *session) resumeHint() string {
	if s.f.Output != "-" && s.f.Output != "" {
		return "continue with --resume " + s.f.Output
	}
	return "continue with --resume on the records written so far"
}

// plural writes "1 level", "2 levels".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// readResume reads the step records of an interrupted run (nil: none).
func (s *session) readResume() (map[int]record.Step, error) {
	if s.f.Resume == "" {
		return nil, nil
	}
	rf, err := cli.OpenIn(s.f.Resume, nil)
	if err != nil {
		return nil, err
	}
	defer rf.Close()
	p := &record.Problems{Tool: "rampctl", W: s.stderr}
	done, err := ramp.ReadSteps(rf, s.f.Resume, p)
	if err != nil {
		return nil, cli.Usage(err)
	}
	dropped := ""
	if n := p.Count(); n > 0 {
		dropped = fmt.Sprintf(" (%s dropped)", plural(int(n), "malformed line"))
	}
	fmt.Fprintf(s.stderr, "rampctl: resuming with %d recorded levels from %s%s\n", len(done), s.f.Resume, dropped)
	return done, nil
}

// level says how each level is run and judged.
func (s *session) level() *ramp.Level {
	f := s.f
	return &ramp.Level{Duration: f.StepDur, Warmup: *f.Warmup, Pause: f.Pause, Req: s.req, MinSamples: f.MinSamples,
		EarlyPass: f.EarlyPass, TimeScale: f.TimeScale, Progress: s.p.levelProgress}
}

// driver starts what measures a level: a foreign tester (--exec) or one
// long-running fire. stop ends it.
func (s *session) driver(level *ramp.Level) (m ramp.Measure, stop func(), err error) {
	if s.f.Exec != "" {
		dir, err := s.execDir()
		if err != nil {
			return nil, nil, err
		}
		return (&ramp.ExecDriver{Template: s.f.Exec, LogFile: s.f.ExecLog, Dir: dir, Stderr: s.stderr}).Measure(level), func() {}, nil
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

// execDir is where each level's log of an --exec run goes: --exec-dir, or
// beside -o (steps.jsonl: steps.levels/), or a new temporary directory. It
// is kept, and named on stderr.
func (s *session) execDir() (string, error) {
	dir := s.f.ExecDir
	switch {
	case dir == "" && s.f.Output != "-" && s.f.Output != "":
		dir = strings.TrimSuffix(s.f.Output, filepath.Ext(s.f.Output)) + ".levels"
	case dir == "":
		d, err := os.MkdirTemp("", "rampctl-levels-")
		if err != nil {
			return "", err
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", cli.Usagef("--exec-dir: %v", err)
	}
	fmt.Fprintf(s.stderr, "rampctl: each level's log is kept in %s\n", dir)
	return dir, nil
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
		MaxUsers: f.MaxUsers, Repeat: f.Repeat, Progress: s.p.searchProgress}
	res, err := srch.Run(ctx, measure, s.step)
	res.Requirement = s.req.String()
	res.WallS = time.Since(s.t0).Round(time.Millisecond).Seconds()
	return res, err
}

// step reports a measured level: a line on stderr, its record, and the
// original executor's lines.
func (s *session) step(st record.Step) error {
	s.p.stepLine(st)
	if err := ramp.Emit(s.out, st); err != nil {
		return s.lost(err)
	}
	s.steps++
	if s.legacy != nil {
		ramp.LegacyLog{W: s.legacy}.Step(st)
		if err := s.legacy.Err(); err != nil {
			return s.lost(err)
		}
	}
	return nil
}

// finish writes the result and chooses the exit code.
func (s *session) finish(ctx context.Context, res record.Result, err error) error {
	if err != nil {
		if ctx.Err() != nil {
			return cli.Usagef("interrupted after %s: %s", plural(s.steps, "level"), s.resumeHint())
		}
		return err
	}
	if err := ramp.Emit(s.out, res); err != nil {
		return s.lost(err)
	}
	if s.legacy != nil {
		ramp.LegacyLog{W: s.legacy}.Finish(res)
		if err := s.legacy.Err(); err != nil {
			return s.lost(err)
		}
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
	return plural(n, "user") + " fail"
}
