// Package fire executes a load plan (lib/plan) against an HTTP target with
// fasthttp and logs every completed send (lib/rtlog), keeping HdrHistogram
// statistics (lib/hist). The fire command is a thin wrapper around Run.
package fire

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/clock"
	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
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
	Seed        int64
	Host        string // host name written in Locust log lines
	// Connections caps the open connections (0: 512, or one per user in the
	// closed model if that is more); sends beyond it wait for a free one.
	Connections int
}

// Run executes the plan read from planR. Samples go to out, statistics records
// to fb (may be nil), progress and the final summary to stderr. It returns
// the summary; a plan error is returned after everything measured was written.
func Run(ctx context.Context, cfg Config, planR io.Reader, planName string, out, fb, stderr io.Writer) (record.Stats, error) {
	tgt, err := ParseTarget(cfg.Target)
	if err != nil {
		return record.Stats{}, err
	}
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
	r := &runner{
		cfg: cfg, tgt: tgt, start: time.Now(),
		client: &fasthttp.HostClient{
			Addr: tgt.Addr, IsTLS: tgt.TLS, MaxConns: max(cfg.Connections, 512),
			// waiting for a connection is part of the latency, not an error
			MaxConnWaitTimeout:        cfg.TryTimeout,
			MaxIdemponentCallAttempts: 1, // fire counts tries itself
			NoDefaultUserAgentHeader:  true, DisablePathNormalizing: true,
			MaxIdleConnDuration: 30 * time.Second,
		},
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
	}
	if fb != nil {
		r.fb = &feedback{w: bufio.NewWriter(fb)}
	}
	// sendCtx stops new sends; abandonCtx ends sends still in flight.
	sendCtx, stopSends := context.WithCancel(ctx)
	defer stopSends()
	abandonCtx, abandon := context.WithCancel(context.Background())
	defer abandon()
	r.sendCtx, r.abandonCtx = sendCtx, abandonCtx
	r.sink = newSink(out, cfg.JSONL, cfg.Host, func(error) { stopSends() })

	tickDone := make(chan struct{})
	go r.ticker(sendCtx, tickDone, stderr)

	planErr := r.control(sendCtx, plan.NewDecoder(planR, planName))
	stopSends()
	r.setRate(0, false)
	waited := make(chan struct{})
	go func() { r.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(cfg.StopTimeout):
		fmt.Fprintf(stderr, "fire: %d sends still in flight after --stop-timeout %v: not logged\n", r.inflight.Load(), cfg.StopTimeout)
	}
	abandon()
	<-tickDone
	end := time.Now()
	iv, _ := r.sink.tick(r.lastTick, end, false)
	iv.Stage, iv.Users = r.stageLabel(), int(r.users.Load())
	if iv.Count+iv.Errors+iv.Missed > 0 {
		r.fb.write(&iv)
	}
	sum, werr := r.sink.close(r.start, end)
	r.fb.write(&sum)
	PrintSummary(stderr, &sum)
	if planErr != nil {
		return sum, planErr
	}
	if werr != nil && !isBrokenPipe(werr) {
		return sum, fmt.Errorf("writing samples: %w", werr)
	}
	return sum, nil
}

func isBrokenPipe(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "broken pipe") || errors.Is(err, os.ErrClosed))
}

type runner struct {
	cfg    Config
	tgt    Target
	client *fasthttp.HostClient
	sink   *sink
	fb     *feedback
	start  time.Time
	rng    *rand.Rand

	sendCtx, abandonCtx context.Context
	wg                  sync.WaitGroup
	inflight            atomic.Int64
	users               atomic.Int64
	failedTries         atomic.Int64 // tries of repeating sends that failed and were retried
	label               atomic.Pointer[string]
	lastTick            time.Time

	sc     *scenario // the open model's, and the default group's
	cursor int       // open model: next step in sequence

	// closed model: users by group ("" is the default group)
	groups map[string]*group

	// open model
	rateMu  sync.Mutex
	rateCh  chan struct{}
	rate    float64
	poisson bool
	pacing  bool
}

// group is a closed-model population: its scenario and its running users.
type group struct {
	sc      *scenario
	cancels []context.CancelFunc
}

func (r *runner) group(name string) *group {
	if r.groups == nil {
		r.groups = map[string]*group{}
	}
	g := r.groups[name]
	if g == nil {
		g = &group{}
		r.groups[name] = g
	}
	return g
}

