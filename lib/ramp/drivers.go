package ramp

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/jsonl"
	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
	"github.com/perflab/perflab/lib/stats"
)

// Level says how a step is run and judged.
type Level struct {
	Duration, Warmup, Pause time.Duration
	Req                     requirement.Requirement
	// MinSamples before a step may end early as clearly failing or passing.
	MinSamples int64
	// EarlyPass: a quick level (the fast search's climb) ends once it has
	// MinSamples, a quarter of its measured time, and every requirement
	// within this share of its limit (0: never).
	EarlyPass float64
	// TimeScale: the simulator's --time-scale; latencies are divided by it
	// so requirements and step records are in model time (0: 1).
	TimeScale float64
	// Progress is called with the measured part so far (may be nil).
	Progress func(users int, elapsed time.Duration, soFar *record.Stats)
}

// clearlyFailing: the maximum is already broken, or, with enough samples, a
// limit is exceeded by half again: more load-time cannot bring it back.
func (l *Level) clearlyFailing(s *record.Stats) bool {
	for _, c := range l.Req.Checks {
		v := requirement.Value(s, c.Metric)
		if c.Metric == "max" && v > c.Limit {
			return true
		}
		if s.Count+s.Errors >= l.MinSamples && v > 1.5*c.Limit && c.Metric != "errors" {
			return true
		}
	}
	return false
}

// clearlyPassing: a quick level far enough below every limit, on enough
// samples and time, that running it to the end would not change its verdict.
func (l *Level) clearlyPassing(s *record.Stats, measured time.Duration) bool {
	return l.EarlyPass > 0 && s.Count+s.Errors >= l.MinSamples && measured >= (l.Duration-l.Warmup)/4 &&
		l.Req.Evaluate(s).Pass && l.Req.Headroom(s) <= l.EarlyPass
}

// FireDriver runs one long-lived fire and feeds it a stage per level, so
// connections and users carry over between levels.
type FireDriver struct {
	cmd       *exec.Cmd
	in        io.WriteCloser
	enc       *plan.Encoder
	intervals chan record.Stats
	errc      chan error
	stderr    io.Writer
	load      func(users int) (Load, error)
	think     map[string]time.Duration // mean think of each group's scenario, for the offered rate
}

// Load is what fire is sent for a level: scenarios (none: unchanged) and a
// stage for each group the level sets (one, unless the plan has groups).
type Load struct {
	Scenarios, Stages []*record.Plan
}

// FireConfig says how to start fire.
type FireConfig struct {
	Path     string // fire binary
	Target   string // --target
	Interval time.Duration
	Args     []string // more fire flags
	// Load returns the scenarios and stages of a level (plan-cmd or the default).
	Load   func(users int) (Load, error)
	Stderr io.Writer
}

// StartFire starts fire with its feedback on a pipe.
func StartFire(cfg FireConfig) (*FireDriver, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--target", cfg.Target, "--feedback", "/dev/fd/3", "-o", os.DevNull,
		"--interval", cfg.Interval.String(), "--progress", "0"}, cfg.Args...)
	cmd := exec.Command(cfg.Path, args...)
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Stderr = cfg.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting fire (%s): %v", cfg.Path, err)
	}
	pw.Close()
	d := &FireDriver{cmd: cmd, in: in, enc: plan.NewEncoder(in), intervals: make(chan record.Stats, 1024),
		errc: make(chan error, 1), stderr: cfg.Stderr, load: cfg.Load, think: map[string]time.Duration{}}
	go func() {
		defer close(d.intervals)
		rd := record.NewReader(context.Background(), pr, "fire's feedback", &record.Problems{Tool: "rampctl", W: cfg.Stderr})
		for rd.Next() {
			var s record.Stats
			if rd.Type() == record.TypeInterval && rd.Decode(&s) {
				d.intervals <- s
			}
		}
		pr.Close()
	}()
	d.enc.Encode(plan.Header("rampctl", 42))
	return d, d.enc.Flush()
}

func (d *FireDriver) send(recs ...*record.Plan) error {
	for _, r := range recs {
		if r != nil {
			d.enc.Encode(r)
		}
	}
	if err := d.enc.Flush(); err != nil {
		return fmt.Errorf("fire stopped taking stages: %v", err)
	}
	return nil
}

