// Package rampctl is the rampctl command: it steps the load up, level by
// level, until a latency requirement breaks, and reports the saturation
// point.
package rampctl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/plan"
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

// stageFunc returns the scenario and stage of a level.
func loadFunc(f *flags) func(int) (ramp.Load, error) {
	if f.PlanCmd == "" {
		sc := &record.Plan{Type: record.TypeScenario, Name: "alarm-device", ThinkMS: float64(f.Think) / 1e6, Steps: []record.Request{plan.AlarmStep}}
		sent := false
		return func(users int) (ramp.Load, error) {
			var l ramp.Load
			if !sent {
				l.Scenarios, sent = []*record.Plan{sc}, true
			}
			// new devices start spread over one think time, not all in the
			// same millisecond: real devices are not synchronised, and a
			// burst would measure the start-up, not the level
			st := &record.Plan{Type: record.TypeStage, Users: plan.Ptr(users)}
			if f.Think > 0 {
				st.SpawnRate = float64(users) / f.Think.Seconds()
			}
			l.Stages = []*record.Plan{st}
			return l, nil
		}
	}
	return func(users int) (ramp.Load, error) {
		cmdline := strings.ReplaceAll(f.PlanCmd, "{users}", strconv.Itoa(users))
		var out, errb bytes.Buffer
		cmd := exec.Command("sh", "-c", cmdline)
		cmd.Stdout, cmd.Stderr = &out, &errb
		if exe, err := os.Executable(); err == nil { // plan beside rampctl comes first, as fire does
			cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(exe)+string(os.PathListSeparator)+os.Getenv("PATH"))
		}
		if err := cmd.Run(); err != nil {
			return ramp.Load{}, fmt.Errorf("--plan-cmd %q: %v: %s", cmdline, err, strings.TrimSpace(errb.String()))
		}
		// every scenario, and the first stage of each group (a plan with
		// groups, like plan production, sets them all at a level)
		dec := plan.NewDecoder(&out, "--plan-cmd output")
		var l ramp.Load
		scenario, staged := map[string]bool{}, map[string]bool{}
		for {
			r, err := dec.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return ramp.Load{}, err
			}
			switch {
			case r.Type == record.TypeScenario:
				l.Scenarios = append(l.Scenarios, r)
				scenario[r.Group] = true
			case r.Type == record.TypeStage && !staged[r.Group]:
				if !scenario[r.Group] {
					return ramp.Load{}, fmt.Errorf("--plan-cmd %q: a stage for group %q before its scenario", cmdline, r.Group)
				}
				l.Stages = append(l.Stages, r)
				staged[r.Group] = true
			}
		}
		if len(l.Stages) == 0 {
			return ramp.Load{}, fmt.Errorf("--plan-cmd %q: expected a scenario and a stage", cmdline)
		}
		return l, nil
	}
}