func (r *runner) stageLabel() string {
	if p := r.label.Load(); p != nil {
		return *p
	}
	return ""
}

// control reads the plan and applies each record at its time.
func (r *runner) control(ctx context.Context, dec *plan.Decoder) error {
	recs := make(chan *record.Plan, 64)
	errc := make(chan error, 1)
	go func() {
		defer close(recs)
		for {
			rec, err := dec.Next()
			if err != nil {
				if err != io.EOF {
					errc <- err
				}
				return
			}
			select {
			case recs <- rec:
			case <-ctx.Done():
				return
			}
		}
	}()
	staged := false
	for {
		var rec *record.Plan
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case rec, ok = <-recs:
		}
		if !ok {
			select {
			case err := <-errc:
				return err
			default:
			}
			if !staged {
				return fmt.Errorf("plan has no stage: nothing to run")
			}
			<-ctx.Done() // the plan may leave users running until stopped
			return nil
		}
		if rec.AtMS != nil {
			at := r.start.Add(time.Duration(*rec.AtMS * float64(time.Millisecond)))
			if d := time.Until(at); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-t.C:
				}
			}
		}
		switch rec.Type {
		case record.TypeScenario:
			sc, err := compile(rec, r.tgt)
			if err != nil {
				return err
			}
			r.group(rec.Group).sc = sc
			if rec.Group == "" {
				r.sc = sc
			}
		case record.TypeStage:
			g := r.group(rec.Group)
			if g.sc == nil {
				if rec.Group != "" {
					return fmt.Errorf("plan: a stage for group %q before its scenario", rec.Group)
				}
				return fmt.Errorf("plan: a stage before any scenario")
			}
			staged = true
			r.label.Store(&rec.Label)
			if rec.Users != nil {
				r.setUsers(ctx, g, *rec.Users, rec.SpawnRate)
			} else {
				r.setRate(*rec.RateRPS, rec.Poisson)
			}
		case record.TypeEnd:
			return nil
		}
	}
}

// ticker writes a feedback interval every cfg.Interval and progress to stderr.
func (r *runner) ticker(ctx context.Context, done chan struct{}, stderr io.Writer) {
	defer close(done)
	r.lastTick = r.start
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	var sinceProgress time.Duration
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			sinceProgress += r.cfg.Interval
			prog := r.cfg.Progress > 0 && sinceProgress >= r.cfg.Progress
			iv, pr := r.sink.tick(r.lastTick, now, prog)
			iv.Stage, iv.Users = r.stageLabel(), int(r.users.Load())
			r.lastTick = now
			r.fb.write(&iv)
			if pr != nil {
				sinceProgress = 0
				fmt.Fprintf(stderr, "fire: %s users=%d inflight=%d retried=%d %s\n",
					now.Sub(r.start).Round(time.Second), r.users.Load(), r.inflight.Load(), r.failedTries.Load(), Brief(pr))
			}
		}
	}
}

// Brief is a one-line description of statistics, for progress lines.
func Brief(s *record.Stats) string {
	return fmt.Sprintf("n=%d %.1f req/s mean=%.1fms p50=%.1fms p99=%.1fms max=%.1fms errors=%d missed=%d",
		s.Count, s.RPS, s.MeanMS, s.P50MS, s.P99MS, s.MaxMS, s.Errors, s.Missed)
}

// PrintSummary writes the run's summary for people, on stderr.
func PrintSummary(w io.Writer, s *record.Stats) {
	fmt.Fprintf(w, "fire: summary: %d responses, %d errors, %d missed in %.1fs (%.1f req/s)\n",
		s.Count, s.Errors, s.Missed, s.End.Sub(s.Start).Seconds(), s.RPS)
	fmt.Fprintf(w, "fire: latency ms: min %.1f mean %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
		s.MinMS, s.MeanMS, s.P50MS, s.P90MS, s.P99MS, s.P999MS, s.MaxMS)
	if s.SendLagMaxMS > 0 {
		fmt.Fprintf(w, "fire: send lag ms: p99 %.3f max %.3f\n", s.SendLagP99MS, s.SendLagMaxMS)
	}
}

// ---- closed model ----

