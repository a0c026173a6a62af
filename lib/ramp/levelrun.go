package ramp

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
)

// Measure runs one level through fire (or the workers' fires).
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

// levelRun is one level being measured through the fires' feedback.
type levelRun struct {
	d      *FireDriver
	l      *Level
	users  int
	quick  bool
	load   Load
	label  string // the stage label of this level, "users=N"
	target int    // users the level runs
	closed bool   // false: an open-model rate

	start                 time.Time // when the stages start
	measureFrom, deadline time.Time // the measured part
	settled               bool
	running               []int  // each fire's users in its last interval of this level (-1: none yet)
	first                 bool   // no fire has sent two intervals of this level yet
	done                  []bool // each fire has sent an interval reaching the deadline
	measured              []bool // each fire has sent a measured interval
	pending               []pendingIv
	acc                   *hist.Acc
	early, passEarly      bool // ended early: clearly failing, clearly passing
}

// begin sends a level's scenarios and stages to every fire.
func (d *FireDriver) begin(l *Level, users int, quick bool) (*levelRun, error) {
	load, err := d.load(users)
	if err != nil {
		return nil, err
	}
	n := len(d.procs)
	lr := &levelRun{d: d, l: l, users: users, quick: quick, load: load, label: "users=" + strconv.Itoa(users), closed: true,
		running: make([]int, n), done: make([]bool, n), measured: make([]bool, n), first: true}
	for i := range lr.running {
		lr.running[i] = -1
	}
	for _, sc := range load.Scenarios {
		d.think[sc.Group] = time.Duration((sc.ThinkMS + max(sc.ThinkMaxMS, sc.ThinkMS)) / 2 * float64(time.Millisecond))
	}
	for _, st := range load.Stages {
		st.Label = lr.label
		if st.Users != nil {
			lr.target += *st.Users
		} else {
			lr.closed = false
		}
	}
	lr.start = d.schedule(load.Stages)
	if err := d.send(append(load.Scenarios, load.Stages...)...); err != nil {
		return nil, err
	}
	lr.acc = hist.NewAcc()
	lr.acc.SetScale(l.TimeScale)
	lr.measureFrom, lr.deadline = lr.start.Add(l.Warmup), lr.start.Add(l.Duration)
	// After a lower level, the warm-up starts only once the users above
	// this level have finished their last send: their requests, queued
	// in the server, would otherwise be measured as this level's.
	lr.settled = !lr.closed
	return lr, nil
}

// collect reads the fires' intervals until the level is measured or ends
// early. The wait for statistics is bounded by twice the level's duration.
// A fire that stops sending (a worker that died) makes the level invalid:
// an error, never a pass or a fail.
func (lr *levelRun) collect(ctx context.Context) error {
	limit := 2*lr.l.Duration + 5*time.Second + time.Until(lr.start)
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("no statistics for %v from %s", limit.Round(time.Millisecond), lr.silent())
		case fb := <-lr.d.feedback:
			if fb.closed {
				return lr.d.exited(fb.w)
			}
			if lr.add(fb.w, &fb.iv) {
				return lr.d.dead() // a level some fire did not see through is not measured
			}
		}
	}
}

// silent names the fires that have not reached the level's end.
func (lr *levelRun) silent() string {
	if len(lr.d.procs) == 1 {
		return "fire"
	}
	for w, ok := range lr.done {
		if !ok {
			return lr.d.procs[w].name
		}
	}
	return "the workers"
}

// add takes one interval record of fire w; it reports whether the level is done.
func (lr *levelRun) add(w int, iv *record.Stats) bool {
	if iv.Stage != lr.label {
		return false
	}
	if lr.settled {
		return lr.measure(w, iv)
	}
	// kept until the level settles: with several fires, the first ones'
	// intervals arrive before the last one's says it has
	lr.pending = append(lr.pending, pendingIv{w, *iv})
	if !lr.settle(w, iv) {
		lr.progress(nil)
		return false
	}
	pending := lr.pending
	lr.pending = nil
	for _, p := range pending {
		if lr.measure(p.w, &p.iv) {
			return true
		}
	}
	return false
}

// pendingIv is an interval of fire w that arrived before the level settled.
type pendingIv struct {
	w  int
	iv record.Stats
}

// measure takes an interval of a settled level: the measured part's if it
// lies after the warm-up. It reports whether the level is done.
func (lr *levelRun) measure(w int, iv *record.Stats) bool {
	if iv.End.Before(lr.measureFrom.Add(time.Millisecond)) || iv.Start.Before(lr.measureFrom.Add(-time.Millisecond)) {
		lr.progress(nil) // warming up
		return lr.reached(w, iv)
	}
	lr.acc.AddStats(iv)
	lr.measured[w] = true
	so := lr.acc.Stats(record.TypeInterval, false)
	lr.progress(&so)
	switch {
	case !all(lr.measured): // an early verdict needs every fire's share of the load
	case lr.l.clearlyFailing(&so):
		lr.early = true
		return true
	case lr.quick && lr.l.clearlyPassing(&so, iv.End.Sub(lr.measureFrom)):
		lr.passEarly = true
		return true
	}
	return lr.reached(w, iv)
}

// reached notes that fire w's interval reaches the deadline; the level is
// done when every fire's has.
func (lr *levelRun) reached(w int, iv *record.Stats) bool {
	if !iv.End.Before(lr.deadline) {
		lr.done[w] = true
	}
	return all(lr.done)
}

func all(bs []bool) bool {
	for _, b := range bs {
		if !b {
			return false
		}
	}
	return true
}

// progress tells the level's progress: the measured part so far (nil
// while it warms up or waits for surplus users to leave).
func (lr *levelRun) progress(soFar *record.Stats) {
	if lr.l.Progress != nil {
		lr.l.Progress(lr.users, time.Since(lr.start), soFar)
	}
}

// settle watches the users of a closed-model level come down to its
// target after a higher level (the sum over every fire's last interval);
// once they have, the warm-up starts (at the level's start if they were
// never above it). The wait is bounded by one level's duration. It reports
// whether the level has settled.
func (lr *levelRun) settle(w int, iv *record.Stats) bool {
	if lr.running[w] >= 0 {
		lr.first = false // a second interval of this fire: not the first round
	}
	lr.running[w] = iv.Users
	total := 0
	for _, u := range lr.running {
		if u < 0 {
			return false // a fire has not reported this level yet
		}
		total += u
	}
	at := iv.End
	switch {
	case total <= lr.target && lr.first:
		lr.settled, at = true, lr.start
	case total <= lr.target:
		lr.settled = true
	case !iv.End.Before(lr.start.Add(lr.l.Duration)):
		lr.settled = true
		fmt.Fprintf(lr.d.stderr, "rampctl: %d users: %d still running after %v; measuring anyway\n", lr.users, total, lr.l.Duration)
	}
	lr.first = false
	if lr.settled {
		lr.measureFrom, lr.deadline = at.Add(lr.l.Warmup), at.Add(lr.l.Duration)
	}
	return lr.settled
}

// step judges the measured part: one histogram over every fire's.
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
	d.schedule(zero)
	if err := d.send(zero...); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-time.After(l.Pause):
	}
	return nil
}