// Measure runs one level through fire.
func (d *FireDriver) Measure(l *Level) Measure {
	return func(ctx context.Context, users int, quick bool) (record.Step, error) {
		load, err := d.load(users)
		if err != nil {
			return record.Step{}, err
		}
		label := "users=" + strconv.Itoa(users)
		target, closed := 0, true // users the level runs; false: an open-model rate
		for _, sc := range load.Scenarios {
			d.think[sc.Group] = time.Duration((sc.ThinkMS + max(sc.ThinkMaxMS, sc.ThinkMS)) / 2 * float64(time.Millisecond))
		}
		for _, st := range load.Stages {
			st.AtMS, st.Label = nil, label
			if st.Users != nil {
				target += *st.Users
			} else {
				closed = false
			}
		}
		start := time.Now()
		if err := d.send(append(load.Scenarios, load.Stages...)...); err != nil {
			return record.Step{}, err
		}
		acc := hist.NewAcc()
		acc.SetScale(l.TimeScale)
		measureFrom := start.Add(l.Warmup)
		deadline := start.Add(l.Duration)
		// After a lower level, the warm-up starts only once the users above
		// this level have finished their last send: their requests, queued
		// in the server, would otherwise be measured as this level's. The wait
		// is bounded by one level's duration.
		settled, first := !closed, true
		timer := time.NewTimer(2*l.Duration + 5*time.Second)
		defer timer.Stop()
		early, passEarly := false, false
	loop:
		for {
			select {
			case <-ctx.Done():
				return record.Step{}, ctx.Err()
			case <-timer.C:
				return record.Step{}, fmt.Errorf("fire sent no statistics for %v", 2*l.Duration+5*time.Second)
			case iv, ok := <-d.intervals:
				if !ok {
					return record.Step{}, fmt.Errorf("fire exited: %v", d.wait())
				}
				if !settled && iv.Stage == label {
					at := iv.End
					switch {
					case iv.Users <= target && first:
						settled, at = true, start
					case iv.Users <= target:
						settled = true
					case !iv.End.Before(start.Add(l.Duration)):
						settled = true
						fmt.Fprintf(d.stderr, "rampctl: %d users: %d still running after %v; measuring anyway\n", users, iv.Users, l.Duration)
					}
					first = false
					if !settled {
						continue
					}
					measureFrom, deadline = at.Add(l.Warmup), at.Add(l.Duration)
				}
				if iv.Stage != label || iv.End.Before(measureFrom.Add(time.Millisecond)) || iv.Start.Before(measureFrom.Add(-time.Millisecond)) {
					if !iv.End.Before(deadline) && iv.Stage == label {
						break loop
					}
					continue
				}
				acc.AddStats(&iv)
				so := acc.Stats(record.TypeInterval, false)
				if l.Progress != nil {
					l.Progress(users, time.Since(start), &so)
				}
				if l.clearlyFailing(&so) {
					early = true
					break loop
				}
				if quick && l.clearlyPassing(&so, iv.End.Sub(measureFrom)) {
					passEarly = true
					break loop
				}
				if !iv.End.Before(deadline) {
					break loop
				}
			}
		}
		s := acc.Stats(record.TypeInterval, true)
		st := FromStats(users, &s)
		for _, g := range load.Stages {
			if g.RateRPS != nil {
				st.OfferedRPS += *g.RateRPS
			} else if think := d.think[g.Group]; think > 0 {
				st.OfferedRPS += float64(*g.Users) / think.Seconds()
			}
		}
		st.Pass = l.Req.Evaluate(&s).Pass && !early
		st.Headroom = math.Min(l.Req.Headroom(&s), 1e9)
		st.EarlyStop, st.EarlyPass = early, passEarly
		if l.Pause > 0 {
			var zero []*record.Plan
			for _, g := range load.Stages {
				z := &record.Plan{Type: record.TypeStage, Group: g.Group, Users: plan.Ptr(0), Label: "pause"}
				if g.RateRPS != nil {
					z = &record.Plan{Type: record.TypeStage, RateRPS: plan.Ptr(0.0), Label: "pause"}
				}
				zero = append(zero, z)
			}
			if err := d.send(zero...); err != nil {
				return st, err
			}
			select {
			case <-ctx.Done():
			case <-time.After(l.Pause):
			}
		}
		return st, nil
	}
}

func (d *FireDriver) wait() error {
	d.in.Close()
	return d.cmd.Wait()
}

// Close ends the plan and waits for fire (bounded by fire's --stop-timeout).
func (d *FireDriver) Close() error {
	d.enc.Encode(&record.Plan{Type: record.TypeEnd})
	d.enc.Flush()
	err := d.wait()
	for range d.intervals {
	}
	return err
}

