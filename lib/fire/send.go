package fire

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
)

// ---- sending ----

type step struct {
	record.Request
	tmpl   *fasthttp.Request
	logger string
}

type scenario struct {
	session  bool
	vars     map[string][2]int
	varNames []string // sorted: values are drawn in this order, the same in every run
	steps    []*step
	think    time.Duration
	thinkTo  time.Duration // think drawn from [think, thinkTo] when larger
	random   bool
	cum      []float64 // cumulative weights
}

func compile(rec *record.Plan, tgt Target) *scenario {
	sc := &scenario{think: satMS(rec.ThinkMS), thinkTo: satMS(rec.ThinkMaxMS), random: rec.Order == "random",
		session: rec.Session, vars: rec.Vars}
	for k := range rec.Vars {
		sc.varNames = append(sc.varNames, k)
	}
	slices.Sort(sc.varNames)
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
		if s.Name == "" {
			s.Name = strings.TrimPrefix(s.Path, "/")
		}
		w := s.Weight
		if w == 0 {
			w = 1
		}
		total += w
		sc.cum = append(sc.cum, total)
		sc.steps = append(sc.steps, &step{Request: s, tmpl: req, logger: "fire." + rtlog.LoggerName(s.Name)})
	}
	return sc
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

// attempt is a send in progress: a step, tried once or (repeating) until a
// 2xx answer.
type attempt struct {
	st        *step
	from      time.Duration // plan time the latency counts from
	scheduled bool          // open model: from is the intended send time
	user      int           // the closed-model user's index (-1: an open-model arrival)
	tries     int
	status    int
	reason    string // why the last try failed without an answer (errorClass)
}

// arrival is one open-model send; a worker runs it (and its retries).
type arrival struct{ attempt }

// outcome of one try.
type outcome int

const (
	done    outcome = iota // the send is over: emit its sample
	again                  // retry at once
	later                  // retry after a delay
	dropped                // the run was abandoned: an unfinished send is not a sample
)

// transportRetryFloor is the least pause before retrying after a transport
// error; answers (500) are retried after --retry-delay, 0 by default.
const transportRetryFloor = 10 * time.Millisecond

func (a *arrival) run(r *runner) {
	for {
		if a.tries == 0 && r.halted.Load() {
			r.inflight.Add(-1) // stopped before it was sent
			return
		}
		out, delay := r.try(&a.attempt)
		switch out {
		case later:
			r.sl.add(satAdd(r.now(), delay), a)
			return
		case again:
			if r.pool.waiting() {
				r.pool.push(a)
				return
			}
			continue
		case done:
			r.complete(&a.attempt)
		}
		r.inflight.Add(-1)
		return
	}
}

// try sends a once and says what comes next.
func (r *runner) try(a *attempt) (outcome, time.Duration) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	a.st.tmpl.CopyTo(req)
	if r.cfg.trace != nil {
		r.cfg.trace(a.user, req)
	}
	a.tries++
	err := r.client.DoTimeout(req, resp, r.cfg.TryTimeout)
	a.status, a.reason = resp.StatusCode(), ""
	if err != nil {
		a.status, a.reason = 0, errorClass(err)
	}
	fasthttp.ReleaseRequest(req)
	fasthttp.ReleaseResponse(resp)
	if !a.st.Repeat || err == nil && a.status >= 200 && a.status <= 299 {
		return done, 0
	}
	if r.cfg.GiveUp > 0 && r.now()-a.from >= r.cfg.GiveUp {
		a.reason = "gave up after " + strconv.Itoa(a.tries) + " tries: " + a.why()
		return done, 0
	}
	if r.abandoned.Load() {
		return dropped, 0
	}
	r.retried.Add(1)
	delay := r.cfg.RetryDelay
	if err != nil {
		// a transport error (nothing listens, say) comes back at once:
		// retrying it in a hot loop only burns the core
		delay = max(delay, transportRetryFloor)
	}
	if delay > 0 {
		return later, delay
	}
	return again, 0
}

// why is the last try's failure: its transport error class or its status.
func (a *attempt) why() string {
	if a.reason != "" {
		return a.reason
	}
	return "status " + strconv.Itoa(a.status)
}

// complete emits a finished send's sample.
func (r *runner) complete(a *attempt) {
	now := r.now()
	smp := record.Sample{Name: a.st.Name, TS: r.wall(now), LatencyUS: (now - a.from).Microseconds(),
		Status: a.status, Tries: a.tries, Users: int(r.users.Load())}
	smp.Error = a.reason // empty for an answer: its status says whether it failed
	if a.scheduled {
		smp.Scheduled = r.wall(a.from)
	}
	r.sink.emit(&smp, a.st.logger)
}

// errorClass names a transport error by its kind only. The error's own
// text can carry the server's bytes (fasthttp quotes a malformed status
// line), and a failure line must hold nothing that could parse as a
// measurement ("Response time 1 ms"), so the text itself is never logged.
func errorClass(err error) string {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no local port free"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "unreachable"
	case errors.Is(err, fasthttp.ErrDialTimeout):
		return "connect timeout"
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return "no free connection"
	case errors.As(err, &dns):
		return "name not resolved"
	case errors.As(err, &op) && op.Op == "dial":
		return "connect failed"
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return "answer too large"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	if strings.Contains(err.Error(), "error when reading response headers") ||
		strings.Contains(err.Error(), "cannot find whitespace") {
		return "malformed answer"
	}
	return "transport error"
}
