package rampctl

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/requirement"
)

type flags struct {
	Version   kong.VersionFlag `help:"Print the version and exit."`
	Target    string           `short:"t" default:":1337" help:"Target (arssim's default address)."`
	Fire      string           `help:"fire binary (default: beside rampctl, else on PATH). With --workers: the path of fire on each worker ('fire': on its PATH); without it, this machine's fire is shipped to the workers for the run."`
	Workers   string           `help:"Run fire on many machines: a file in GNU parallel's --sshloginfile format (a host, a command such as '1/ssh -p 2222 -i key 10.0.0.5', or ':' for this machine, a line); each runs fire --segment i/N over it, every level split exactly between them. Every worker must reach --target."`
	StartLead time.Duration    `default:"3s" help:"With --workers: the workers' common plan start (fire --start-at) is this long after they are started."`
	PlanCmd   string           `help:"A plan command for a level, with {users}, e.g. 'plan constant --users {users} --duration 1h --think 1s'. Default: the study's alarm devices."`
	Think     time.Duration    `default:"1s" help:"Default workload: the alarm devices' think time."`
	Seed      int64            `default:"42" help:"Seed of the plan rampctl sends fire (every random draw of the run); a --plan-cmd plan must carry the same seed (plan --seed)."`
	Exec      string           `help:"Run a foreign load tester per level instead of fire: a shell command with {users}, {duration} (e.g. 120s) and {log}, writing a Locust-format log to {log} (or to its stdout)."`
	ExecLog   string           `help:"With --exec: a log file the tester appends to instead of {log}; rampctl reads what each level appended and never deletes or truncates it."`
	ExecDir   string           `help:"With --exec: where each level's log is kept (default: beside -o, named after it with .levels; a new temporary directory when -o is stdout)."`

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
	if f.Workers != "" && f.Exec != "" {
		return req, cli.Usagef("--workers runs fire on the workers; --exec runs another tester here: give one of them")
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
		{"--start-lead", f.StartLead, true},
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
