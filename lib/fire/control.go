package fire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
)

// ---- control: the plan's records, each at its plan time ----

type planItem struct {
	rec  *record.Plan
	line int
	err  error
}

// control reads the plan and applies each record at its plan time. It
// returns at the plan's end, when stopped, or with the plan's error.
func (r *runner) control(ctx context.Context, dec *plan.Decoder) error {
	recs := make(chan planItem, 16)
	go readPlan(ctx, dec, recs)
	staged := false
	for {
		it, at, ok := r.nextRecord(ctx, recs)
		switch {
		case ctx.Err() != nil:
			return nil
		case !ok:
			return r.planDone(ctx, staged)
		case it.err != nil:
			return it.err
		}
		if err := r.check(it); err != nil {
			return err
		}
		if !r.waitFor(ctx, at) {
			return nil
		}
		end, err := r.apply(ctx, it, at)
		if err != nil || end {
			return err
		}
		staged = staged || it.rec.Type == record.TypeStage
	}
}

// readPlan decodes the plan on its own goroutine, so a plan read from a
// pipe that says nothing never holds up a stop.
func readPlan(ctx context.Context, dec *plan.Decoder, recs chan<- planItem) {
	defer close(recs)
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			return
		}
		select {
		case recs <- planItem{rec: rec, line: dec.Line(), err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// nextRecord returns the plan's next record and the plan time it applies
// at; false at the plan's end or on a stop.
func (r *runner) nextRecord(ctx context.Context, recs <-chan planItem) (planItem, time.Duration, bool) {
	var it planItem
	var ok bool
	select {
	case it, ok = <-recs:
	default:
		r.tl.setReading()
		select {
		case it, ok = <-recs:
		case <-ctx.Done():
			return it, 0, false
		}
	}
	if !ok || it.err != nil {
		return it, 0, ok
	}
	return it, r.tl.setPending(it.rec.AtMS, r.now()), true
}

// planDone: the plan ended without an end record. Its users run until
// fire is stopped.
func (r *runner) planDone(ctx context.Context, staged bool) error {
	r.tl.setEOF()
	if !staged {
		return errors.New("plan has no stage: nothing to run")
	}
	<-ctx.Done()
	return nil
}

// waitFor waits until plan time at; false: stopped first.
func (r *runner) waitFor(ctx context.Context, at time.Duration) bool {
	d := at - r.now()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// check refuses, as soon as it is read, a stage that cannot run: more users
// than this machine's memory holds at fire's measured cost per user.
func (r *runner) check(it planItem) error {
	rec := it.rec
	if rec.Type != record.TypeStage || rec.Users == nil {
		return nil
	}
	n := int64(*rec.Users)
	own := (n + int64(r.seg.n()) - 1) / int64(r.seg.n())
	if lim := r.memLimit / BytesPerUser; own > lim {
		return fmt.Errorf("%s line %d: %d users need about %s at %d bytes each, more than the %s of memory available (at most %d users)",
			r.planName, it.line, own, bytesText(own*BytesPerUser), BytesPerUser, bytesText(r.memLimit), lim)
	}
	return nil
}

// apply makes rec take effect at plan time at; true at the plan's end.
func (r *runner) apply(ctx context.Context, it planItem, at time.Duration) (end bool, err error) {
	rec := it.rec
	switch rec.Type {
	case record.TypePlan:
		r.useSeed(rec.Seed, true)
	case record.TypeScenario:
		sc := compile(rec, r.tgt)
		r.closedMu.Lock()
		r.group(rec.Group).sc = sc
		r.closedMu.Unlock()
		if rec.Group == "" {
			r.sc = sc
		}
	case record.TypeStage:
		return false, r.applyStage(ctx, it, at)
	case record.TypeEnd:
		r.tl.setEnd(at) // the open model sends every arrival before it
		r.ended.Store(true)
		return true, nil
	}
	return false, nil
}

func (r *runner) applyStage(ctx context.Context, it planItem, at time.Duration) error {
	rec := it.rec
	r.closedMu.Lock()
	g := r.group(rec.Group)
	r.closedMu.Unlock()
	if g.sc == nil {
		if rec.Group != "" {
			return fmt.Errorf("%s line %d: a stage for group %q before its scenario", r.planName, it.line, rec.Group)
		}
		return fmt.Errorf("%s line %d: a stage before any scenario", r.planName, it.line)
	}
	r.useSeed(0, false)
	r.label.Store(&rec.Label)
	if rec.Users != nil {
		r.tl.addStage(rateStage{at: at}) // closed users pause the open model
		r.setUsers(g, *rec.Users, rec.SpawnRate, at)
		return nil
	}
	if *rec.RateRPS > 0 {
		r.stopClosed() // a rate replaces closed users
	}
	r.tl.addStage(rateStage{at: at, rate: *rec.RateRPS, poisson: rec.Poisson, sc: r.sc})
	if !r.pacing {
		r.pacing = true
		r.pacerDone.Store(false)
		r.bg.Add(1)
		go r.pace(ctx, newArrivals(r.seed))
	}
	return nil
}

// useSeed fixes the run's seed once, before anything is drawn: --seed if
// given, else the plan header's, else 0 (a plan without a header).
func (r *runner) useSeed(planSeed int64, header bool) {
	if r.seedSaid {
		return
	}
	r.seedSaid = true
	switch {
	case r.cfg.Seed != nil && header:
		r.seed = uint64(*r.cfg.Seed)
		fmt.Fprintf(r.stderr, "fire: seed %d (--seed; the plan's is %d)\n", *r.cfg.Seed, planSeed)
	case r.cfg.Seed != nil:
		r.seed = uint64(*r.cfg.Seed)
		fmt.Fprintf(r.stderr, "fire: seed %d (--seed)\n", *r.cfg.Seed)
	case header:
		r.seed = uint64(planSeed)
		fmt.Fprintf(r.stderr, "fire: seed %d (the plan's)\n", planSeed)
	default:
		fmt.Fprintf(r.stderr, "fire: seed 0 (the plan has no header with a seed)\n")
	}
}
