package fire

import (
	"context"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/clock"
)

// ---- open model ----

// timeline is what control has told the open model so far: its rate
// stages, how far ahead they are final, and the plan's end. The pacer takes
// an arrival only once no plan record can still change it: while control
// holds a record waiting for its time, nothing changes before that time;
// while control waits for the plan's next line, nothing changes before the
// present (a record that arrives late applies when it is read). So the
// schedule is the plan's own, never an artefact of when records were read.
type timeline struct {
	mu        sync.Mutex
	stages    []rateStage   // added by control, not yet taken by the pacer
	pendingAt time.Duration // the plan time of the record control holds
	reading   bool          // control waits for the plan's next line
	eof       bool          // the plan has no more records
	committed time.Duration // the latest arrival the pacer took as final
	end       time.Duration // the plan's end (never: not reached)
	changed   chan struct{} // closed and replaced on every change
}

func newTimeline() *timeline {
	return &timeline{reading: true, committed: -1, end: never, changed: make(chan struct{})}
}

func (tl *timeline) notify() {
	close(tl.changed)
	tl.changed = make(chan struct{})
}

// setReading: control waits for the plan's next line.
func (tl *timeline) setReading() {
	tl.mu.Lock()
	tl.reading = true
	tl.notify()
	tl.mu.Unlock()
}

// setPending: control holds a record with at_ms atMS (nil: apply when
// read); it returns the plan time the record applies at: never before an
// arrival the pacer already took.
func (tl *timeline) setPending(atMS *float64, now time.Duration) time.Duration {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	at := now
	if atMS != nil {
		at = satMS(*atMS)
	}
	at = max(at, tl.committed+1)
	tl.reading, tl.pendingAt = false, at
	tl.notify()
	return at
}

func (tl *timeline) addStage(s rateStage) {
	tl.mu.Lock()
	tl.stages = append(tl.stages, s)
	tl.notify()
	tl.mu.Unlock()
}

func (tl *timeline) setEnd(at time.Duration) {
	tl.mu.Lock()
	tl.end = at
	tl.notify()
	tl.mu.Unlock()
}

func (tl *timeline) setEOF() {
	tl.mu.Lock()
	tl.eof, tl.reading = true, false
	tl.notify()
	tl.mu.Unlock()
}

// claim hands a the stages added since its last claim and returns its next
// arrival's plan time t, whether t is final (no record can still change
// it), the plan's end, and a channel closed on the next change.
func (tl *timeline) claim(a *arrivals, now time.Duration) (t time.Duration, final bool, end time.Duration, changed chan struct{}) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, s := range tl.stages {
		a.add(s)
	}
	clear(tl.stages)
	tl.stages = tl.stages[:0]
	t = a.next()
	horizon := tl.pendingAt
	switch {
	case tl.eof:
		horizon = never
	case tl.reading:
		horizon = now + 1
	}
	final = t < horizon
	if final && t > tl.committed {
		tl.committed = t
	}
	return t, final, tl.end, tl.changed
}

// pace launches this segment's arrivals on schedule whatever the server
// does; latency counts from each arrival's intended time, so a stalled
// server shows as latency (no coordinated omission). Every arrival before
// the plan's end is sent, late ones as soon as the pacer can (counted as
// send lag), or counted as missed when --max-inflight sends are in flight.
func (r *runner) pace(ctx context.Context, a *arrivals) {
	defer r.bg.Done()
	defer r.pacerDone.Store(true)
	slp := clock.NewSingle()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		t, final, end, changed := r.tl.claim(a, r.now())
		switch {
		case t >= end && end < never:
			return // every arrival before the end was taken
		case !final:
			r.waitChange(ctx, timer, changed, t)
			continue
		}
		k := a.k
		st := a.pop()
		if !r.seg.ownsArrival(k) {
			continue
		}
		if !r.sleepUntil(ctx, slp, timer, t, time.Millisecond) {
			return
		}
		r.launch(t, st)
	}
}

// waitChange waits for the timeline to change, or for plan time t to pass
// (while control reads, the present is final), or for a stop.
func (r *runner) waitChange(ctx context.Context, timer *time.Timer, changed chan struct{}, t time.Duration) {
	if d := t - r.now(); t < never && d > 0 {
		timer.Reset(d)
	} else {
		timer.Stop()
	}
	select {
	case <-ctx.Done():
	case <-changed:
	case <-timer.C:
	}
}

// sleepUntil sleeps until plan time t: a Go timer for all but the last
// margin (Go's timers wake up to a millisecond or two late), then the
// precise clock (lib/clock). False: stopped.
func (r *runner) sleepUntil(ctx context.Context, slp *clock.Single, timer *time.Timer, t, margin time.Duration) bool {
	for {
		d := t - r.now()
		switch {
		case d <= 0:
			return true
		case d < 2*margin:
			slp.Sleep(d)
			continue
		}
		timer.Reset(d - margin)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
	}
}

// launch starts the arrival due at plan time t.
func (r *runner) launch(t time.Duration, st *step) {
	r.sink.recordLag(r.now() - t)
	if r.inflight.Add(1) > int64(r.cfg.MaxInflight) {
		r.inflight.Add(-1)
		r.sink.addMissed()
		return
	}
	r.pool.push(&arrival{attempt{st: st, from: t, scheduled: true, user: -1}})
}