func (r *runner) setUsers(ctx context.Context, g *group, n int, spawnRate float64) {
	r.setRate(0, false)
	cur := len(g.cancels)
	total := n - cur
	for _, o := range r.groups {
		total += len(o.cancels)
	}
	if r.cfg.Connections == 0 && total > 512 {
		r.client.SetMaxConns(total) // a closed-model user never waits for a connection
	}
	for i := cur; i < n; i++ {
		uctx, cancel := context.WithCancel(ctx)
		g.cancels = append(g.cancels, cancel)
		var delay time.Duration
		if spawnRate > 0 {
			delay = time.Duration(float64(i-cur) / spawnRate * float64(time.Second))
		}
		r.wg.Add(1)
		go r.user(uctx, delay, g.sc, r.rng.Uint64(), i)
	}
	for i := cur - 1; i >= n; i-- {
		g.cancels[i]()
	}
	if n < cur {
		g.cancels = g.cancels[:n]
	}
}

func (r *runner) user(ctx context.Context, delay time.Duration, sc *scenario, seed uint64, idx int) {
	defer r.wg.Done()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return
	case <-timer.C:
	}
	r.users.Add(1)
	defer r.users.Add(-1)
	rng := rand.New(rand.NewPCG(seed, 1))
	if sc.session {
		r.sessions(ctx, sc, rng, idx, timer)
		return
	}
	for i := 0; ; i++ {
		if ctx.Err() != nil {
			return
		}
		st := sc.pick(i, rng)
		r.inflight.Add(1)
		r.send(st, time.Time{})
		r.inflight.Add(-1)
		if d := sc.thinkTime(rng); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
	}
}

// ---- open model ----

// setRate changes the open model's arrival rate, starting the pacer if needed.
func (r *runner) setRate(rate float64, poisson bool) {
	r.rateMu.Lock()
	defer r.rateMu.Unlock()
	if rate > 0 {
		for _, g := range r.groups { // a rate stage replaces closed users
			for _, c := range g.cancels {
				c()
			}
			g.cancels = nil
		}
	}
	r.rate, r.poisson = rate, poisson
	if r.rateCh == nil {
		r.rateCh = make(chan struct{}, 1)
	}
	select {
	case r.rateCh <- struct{}{}:
	default:
	}
	if rate > 0 && !r.pacing && r.sendCtx.Err() == nil {
		r.pacing = true
		r.wg.Add(1)
		go r.pace()
	}
}

func (r *runner) getRate() (float64, bool) {
	r.rateMu.Lock()
	defer r.rateMu.Unlock()
	return r.rate, r.poisson
}

// pace launches arrivals on schedule whatever the server does. Latency counts
// from each arrival's intended time, so a stalled server shows as latency.
func (r *runner) pace() {
	defer r.wg.Done()
	defer func() { r.rateMu.Lock(); r.pacing = false; r.rateMu.Unlock() }()
	ctx := r.sendCtx
	rate, poisson := r.getRate()
	rng := rand.New(rand.NewPCG(uint64(r.cfg.Seed), 2)) // the pacer's own: no sharing across goroutines
	slp := clock.NewSingle()
	gap := func() time.Duration {
		if poisson {
			return time.Duration(rng.ExpFloat64() / rate * float64(time.Second))
		}
		return time.Duration(float64(time.Second) / rate)
	}
	next := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for i := 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-r.rateCh:
			nr, np := r.getRate()
			now := time.Now()
			if nr <= 0 {
				// wait for a positive rate or the end
				for nr <= 0 {
					select {
					case <-ctx.Done():
						return
					case <-r.rateCh:
						nr, np = r.getRate()
					}
				}
				now = time.Now()
				next = now
			}
			rate, poisson = nr, np
			if g := gap(); next.After(now.Add(g)) {
				next = now.Add(g)
			}
		default:
		}
		now := time.Now()
		if now.Before(next) {
			// Short waits use the precise sleeper (see sleeper); long ones a
			// Go timer that also listens for a new rate. Latency counts from
			// the intended time either way.
			d := next.Sub(now)
			if d < 2*time.Millisecond {
				slp.Sleep(d)
				continue
			}
			timer.Reset(d - time.Millisecond)
			select {
			case <-ctx.Done():
				return
			case <-r.rateCh:
				select { // put the wake-up back for the loop's head
				case r.rateCh <- struct{}{}:
				default:
				}
			case <-timer.C:
			}
			continue
		}
		// launch every arrival that is due
		for !now.Before(next) {
			st := r.sc.pick(i, rng)
			i++
			if r.inflight.Add(1) > int64(r.cfg.MaxInflight) {
				r.inflight.Add(-1)
				r.sink.addMissed()
			} else {
				r.wg.Add(1)
				go func(at time.Time) {
					defer r.wg.Done()
					r.sink.recordLag(time.Since(at))
					r.send(st, at)
					r.inflight.Add(-1)
				}(next)
			}
			next = next.Add(gap())
		}
	}
}

