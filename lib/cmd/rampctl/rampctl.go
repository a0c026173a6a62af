// Package rampctl is the rampctl command: it steps the load up, level by
// level, until a latency requirement breaks, and reports the saturation
// point.
package rampctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
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

// Run is the rampctl command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("rampctl", &f, args, stdout, stderr,
		kong.Description("Step the load up until a requirement breaks; report the saturation point.\n\n"+
			"Exit codes: 0 saturation point found, 1 even the first level failed, 2 usage, input or other error "+
			"(a failed write, fire or a worker gone: the levels recorded so far stay, --resume continues), "+
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
	s.p = &progress{w: s.stderr, tty: isTerminal(stderr), every: f.Progress, length: f.StepDur, warmup: *f.Warmup, req: req.String(), t0: s.t0,
		noAnswer: noAnswer(f)}
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
		// a fire that exits at once (not there, refused its flags) can be
		// seen here or at the first level, as the machine's timing has it:
		// either way it says the same
		var ee *cli.ExitError
		if errors.As(err, &ee) {
			return err
		}
		return s.stopped(err)
	}
	defer stop()
	if done != nil {
		measure = ramp.Resuming(done, measure)
	}
	res, err := s.search(ctx, measure)
	return s.finish(ctx, res, err)
}

// noAnswer says where to look when a level got not one answer.
func noAnswer(f *flags) string {
	switch {
	case f.Exec != "":
		return "does the tester write its log?"
	case f.Workers != "":
		return "is --target " + f.Target + " up, and reached from every worker?"
	}
	return "is --target " + f.Target + " up?"
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
	return s.stopped(err)
}

// stopped says how to go on after an error ends the search: every record
// written so far is whole in -o, and --resume continues from there.
func (s *session) stopped(err error) error {
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
	cfg := ramp.FireConfig{Seed: s.f.Seed, Target: s.f.Target, Interval: s.f.Interval, Load: loadFunc(s.f), Stderr: s.stderr,
		StopTimeout: 5 * time.Second}
	if err := s.fireWhere(&cfg); err != nil {
		return nil, nil, err
	}
	d, err := ramp.StartFire(cfg)
	if err != nil {
		return nil, nil, cli.Usage(err)
	}
	return d.Measure(level), func() { d.Close() }, nil
}

// fireWhere says where fire runs: here (found beside rampctl or on PATH),
// or on every worker of --workers, each a segment of every level, all with
// the same plan clock: this machine's fire shipped there for the run, or
// with --fire the one at that path on the workers.
func (s *session) fireWhere(cfg *ramp.FireConfig) error {
	if s.f.Workers == "" {
		p, err := findFire(s.f.Fire)
		cfg.Path = p
		return cli.Usage(err)
	}
	in, err := cli.OpenIn(s.f.Workers, nil)
	if err != nil {
		return err
	}
	defer in.Close()
	if cfg.Workers, err = ramp.ReadWorkers(in, s.f.Workers); err != nil {
		return cli.Usage(err)
	}
	cfg.Lead = s.f.StartLead
	cfg.Run = "rampctl-" + s.t0.UTC().Format("20060102T150405.000Z")
	what := s.f.Fire + " (--fire, on each worker)"
	if cfg.Path = s.f.Fire; s.f.Fire == "" {
		if cfg.Ship, err = findFire(""); err != nil {
			return cli.Usagef("%v (it is shipped to the workers; or give --fire the path of fire on the workers)", err)
		}
		what = "fire (" + cfg.Ship + ", shipped)"
	}
	fmt.Fprintf(s.stderr, "rampctl: %s on %s, run %s, every level split between them (fire --segment i/%d)\n",
		what, plural(len(cfg.Workers), "worker"), cfg.Run, len(cfg.Workers))
	if remote(cfg.Workers) && loopback(s.f.Target) {
		fmt.Fprintf(s.stderr, "rampctl: warning: --target %s is on each worker's own loopback: give an address the workers reach, unless each runs the system under test\n", s.f.Target)
	}
	return nil
}

// remote says whether a worker is another machine (or may be: a command).
func remote(ws []ramp.Worker) bool {
	for _, w := range ws {
		if !w.Local() && !strings.HasPrefix(w.Line, "sh -c") {
			return true
		}
	}
	return false
}

// loopback says whether a --target names this machine's loopback (":1337"
// included), which on a worker is the worker itself.
func loopback(target string) bool {
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		target = u.Host // an http(s) URL
	}
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return false // fire says what is wrong with it
	}
	ip := net.ParseIP(host)
	return host == "" || host == "localhost" || (ip != nil && ip.IsLoopback())
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
		var ee *cli.ExitError
		if errors.As(err, &ee) {
			return err // says already how to go on
		}
		return s.stopped(err)
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
