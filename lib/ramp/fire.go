package ramp

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
)

// FireDriver runs one long-lived fire, or one per worker, and feeds it a
// stage per level, so connections and users carry over between levels.
// With workers, each runs a segment of every level (fire --segment i/N:
// its share of the users of each stage) from a common plan clock, and a
// level's statistics merge every worker's histograms.
type FireDriver struct {
	procs    []*fireProc
	feedback chan feedback
	readers  sync.WaitGroup
	stderr   io.Writer
	load     func(users int) (Load, error)
	think    map[string]time.Duration // mean think of each group's scenario, for the offered rate
	startAt  time.Time                // with workers: the common plan start (zero: each fire's own)
	lastAt   float64                  // the last at_ms sent
	slack    time.Duration            // how far apart the fires' interval ends may be and still be the same tick
	stop     time.Duration            // how long Close waits for a fire before it kills it
}

// fireProc is one fire process (local or on a worker).
type fireProc struct {
	name string // "fire", or "worker 2 of 3 (ssh host)" in messages
	cmd  *exec.Cmd
	in   io.WriteCloser
	enc  *plan.Encoder
	done chan struct{} // closed when its feedback has ended
	err  error         // why its feedback ended early (set before done closes)
	// remote: a worker's fire found by the path given (--fire), whose
	// exit 127 means it is not there
	remote bool

	waitOnce sync.Once
	waitErr  error
}

// wait ends the plan's stdin and waits for the process (once).
func (p *fireProc) wait() error {
	p.waitOnce.Do(func() {
		p.in.Close()
		p.waitErr = p.cmd.Wait()
	})
	return p.waitErr
}

// feedback is an interval record of proc w, or (closed) the end of its feedback.
type feedback struct {
	w      int
	iv     record.Stats
	closed bool
}

// Load is what fire is sent for a level: scenarios (none: unchanged) and a
// stage for each group the level sets (one, unless the plan has groups).
type Load struct {
	Scenarios, Stages []*record.Plan
}

// FireConfig says how to start fire.
type FireConfig struct {
	Path        string // fire binary (here, and on each worker as given: "fire" is the one on its PATH)
	Target      string // --target
	Interval    time.Duration
	StopTimeout time.Duration // fire's --stop-timeout
	Args        []string      // more fire flags
	// Load returns the scenarios and stages of a level (plan-cmd or the default).
	Load   func(users int) (Load, error)
	Stderr io.Writer
	// Workers, if any, each run fire --segment i/N over their command.
	Workers []Worker
	// Ship, with Workers: this machine's fire, copied to every worker
	// but ":" for the run and removed after it (Path is then unused).
	Ship string
	Run  string        // the run's name (fire --run), with Workers
	Lead time.Duration // with Workers: the common plan start is this far after starting them
	Seed int64         // the plan header's seed: every random draw of fire's
}

// stageLead is how far ahead of its instant a worker's stage is sent, so
// every worker has it in time to start it with the others.
const stageLead = 500 * time.Millisecond