// ExecDriver runs a foreign load tester per level: a shell command with
// {users} and {duration} filled in, whose Locust-format log (its stdout or
// LogFile) is read with histo's parser.
type ExecDriver struct {
	Template string
	LogFile  string
	Stderr   io.Writer
	mu       sync.Mutex
}

// Measure runs the command for one level.
func (e *ExecDriver) Measure(l *Level) Measure {
	return func(ctx context.Context, users int, _ bool) (record.Step, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		secs := int(l.Duration.Round(time.Second) / time.Second)
		cmdline := strings.NewReplacer("{users}", strconv.Itoa(users), "{duration}", strconv.Itoa(secs)+"s",
			"{seconds}", strconv.Itoa(secs)).Replace(e.Template)
		if e.LogFile != "" {
			os.Remove(e.LogFile)
		}
		// bound the run: the tester gets its duration plus a minute, then is killed
		cctx, cancel := context.WithTimeout(ctx, l.Duration+time.Minute)
		defer cancel()
		cmd := exec.CommandContext(cctx, "sh", "-c", cmdline)
		cmd.Stderr = e.Stderr
		var out strings.Builder
		cmd.Stdout = &out
		start := time.Now()
		if err := cmd.Run(); err != nil && cctx.Err() == nil {
			fmt.Fprintf(e.Stderr, "rampctl: %q: %v (its log is still evaluated)\n", cmdline, err)
		}
		var r io.Reader = strings.NewReader(out.String())
		name := "stdout of " + cmdline
		if e.LogFile != "" {
			f, err := os.Open(e.LogFile)
			if err != nil {
				return record.Step{}, fmt.Errorf("--exec-log: %v", err)
			}
			defer f.Close()
			r, name = f, e.LogFile
		}
		res, err := stats.Run(ctx, stats.Options{Since: start.Add(l.Warmup), Warn: e.Stderr, TimeScale: l.TimeScale}, []stats.Input{{Name: name, R: r}}, io.Discard)
		if err != nil {
			return record.Step{}, err
		}
		st := FromStats(users, &res.Summary)
		st.Pass = l.Req.Evaluate(&res.Summary).Pass
		st.Headroom = math.Min(l.Req.Headroom(&res.Summary), 1e9)
		if l.Pause > 0 {
			time.Sleep(l.Pause)
		}
		return st, nil
	}
}

// LegacyLog writes the original executor's log lines.
type LegacyLog struct{ W io.Writer }

func (g LegacyLog) line(format string, a ...any) {
	if g.W != nil {
		fmt.Fprintf(g.W, "%s %s\n", time.Now().Format("2006-01-02 15:04:05,000"), fmt.Sprintf(format, a...))
	}
}

// record.Step writes "Clients: N: avg: Xs, max: Ys" and "--> True|False".
func (g LegacyLog) Step(s record.Step) {
	sec := func(ms float64) string { return strconv.FormatFloat(math.Round(ms*1000)/1e6, 'f', -1, 64) }
	g.line("Clients: %d: avg: %ss, max: %ss", s.Users, sec(s.MeanMS), sec(s.MaxMS))
	g.line("--> %s", map[bool]string{true: "True", false: "False"}[s.Pass])
}

// Finish writes the closing line.
func (g LegacyLog) Finish(r record.Result) {
	if r.FirstFailUsers > 0 {
		g.line("Finished performance test. System failed at %d", r.FirstFailUsers)
	} else {
		g.line("Finished performance test. System did not fail up to %d", r.SaturationUsers)
	}
}

// ReadSteps reads the step records of an interrupted run (for --resume),
// with the tools' one record reader: a malformed line, such as the
// truncated last line a crash leaves, is reported and skipped.
func ReadSteps(r io.Reader, name string, p *record.Problems) (map[int]record.Step, error) {
	out := map[int]record.Step{}
	rd := record.NewReader(context.Background(), r, name, p)
	for rd.Next() {
		var s record.Step
		if rd.Type() != record.TypeStep || !rd.Decode(&s) {
			continue
		}
		if prev, ok := out[s.Users]; ok && !prev.Pass {
			continue // a level that failed once stays failed
		}
		out[s.Users] = s
	}
	return out, rd.Err()
}

// Resuming wraps m so levels already recorded are not measured again.
func Resuming(done map[int]record.Step, m Measure) Measure {
	return func(ctx context.Context, users int, quick bool) (record.Step, error) {
		if s, ok := done[users]; ok {
			delete(done, users) // a repeat measures again
			s.Resumed = true
			return s, nil
		}
		return m(ctx, users, quick)
	}
}

// Emit writes records as JSON lines.
func Emit(w io.Writer, v any) error { return jsonl.Write(w, v) }
