// Package fire executes a load plan (lib/plan) against an HTTP target with
// fasthttp and logs every completed send (lib/rtlog), keeping HdrHistogram
// statistics (lib/hist). The fire command (lib/cmd/fire) wraps Run.
//
// A run: control (control.go) reads the plan and applies each record at its
// plan time. Closed-model users (closed.go) wait between sends in a heap
// (sleepers.go), costing bytes rather than a goroutine, and a bounded pool of
// workers (pool.go) performs their sends (send.go, session.go). The open
// model's pacer (pacer.go) walks a schedule that is a pure function of the
// plan and its seed (schedule.go), so the segments of a run (--segment I/N)
// split it exactly. Every completed send goes to the sink (sink.go);
// report.go writes intervals, progress and the summary.
package fire

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/clock"
	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// Config holds fire's settings (see `fire --help`).
type Config struct {
	Target      string
	JSONL       bool          // write sample records instead of Locust log lines
	MaxInflight int           // open model: sends in flight at most; later arrivals are counted as missed
	RetryDelay  time.Duration // repeating sends: pause between tries
	TryTimeout  time.Duration // timeout of one try (and of a non-repeating send)
	GiveUp      time.Duration // repeating sends: give up after this long (0: never)
	StopTimeout time.Duration // on stop, wait this long for sends in flight
	Interval    time.Duration // feedback interval
	Progress    time.Duration // progress line on stderr every so often (0: none)
	Seed        *int64        // overrides the plan header's seed (nil: the plan's)
	Host        string        // host name written in Locust log lines
	// Connections caps the open connections and so the sends in flight
	// (0: 512); sends beyond wait in fire's queue, and the wait counts as
	// latency. Connections open as sends need them: a closed model of
	// fewer users opens one per user.
	Connections int
	Segment     Segment   // this fire's share of a segmented run (zero: all of it)
	Run         string    // the run's name (segmented runs; record.ValidRunName)
	StartAt     time.Time // when the plan clock starts (zero: now)
	// Requirement, if not empty, is checked on the summary: a verdict
	// record follows it in the feedback.
	Requirement requirement.Requirement
	// MemLimit is the memory users may take (0: what this machine has available).
	MemLimit int64

	trace func(user int, req *fasthttp.Request) // tests: sees every request as it is sent (user -1: an arrival)
}

// Result is what a run measured and how it ended.
type Result struct {
	Summary record.Stats
	Verdict *record.Verdict  // nil without a requirement
	Reasons map[string]int64 // failed sends by why they failed
	Status  string           // record.SegmentOK (the plan's end), SegmentStopped or SegmentFailed
	Lag     time.Duration    // how late the plan clock started against Config.StartAt
}

// NothingSucceeded says whether sends were due and not one succeeded.
func (res *Result) NothingSucceeded() bool {
	return res.Summary.Count == 0 && res.Summary.Errors+res.Summary.Missed > 0
}

// defaultConnections is the connection cap when --connections is 0. Beyond
// a few hundred, connections cost more than they give: at 10^6 devices
// against arssim, 10,000 of them (one per device, up to half the open-file
// limit, the default before) held fire and arssim to 7,000–14,000 answers a
// second where 512 sustained 17,000–20,000 and kept the schedule
// (docs/performance.md, "Many devices").
const defaultConnections = 512

// Run executes the plan read from planR. Samples go to out, statistics
// records to fb (may be nil), progress and the summary to stderr. A plan
// error, or a failed write on out or fb, is returned after everything
// measured was written to the other outputs; a broken pipe is a stop.
func Run(ctx context.Context, cfg Config, planR io.Reader, planName string, out, fb, stderr io.Writer) (Result, error) {
	r, err := newRunner(cfg, planName, out, fb, stderr)
	if err != nil {
		return Result{}, err
	}
	ctx, halt := context.WithCancel(ctx)
	defer halt()
	r.halt = halt
	stopWatch := context.AfterFunc(ctx, func() { r.halted.Store(true) })
	defer stopWatch()
	if r.startClock(ctx) {
		done := make(chan struct{})
		r.bg.Add(2)
		go r.wakeSleepers(done)
		go r.ticker(done)
		if err := r.control(ctx, plan.NewDecoder(planR, planName)); err != nil {
			r.stop(err)
		}
		r.drain()
		close(done)
		r.bg.Wait()
	}
	return r.finish()
}

type runner struct {
	cfg       Config
	tgt       Target
	planName  string
	client    *fasthttp.HostClient
	sink      *sink
	fb        *feedback
	stderr    io.Writer
	seg       Segment
	segmented bool
	seed      uint64
	seedSaid  bool
	memLimit  int64
	conns     int // the connection cap

	t0  time.Time     // the plan clock's zero (monotonic)
	lag time.Duration // how late t0 came against StartAt

	tl        *timeline
	sl        *sleepers
	pool      *pool
	pacing    bool
	pacerDone atomic.Bool

	closedMu sync.Mutex
	groups   map[string]*group
	sc       *scenario // the default group's scenario: the open model's

	users, inflight, retried, moving atomic.Int64
	label                            atomic.Pointer[string]
	halted, abandoned, ended         atomic.Bool

	errMu    sync.Mutex
	err      error // the first error that stopped the run
	halt     context.CancelFunc
	bg       sync.WaitGroup
	lastTick time.Time
}

