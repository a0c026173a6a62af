package ramp

import (
	"context"
	"fmt"
	"math"
	"slices"
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
	running               []int // each fire's users in its last interval of this level
	firstUsers            []int // and in its first (-1: none yet)
	first                 bool  // the round of every fire's first interval is still to be judged
	pending               []pendingIv
	// Each fire's measured intervals wait in its queue until every fire
	// has reported as far (see flush).
	queue            [][]record.Stats
	reach            []time.Time // the end of each fire's last interval of this level
	last             []bool      // each fire has sent an interval reaching the deadline
	measured         []bool      // each fire has a measured interval in acc
	acc              *hist.Acc
	early, passEarly bool // ended early: clearly failing, clearly passing
}

// begin sends a level's scenarios and stages to every fire.
func (d *FireDriver) begin(l *Level, users int, quick bool) (*levelRun, error) {
	load, err := d.load(users)
	if err != nil {
		return nil, err
	}
	for _, sc := range load.Scenarios {
		d.think[sc.Group] = time.Duration((sc.ThinkMS + max(sc.ThinkMaxMS, sc.ThinkMS)) / 2 * float64(time.Millisecond))
	}
	label := "users=" + strconv.Itoa(users)
	for _, st := range load.Stages {
		st.Label = label
	}
	start := d.schedule(load.Stages)
	if err := d.send(append(load.Scenarios, load.Stages...)...); err != nil {
		return nil, err
	}
	return d.newLevelRun(l, users, quick, load, start), nil
}

// newLevelRun is the measurement of a level whose stages start at start.
func (d *FireDriver) newLevelRun(l *Level, users int, quick bool, load Load, start time.Time) *levelRun {
	n := len(d.procs)
	lr := &levelRun{d: d, l: l, users: users, quick: quick, load: load, label: "users=" + strconv.Itoa(users), closed: true,
		running: make([]int, n), firstUsers: make([]int, n), queue: make([][]record.Stats, n), reach: make([]time.Time, n), last: make([]bool, n),
		measured: make([]bool, n), first: true, start: start, acc: hist.NewAcc()}
	for i := range lr.firstUsers {
		lr.firstUsers[i] = -1
	}
	for _, st := range load.Stages {
		if st.Users != nil {
			lr.target += *st.Users
		} else {
			lr.closed = false
		}
	}
	lr.acc.SetScale(l.TimeScale)
	lr.measureFrom, lr.deadline = start.Add(l.Warmup), start.Add(l.Duration)
	// After a lower level, the warm-up starts only once the users above
	// this level have finished their last send: their requests, queued
	// in the server, would otherwise be measured as this level's.
	lr.settled = !lr.closed
	return lr
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
	if lr.d.startAt.IsZero() { // one fire here
		return "fire"
	}
	for w, ok := range lr.last {
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

// measure takes an interval of a settled level: one of the measured part
// if it lies after the warm-up. A fire's intervals after the one that
// reaches the deadline are not the level's. It reports whether the level
// is done.
func (lr *levelRun) measure(w int, iv *record.Stats) bool {
	if lr.last[w] {
		return false
	}
	lr.reach[w] = iv.End
	lr.last[w] = !iv.End.Before(lr.deadline)
	if iv.End.Before(lr.measureFrom.Add(time.Millisecond)) || iv.Start.Before(lr.measureFrom.Add(-time.Millisecond)) {
		lr.progress(nil) // warming up
	} else {
		lr.queue[w] = append(lr.queue[w], *iv)
	}
	return lr.flush()
}

// flush moves into the level's histogram every queued interval that ends
// by the horizon, the end of the interval every fire has reached (give or
// take half an interval: the fires of the workers tick on one plan clock,
// a few milliseconds apart), then judges what it holds. So the
// statistics, and every early verdict on them, cover the same stretch of
// time in every fire, never one fire's share ahead of another's. Once
// every fire has reached the deadline, what lies beyond the earliest of
// them is left out. It reports whether the level is done.
func (lr *levelRun) flush() bool {
	var h time.Time
	for _, r := range lr.reach {
		if r.IsZero() {
			return false // a fire has not reported this level's measured part yet
		}
		if h.IsZero() || r.Before(h) {
			h = r
		}
	}
	cut, added := h.Add(lr.d.slack), false
	for w, q := range lr.queue {
		n := 0
		for n < len(q) && !q[n].End.After(cut) {
			lr.acc.AddStats(&q[n])
			n++
		}
		lr.queue[w] = q[n:]
		lr.measured[w] = lr.measured[w] || n > 0
		added = added || n > 0
	}
	done := all(lr.last)
	if !added || !all(lr.measured) { // an early verdict needs every fire's share of the load
		return done
	}
	so := lr.acc.Stats(record.TypeInterval, false)
	lr.progress(&so)
	switch {
	case lr.l.clearlyFailing(&so):
		lr.early = true
		return true
	case lr.quick && lr.l.clearlyPassing(&so, so.End.Sub(lr.measureFrom)):
		lr.passEarly = true
		return true
	}
	return done
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
// never above it: the first interval of every fire says so, whichever
// order they come in). The wait is bounded by one level's duration. It
// reports whether the level has settled.
func (lr *levelRun) settle(w int, iv *record.Stats) bool {
	if lr.firstUsers[w] < 0 {
		lr.firstUsers[w] = iv.Users
	}
	lr.running[w] = iv.Users
	if slices.Contains(lr.firstUsers, -1) {
		return false // a fire has not reported this level yet
	}
	at, total := iv.End, sum(lr.running)
	switch {
	case lr.first && sum(lr.firstUsers) <= lr.target:
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

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
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
