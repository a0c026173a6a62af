package ramp

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
)

// FireDriver runs one long-lived fire and feeds it a stage per level, so
// connections and users carry over between levels.
type FireDriver struct {
	cmd       *exec.Cmd
	in        io.WriteCloser
	enc       *plan.Encoder
	intervals chan record.Stats
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
		stderr: cfg.Stderr, load: cfg.Load, think: map[string]time.Duration{}}
	go d.readFeedback(pr)
	d.enc.Encode(plan.Header("rampctl", 42))
	return d, d.enc.Flush()
}

// readFeedback passes fire's interval records on until fire closes its end.
func (d *FireDriver) readFeedback(pr *os.File) {
	defer close(d.intervals)
	rd := record.NewReader(context.Background(), pr, "fire's feedback", &record.Problems{Tool: "rampctl", W: d.stderr})
	for rd.Next() {
		var s record.Stats
		if rd.Type() == record.TypeInterval && rd.Decode(&s) {
			d.intervals <- s
		}
	}
	pr.Close()
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
		lr, err := d.begin(l, users, quick)
		if err != nil {
			return record.Step{}, err
		}
		if err := lr.collect(ctx); err != nil {
			return record.Step{}, err
		}
		st := lr.step()
		return st, d.pause(ctx, l, lr.load.Stages)
	}
}

// levelRun is one level being measured through fire's feedback.
type levelRun struct {
	d      *FireDriver
	l      *Level
	users  int
	quick  bool
	load   Load
	label  string // the stage label of this level, "users=N"
	target int    // users the level runs
	closed bool   // false: an open-model rate

	start                 time.Time // when the stages were sent
	measureFrom, deadline time.Time // the measured part
	settled, first        bool
	acc                   *hist.Acc
	early, passEarly      bool // ended early: clearly failing, clearly passing
}

// begin sends a level's scenarios and stages to fire.
func (d *FireDriver) begin(l *Level, users int, quick bool) (*levelRun, error) {
	load, err := d.load(users)
	if err != nil {
		return nil, err
	}
	lr := &levelRun{d: d, l: l, users: users, quick: quick, load: load, label: "users=" + strconv.Itoa(users), closed: true}
	for _, sc := range load.Scenarios {
		d.think[sc.Group] = time.Duration((sc.ThinkMS + max(sc.ThinkMaxMS, sc.ThinkMS)) / 2 * float64(time.Millisecond))
	}
	for _, st := range load.Stages {
		st.AtMS, st.Label = nil, lr.label
		if st.Users != nil {
			lr.target += *st.Users
		} else {
			lr.closed = false
		}
	}
	lr.start = time.Now()
	if err := d.send(append(load.Scenarios, load.Stages...)...); err != nil {
		return nil, err
	}
	lr.acc = hist.NewAcc()
	lr.acc.SetScale(l.TimeScale)
	lr.measureFrom, lr.deadline = lr.start.Add(l.Warmup), lr.start.Add(l.Duration)
	// After a lower level, the warm-up starts only once the users above
	// this level have finished their last send: their requests, queued
	// in the server, would otherwise be measured as this level's.
	lr.settled, lr.first = !lr.closed, true
	return lr, nil
}

// collect reads fire's intervals until the level is measured or ends early.
// The wait for statistics is bounded by twice the level's duration.
func (lr *levelRun) collect(ctx context.Context) error {
	limit := 2*lr.l.Duration + 5*time.Second
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("fire sent no statistics for %v", limit)
		case iv, ok := <-lr.d.intervals:
			if !ok {
				return fmt.Errorf("fire exited: %v", lr.d.wait())
			}
			if lr.add(&iv) {
				return nil
			}
		}
	}
}

// add takes one interval record; it reports whether the level is done.
func (lr *levelRun) add(iv *record.Stats) bool {
	if iv.Stage != lr.label {
		return false
	}
	if !lr.settled && !lr.settle(iv) {
		lr.progress(nil)
		return false
	}
	if iv.End.Before(lr.measureFrom.Add(time.Millisecond)) || iv.Start.Before(lr.measureFrom.Add(-time.Millisecond)) {
		lr.progress(nil) // warming up
		return !iv.End.Before(lr.deadline)
	}
	lr.acc.AddStats(iv)
	so := lr.acc.Stats(record.TypeInterval, false)
	lr.progress(&so)
	switch {
	case lr.l.clearlyFailing(&so):
		lr.early = true
		return true
	case lr.quick && lr.l.clearlyPassing(&so, iv.End.Sub(lr.measureFrom)):
		lr.passEarly = true
		return true
	}
	return !iv.End.Before(lr.deadline)
}

// progress tells the level's progress: the measured part so far (nil
// while it warms up or waits for surplus users to leave).
func (lr *levelRun) progress(soFar *record.Stats) {
	if lr.l.Progress != nil {
		lr.l.Progress(lr.users, time.Since(lr.start), soFar)
	}
}

// settle watches the users of a closed-model level come down to its
// target after a higher level; once they have, the warm-up starts (at the
// level's start if they were never above it). The wait is bounded by one
// level's duration. It reports whether the level has settled.
func (lr *levelRun) settle(iv *record.Stats) bool {
	at := iv.End
	switch {
	case iv.Users <= lr.target && lr.first:
		lr.settled, at = true, lr.start
	case iv.Users <= lr.target:
		lr.settled = true
	case !iv.End.Before(lr.start.Add(lr.l.Duration)):
		lr.settled = true
		fmt.Fprintf(lr.d.stderr, "rampctl: %d users: %d still running after %v; measuring anyway\n", lr.users, iv.Users, lr.l.Duration)
	}
	lr.first = false
	if lr.settled {
		lr.measureFrom, lr.deadline = at.Add(lr.l.Warmup), at.Add(lr.l.Duration)
	}
	return lr.settled
}

// step judges the measured part.
func (lr *levelRun) step() record.Step {
	s := lr.acc.Stats(record.TypeInterval, true)
	st := FromStats(lr.users, &s)
	for _, g := range lr.load.Stages {
		if g.RateRPS != nil {
			st.OfferedRPS += *g.RateRPS
		} else if think := lr.d.think[g.Group]; think > 0 {
			st.OfferedRPS += float64(*g.Users) / think.Seconds()
		}
	}
	st.Pass = lr.l.Req.Evaluate(&s).Pass && !lr.early
	st.Headroom = math.Min(lr.l.Req.Headroom(&s), 1e9)
	st.EarlyStop, st.EarlyPass = lr.early, lr.passEarly
	return st
}

// pause stops the load (every group at 0 users, or rate 0) for l.Pause.
func (d *FireDriver) pause(ctx context.Context, l *Level, stages []*record.Plan) error {
	if l.Pause <= 0 {
		return nil
	}
	var zero []*record.Plan
	for _, g := range stages {
		z := &record.Plan{Type: record.TypeStage, Group: g.Group, Users: plan.Ptr(0), Label: "pause"}
		if g.RateRPS != nil {
			z = &record.Plan{Type: record.TypeStage, RateRPS: plan.Ptr(0.0), Label: "pause"}
		}
		zero = append(zero, z)
	}
	if err := d.send(zero...); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-time.After(l.Pause):
	}
	return nil
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
