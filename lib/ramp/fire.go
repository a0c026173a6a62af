package ramp

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
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
}

// fireProc is one fire process (local or on a worker).
type fireProc struct {
	name string // "fire", or "worker 2 of 3 (ssh host)" in messages
	cmd  *exec.Cmd
	in   io.WriteCloser
	enc  *plan.Encoder
	done chan struct{} // closed when its feedback has ended
	err  error         // why its feedback ended early (set before done closes)

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
	Path     string // fire binary (on each worker: as given, or "fire" on its PATH)
	Target   string // --target
	Interval time.Duration
	Args     []string // more fire flags
	// Load returns the scenarios and stages of a level (plan-cmd or the default).
	Load   func(users int) (Load, error)
	Stderr io.Writer
	// Workers, if any, each run fire --segment i/N over their command.
	Workers []Worker
	Run     string        // the run's name (fire --run), with Workers
	Lead    time.Duration // with Workers: the common plan start is this far after starting them
	Seed    int64         // the plan header's seed: every random draw of fire's
}

// stageLead is how far ahead of its instant a worker's stage is sent, so
// every worker has it in time to start it with the others.
const stageLead = 500 * time.Millisecond

// StartFire starts fire, or one fire per worker, with the feedback on pipes.
func StartFire(cfg FireConfig) (*FireDriver, error) {
	d := &FireDriver{feedback: make(chan feedback, 1024), stderr: cfg.Stderr, load: cfg.Load, think: map[string]time.Duration{}}
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
	for _, p := range d.procs {
		p.enc.Encode(plan.Header("rampctl", cfg.Seed))
		if err := p.enc.Flush(); err != nil {
			err = d.exited(len(d.procs) - 1)
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
	args := append([]string{"--target", cfg.Target, "--feedback", "/dev/fd/3", "-o", os.DevNull,
		"--interval", cfg.Interval.String(), "--progress", "0"}, cfg.Args...)
	cmd := exec.Command(cfg.Path, args...)
	cmd.ExtraFiles = []*os.File{pw}
	err = d.start("fire", cmd, pr, cfg.Stderr)
	pw.Close()
	if err != nil {
		pr.Close()
		return fmt.Errorf("starting fire (%s): %v", cfg.Path, err)
	}
	return nil
}

// startWorkers starts fire --segment i/N on every worker, each with the
// same plan clock start (--start-at) and its feedback on its stdout.
func (d *FireDriver) startWorkers(cfg FireConfig) error {
	n := len(cfg.Workers)
	d.startAt = time.Now().Add(cfg.Lead).UTC().Truncate(time.Millisecond)
	for i, w := range cfg.Workers {
		args := append([]string{cfg.Path, "--target", cfg.Target, "--segment", record.SegmentID(i+1, n), "--run", cfg.Run,
			"--start-at", d.startAt.Format(time.RFC3339Nano), "--feedback", "-", "-o", os.DevNull,
			"--interval", cfg.Interval.String(), "--progress", "0"}, cfg.Args...)
		for j := range args {
			args[j] = shellQuote(args[j])
		}
		name := fmt.Sprintf("worker %d of %d (%s)", i+1, n, w.Line)
		cmd := w.Command(context.Background(), strings.Join(args, " "))
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := d.start(name, cmd, out, &prefixWriter{w: cfg.Stderr, prefix: "rampctl: " + name + ": "}); err != nil {
			return fmt.Errorf("starting %s: %v", name, err)
		}
	}
	return nil
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
		}
	}
	if len(d.procs) == 1 {
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

// Close ends the plan and waits for every fire (bounded by fire's --stop-timeout).
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
	var first error
	for _, p := range d.procs {
		if err := p.wait(); err != nil && first == nil {
			first = fmt.Errorf("%s: %v", p.name, err)
		}
		if pw, ok := p.cmd.Stderr.(*prefixWriter); ok {
			pw.flush()
		}
	}
	d.readers.Wait()
	close(d.feedback)
	<-drained
	return first
}

// prefixWriter writes each line of a worker's stderr with a prefix naming it.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	part   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := strings.IndexByte(string(p.part), '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.part[:i]); err != nil {
			return 0, err
		}
		p.part = p.part[i+1:]
	}
	return len(b), nil
}

// flush writes a last line that had no newline.
func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.part) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.part)
		p.part = nil
	}
}