func newRunner(cfg Config, planName string, out, fb, stderr io.Writer) (*runner, error) {
	tgt, err := ParseTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	setDefaults(&cfg)
	r := &runner{cfg: cfg, tgt: tgt, planName: planName, stderr: stderr, seg: cfg.Segment,
		segmented: cfg.Segment.N > 0 || cfg.Run != "", tl: newTimeline(), sl: newSleepers(),
		groups: map[string]*group{}, memLimit: cfg.MemLimit}
	if r.memLimit <= 0 {
		r.memLimit = availableMemory()
	}
	r.conns = cfg.Connections
	if r.conns <= 0 {
		r.conns = defaultConnections
	}
	r.client = &fasthttp.HostClient{
		Addr: tgt.Addr, IsTLS: tgt.TLS, MaxConns: r.conns,
		// the pool never runs more sends than connections; should one
		// still wait for a connection, the wait is latency, not an error
		MaxConnWaitTimeout:        cfg.TryTimeout,
		MaxIdemponentCallAttempts: 1, // fire counts tries itself
		NoDefaultUserAgentHeader:  true, DisablePathNormalizing: true,
		MaxIdleConnDuration: 30 * time.Second,
	}
	r.pool = newPool(r, r.conns)
	r.pacerDone.Store(true)
	r.sink = newSink(out, cfg.JSONL, cfg.Host, r.outputFailed)
	if r.segmented {
		r.sink.run, r.sink.segment = cfg.Run, record.SegmentID(r.seg.i(), r.seg.n())
	}
	if fb != nil {
		r.fb = &feedback{w: bufio.NewWriter(fb), onError: r.outputFailed}
	}
	return r, nil
}

func setDefaults(cfg *Config) {
	if cfg.Host == "" {
		cfg.Host, _ = os.Hostname()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.MaxInflight <= 0 {
		cfg.MaxInflight = 10000
	}
	if cfg.TryTimeout <= 0 {
		cfg.TryTimeout = 60 * time.Second
	}
}

// now is the plan clock: time since the plan's start.
func (r *runner) now() time.Duration { return time.Since(r.t0) }

// closedOver: the plan's end came, or the run was stopped, so no user
// starts another send (users mid-send finish it). Users not yet started
// never start, however many the plan asked for.
func (r *runner) closedOver() bool { return r.ended.Load() || r.halted.Load() }

// wall is the wall-clock time of plan time d.
func (r *runner) wall(d time.Duration) time.Time { return r.t0.Add(d) }

// stop ends the run early: nothing new is sent. err (nil for a signal or a
// closed pipe) is the first reason, reported when the run ends.
func (r *runner) stop(err error) {
	r.errMu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.errMu.Unlock()
	r.halted.Store(true)
	r.halt()
}

// outputFailed: a write on the samples or feedback output failed. A closed
// pipe (fire … | head) is a normal way to stop; anything else is an error.
func (r *runner) outputFailed(err error) {
	if isBrokenPipe(err) {
		err = nil
	}
	r.stop(err)
}

// startClock fixes the plan clock's zero: now, or Config.StartAt, waited
// for precisely (every segment of a run starts its plan at that instant).
// False: stopped while waiting.
func (r *runner) startClock(ctx context.Context) bool {
	now := time.Now()
	if r.cfg.StartAt.IsZero() {
		r.t0 = now
	} else {
		r.t0 = now.Add(r.cfg.StartAt.Sub(now)) // keeps the monotonic clock
		timer := time.NewTimer(time.Hour)
		defer timer.Stop()
		// the last 10 ms on the precise clock: every segment's plan
		// starts at this instant (Go's timers alone were 3 ms late)
		if !r.sleepUntil(ctx, clock.NewSingle(), timer, 0, 10*time.Millisecond) {
			return false
		}
		r.lag = r.now()
	}
	r.markSegment(record.SegmentStart, nil)
	return true
}

// drain waits, at most --stop-timeout, until every send that is due has
// been sent and answered, then abandons the rest.
func (r *runner) drain() {
	deadline := time.Now().Add(r.cfg.StopTimeout)
	for !r.quiet() {
		if time.Now().After(deadline) {
			fmt.Fprintf(r.stderr, "fire: %d sends still in flight after --stop-timeout %v: not logged\n",
				r.inflight.Load(), r.cfg.StopTimeout)
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	r.abandoned.Store(true)
	r.halted.Store(true)
	r.halt()
	r.pool.close()
}

// quiet says whether no send is in flight or waits to be sent. The order
// of the reads matters: a task moves from the sleepers (moving) to the
// pool's queue to a worker (busy, inflight), and each step is counted
// before the last one is uncounted. (Closed-model users still sleeping
// will not send again: the closed model is over.)
func (r *runner) quiet() bool {
	return r.moving.Load() == 0 && r.pool.idleNow() && r.inflight.Load() == 0 && r.pacerDone.Load()
}