func run(ctx context.Context, f *flags, stdout, stderr io.Writer) error {
	req, err := f.Requirement()
	if err != nil {
		return cli.Usage(err)
	}
	if req.Empty() {
		req = requirement.Study()
		req.Legacy2020 = f.Legacy2020
	}
	if f.Start == 0 {
		f.Start = map[string]int{"fast": 10, "linear": 1}[f.Search]
	}
	if f.Warmup >= f.StepDur {
		return cli.Usagef("--warmup (%v) must be shorter than --step-duration (%v)", f.Warmup, f.StepDur)
	}
	if f.Interval == 0 {
		f.Interval = min(time.Second, f.StepDur/10)
	}
	out, err := cli.CreateOut(f.Output, stdout)
	if err != nil {
		return err
	}
	defer out.Close()
	var legacy ramp.LegacyLog
	if f.LegacyLog != "" {
		lf, err := os.Create(f.LegacyLog)
		if err != nil {
			return cli.Usage(err)
		}
		defer lf.Close()
		legacy.W = lf
	}
	var done map[int]record.Step
	if f.Resume != "" {
		rf, err := os.Open(f.Resume)
		if err != nil {
			return cli.Usage(err)
		}
		done, err = ramp.ReadSteps(rf, f.Resume, &record.Problems{Tool: "rampctl", W: stderr})
		rf.Close()
		if err != nil {
			return cli.Usage(err)
		}
		fmt.Fprintf(stderr, "rampctl: resuming with %d recorded levels from %s\n", len(done), f.Resume)
	}

	t0 := time.Now()
	if f.TimeScale <= 0 {
		return cli.Usagef("--time-scale must be > 0")
	}
	level := &ramp.Level{Duration: f.StepDur, Warmup: f.Warmup, Pause: f.Pause, Req: req, MinSamples: f.MinSamples, EarlyPass: f.EarlyPass, TimeScale: f.TimeScale}
	var cur struct{ level, users, left int }
	tty := false
	if st, err := statOf(stderr); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		tty = true // live progress only on a terminal; logs get one line a level
	}
	level.Progress = func(users int, el time.Duration, s *record.Stats) {
		if !tty {
			return
		}
		fmt.Fprintf(stderr, "\rrampctl: level %d: %d users, %v/%v, p99 %.0f ms, mean %.0f ms, max %.0f ms (%s), ~%d levels left, %v elapsed   ",
			cur.level, users, el.Round(time.Second), f.StepDur, s.P99MS, s.MeanMS, s.MaxMS, req, cur.left, time.Since(t0).Round(time.Second))
	}
	var measure ramp.Measure
	if f.Exec != "" {
		measure = (&ramp.ExecDriver{Template: f.Exec, LogFile: f.ExecLog, Stderr: stderr}).Measure(level)
	} else {
		firePath, err := findFire(f.Fire)
		if err != nil {
			return cli.Usage(err)
		}
		d, err := ramp.StartFire(ramp.FireConfig{Path: firePath, Target: f.Target, Interval: f.Interval,
			Load: loadFunc(f), Stderr: stderr, Args: []string{"--stop-timeout", "5s"}})
		if err != nil {
			return cli.Usage(err)
		}
		defer d.Close()
		measure = d.Measure(level)
	}
	if done != nil {
		measure = ramp.Resuming(done, measure)
	}
	s := &ramp.Search{Strategy: f.Search, Start: f.Start, StepSize: f.Step, Growth: f.Growth, Precision: f.Precision,
		MaxUsers: f.MaxUsers, Repeat: f.Repeat,
		Progress: func(l, users, left int) {
			cur.level, cur.users, cur.left = l, users, left
			if !tty {
				fmt.Fprintf(stderr, "rampctl: level %d: %d users for %v (~%d levels left, %v elapsed)\n", l, users, f.StepDur, left, time.Since(t0).Round(time.Second))
			}
		}}
	res, err := s.Run(ctx, measure, func(st record.Step) error {
		word := map[bool]string{true: "pass", false: "FAIL"}[st.Pass]
		fmt.Fprintf(stderr, "%srampctl: %d users: %s (mean %.0f ms, p99 %.0f ms, max %.0f ms, %.1f req/s%s)%s\n",
			map[bool]string{true: "\r", false: ""}[tty], st.Users, word, st.MeanMS, st.P99MS, st.MaxMS, st.AchievedRPS,
			map[bool]string{true: ", ended early: clearly failing", false: ""}[st.EarlyStop]+
				map[bool]string{true: ", ended early: clearly passing", false: ""}[st.EarlyPass],
			map[bool]string{true: " [resumed]", false: ""}[st.Resumed])
		legacy.Step(st)
		return ramp.Emit(out, st)
	})
	res.Requirement = req.String()
	res.WallS = time.Since(t0).Round(time.Millisecond).Seconds()
	if err != nil {
		if ctx.Err() != nil {
			return cli.Usagef("interrupted after %d levels; continue with --resume on the records written so far", res.Steps)
		}
		return err
	}
	legacy.Finish(res)
	if err := ramp.Emit(out, res); err != nil {
		return err
	}
	switch {
	case res.Found:
		fmt.Fprintf(stderr, "rampctl: saturation point: %d users pass, %d fail (%s), %d levels in %.0f s\n",
			res.SaturationUsers, res.FirstFailUsers, req, res.Steps, res.WallS)
		return nil
	case res.FirstFailUsers > 0:
		return &cli.ExitError{Code: cli.ExitRequirement, Err: fmt.Errorf("even %d users fail %s", res.FirstFailUsers, req)}
	default:
		return &cli.ExitError{Code: cli.ExitNoSat, Err: fmt.Errorf("no level failed up to --max-users %d", f.MaxUsers)}
	}
}

// statOf stats w when it is a file (a terminal, say).
func statOf(w io.Writer) (os.FileInfo, error) {
	if f, ok := w.(*os.File); ok {
		return f.Stat()
	}
	return nil, os.ErrInvalid
}