// StartFire starts fire, or one fire per worker, with the feedback on pipes.
func StartFire(cfg FireConfig) (*FireDriver, error) {
	d := &FireDriver{feedback: make(chan feedback, 1024), stderr: cfg.Stderr, load: cfg.Load, think: map[string]time.Duration{},
		slack: cfg.Interval / 2, stop: cfg.StopTimeout + closeGrace}
	var err error
	if len(cfg.Workers) == 0 {
		err = d.startLocal(cfg)
	} else {
		err = d.startWorkers(cfg)
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	for w, p := range d.procs {
		p.enc.Encode(plan.Header("rampctl", cfg.Seed))
		if err := p.enc.Flush(); err != nil {
			err = d.exited(w)
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// startLocal starts one fire here, its feedback on file descriptor 3.
func (d *FireDriver) startLocal(cfg FireConfig) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(cfg.Path, fireArgs(cfg, "--feedback", "/dev/fd/3")...)
	cmd.ExtraFiles = []*os.File{pw}
	err = d.start("fire", cmd, pr, cfg.Stderr)
	pw.Close()
	if err != nil {
		pr.Close()
		return fmt.Errorf("starting fire (%s): %v", cfg.Path, err)
	}
	return nil
}

// fireArgs are fire's flags: the target, where the feedback goes, no
// samples and no progress, then more.
func fireArgs(cfg FireConfig, more ...string) []string {
	args := []string{"--target", cfg.Target, "-o", os.DevNull, "--interval", cfg.Interval.String(), "--progress", "0",
		"--stop-timeout", cfg.StopTimeout.String()}
	return append(append(args, more...), cfg.Args...)
}

// start starts cmd and reads its feedback from fb.
func (d *FireDriver) start(name string, cmd *exec.Cmd, fb io.ReadCloser, stderr io.Writer) error {
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &fireProc{name: name, cmd: cmd, in: in, enc: plan.NewEncoder(in), done: make(chan struct{})}
	d.procs = append(d.procs, p)
	d.readers.Add(1)
	go d.readFeedback(len(d.procs)-1, p, fb)
	return nil
}

// readFeedback passes a fire's interval records on until its feedback ends,
// then says so. A segment that reports it failed ends it too.
func (d *FireDriver) readFeedback(w int, p *fireProc, fb io.ReadCloser) {
	defer func() {
		fb.Close()
		close(p.done)
		d.feedback <- feedback{w: w, closed: true}
		d.readers.Done()
	}()
	rd := record.NewReader(context.Background(), fb, p.name+"'s feedback", &record.Problems{Tool: "rampctl", W: d.stderr})
	for rd.Next() {
		switch rd.Type() {
		case record.TypeInterval:
			var s record.Stats
			if rd.Decode(&s) {
				d.feedback <- feedback{w: w, iv: s}
			}
		case record.TypeSegment:
			var s record.Segment
			if !rd.Decode(&s) {
				continue
			}
			if err := d.segment(p, &s); err != nil {
				p.err = err
				return
			}
		}
	}
}

// segment notes a worker's segment mark: a late start is said, a failed
// segment is an error.
func (d *FireDriver) segment(p *fireProc, s *record.Segment) error {
	switch {
	case s.Phase == record.SegmentStart && s.LagMS > 50:
		fmt.Fprintf(d.stderr, "rampctl: %s started %.0f ms after the common start\n", p.name, s.LagMS)
	case s.Phase == record.SegmentEnd && s.Status == record.SegmentFailed:
		return fmt.Errorf("its segment %s failed", s.Segment)
	}
	return nil
}

// send sends plan records to every fire; one that cannot take them has
// exited, and says why.
func (d *FireDriver) send(recs ...*record.Plan) error {
	for w, p := range d.procs {
		for _, r := range recs {
			if r != nil {
				p.enc.Encode(r)
			}
		}
		if err := p.enc.Flush(); err != nil {
			return d.exited(w)
		}
	}
	return nil
}

// schedule sets when stages start: at once for one fire (at_ms absent);
// with workers, an instant on the common plan clock a little ahead, the
// same for all. It returns that instant.
func (d *FireDriver) schedule(stages []*record.Plan) time.Time {
	now := time.Now()
	if d.startAt.IsZero() {
		for _, st := range stages {
			st.AtMS = nil
		}
		return now
	}
	at := max(float64(now.Add(stageLead).Sub(d.startAt).Milliseconds()), d.lastAt, 0)
	d.lastAt = at
	for _, st := range stages {
		st.AtMS = plan.Ptr(at)
	}
	return d.startAt.Add(time.Duration(at) * time.Millisecond)
}

// exited says why proc w's feedback ended.
func (d *FireDriver) exited(w int) error {
	p := d.procs[w]
	<-p.done
	err := p.err
	if err == nil {
		if err = p.wait(); err == nil {
			err = fmt.Errorf("its feedback ended")
		} else {
			err = exitWhy(err, p.remote)
		}
	}
	if d.startAt.IsZero() { // one fire here
		return fmt.Errorf("fire exited: %v", err)
	}
	return fmt.Errorf("%s exited: %v: the level is invalid (its load was incomplete) and not recorded", p.name, err)
}

// dead returns the error of the first fire whose feedback has ended (nil: none).
func (d *FireDriver) dead() error {
	for w, p := range d.procs {
		select {
		case <-p.done:
			return d.exited(w)
		default:
		}
	}
	return nil
}

// closeGrace is how long Close waits for a fire beyond its --stop-timeout
// (a worker's ssh, its shipped fire removed) before it kills it.
const closeGrace = 10 * time.Second

// Close ends the plan and waits for every fire, each at most its
// --stop-timeout and closeGrace: one that does not end by then (a worker
// whose connection hangs) is killed.
func (d *FireDriver) Close() error {
	drained := make(chan struct{})
	go func() { // the readers' last words
		for range d.feedback {
		}
		close(drained)
	}()
	for _, p := range d.procs {
		p.enc.Encode(&record.Plan{Type: record.TypeEnd})
		p.enc.Flush()
		p.in.Close()
	}
	errs := make([]error, len(d.procs))
	var wg sync.WaitGroup
	for i, p := range d.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.waitAtMost(d.stop)
			if pw, ok := p.cmd.Stderr.(*prefixWriter); ok {
				pw.flush()
			}
		}()
	}
	wg.Wait()
	d.readers.Wait()
	close(d.feedback)
	<-drained
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%s: %v", d.procs[i].name, err)
		}
	}
	return nil
}

// waitAtMost waits for the process, and kills it after limit.
func (p *fireProc) waitAtMost(limit time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- p.wait() }()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		p.cmd.Process.Kill()
		<-done
		return fmt.Errorf("still running %v after the plan's end: killed", limit)
	}
}