// ---- sending ----

type step struct {
	record.Request
	tmpl   *fasthttp.Request
	logger string
}

type scenario struct {
	session bool
	vars    map[string][2]int
	steps   []*step
	think   time.Duration
	thinkTo time.Duration // think drawn from [think, thinkTo] when larger
	random  bool
	cum     []float64 // cumulative weights
}

func compile(rec *record.Plan, tgt Target) (*scenario, error) {
	sc := &scenario{think: time.Duration(rec.ThinkMS * float64(time.Millisecond)),
		thinkTo: time.Duration(rec.ThinkMaxMS * float64(time.Millisecond)), random: rec.Order == "random",
		session: rec.Session, vars: rec.Vars}
	total := 0.0
	for _, s := range rec.Steps {
		req := &fasthttp.Request{}
		req.SetRequestURI(tgt.URL(s.Path))
		req.Header.SetMethod(s.Method)
		for k, v := range s.Headers {
			req.Header.Set(k, v)
		}
		if s.Body != "" {
			req.SetBodyString(s.Body)
		}
		name := s.Name
		if name == "" {
			name = strings.TrimPrefix(s.Path, "/")
		}
		s.Name = name
		w := s.Weight
		if w == 0 {
			w = 1
		}
		total += w
		sc.cum = append(sc.cum, total)
		sc.steps = append(sc.steps, &step{Request: s, tmpl: req, logger: "fire." + rtlog.LoggerName(name)})
	}
	return sc, nil
}

// thinkTime is the wait after a completed send: think, or drawn uniformly
// up to thinkTo (Locust's between()).
func (sc *scenario) thinkTime(rng *rand.Rand) time.Duration {
	if sc.thinkTo > sc.think {
		return sc.think + time.Duration(rng.Int64N(int64(sc.thinkTo-sc.think)+1))
	}
	return sc.think
}

func (sc *scenario) pick(i int, rng *rand.Rand) *step {
	if !sc.random || len(sc.steps) == 1 {
		return sc.steps[i%len(sc.steps)]
	}
	x := rng.Float64() * sc.cum[len(sc.cum)-1]
	for j, c := range sc.cum {
		if x < c {
			return sc.steps[j]
		}
	}
	return sc.steps[len(sc.steps)-1]
}

// send performs one send, repeating it while the step asks for it, and emits
// its sample. from is the intended start (open model) or zero (now).
func (r *runner) send(st *step, from time.Time) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	st.tmpl.CopyTo(req)
	scheduled := from
	if from.IsZero() {
		from = time.Now()
	}
	smp := record.Sample{Name: st.Name, Scheduled: scheduled}
	for {
		smp.Tries++
		err := r.client.DoTimeout(req, resp, r.cfg.TryTimeout)
		smp.Status = resp.StatusCode()
		if err != nil {
			smp.Status = 0
			smp.Error = err.Error()
		} else if smp.Status >= 200 && smp.Status <= 299 {
			smp.Error = ""
			break
		} else {
			smp.Error = ""
		}
		if !st.Repeat {
			break
		}
		if r.cfg.GiveUp > 0 && time.Since(from) >= r.cfg.GiveUp {
			smp.Error = fmt.Sprintf("gave up after %d tries: %s", smp.Tries, lastReason(&smp))
			break
		}
		if r.abandonCtx.Err() != nil {
			return // stopped: an unfinished send is not a sample
		}
		r.failedTries.Add(1)
		delay := r.cfg.RetryDelay
		if smp.Error != "" {
			// a transport error (nothing listens, say) comes back at once:
			// retrying it in a hot loop only burns the core
			delay = max(delay, transportRetryFloor)
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-r.abandonCtx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		resp.Reset()
	}
	smp.TS = time.Now()
	smp.LatencyUS = smp.TS.Sub(from).Microseconds()
	smp.Users = int(r.users.Load())
	r.sink.emit(&smp, st.logger)
}

// transportRetryFloor is the least pause before retrying after a transport
// error; answers (500) are retried after --retry-delay, 0 by default.
const transportRetryFloor = 10 * time.Millisecond

func lastReason(s *record.Sample) string {
	if s.Error != "" {
		return s.Error
	}
	return fmt.Sprintf("status %d", s.Status)
}
