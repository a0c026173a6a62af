package ars

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/simserver"
)

// Processor decides how long a request is processed and blocks for that long.
// Implementations compute the delay exactly from the model and sleep until a
// computed instant, so machine noise does not accumulate.
type Processor interface {
	// Process blocks for the request's simulated time and returns the
	// model's processing time (without queueing), the instant the model
	// said the request completes, and true; or false as soon as the
	// request's client has gone (see simserver.Watch): the request then
	// leaves the model without spending its time.
	Process(cmd string, arrival time.Time, w *simserver.Watch) (time.Duration, time.Time, bool)
}

// None answers at once, for capacity checks of the load side.
type None struct{}

// Process returns at once.
func (None) Process(_ string, arrival time.Time, _ *simserver.Watch) (time.Duration, time.Time, bool) {
	return 0, arrival, true
}

// Minimal is the paper's model: one request at a time in arrival order
// (a single FIFO server), each taking Service.
type Minimal struct {
	Service time.Duration
	q       fifo
}

// Process queues the request behind the ones before it.
func (m *Minimal) Process(_ string, arrival time.Time, w *simserver.Watch) (time.Duration, time.Time, bool) {
	done, ok := m.q.serve(arrival, m.Service, w)
	return m.Service, done, ok
}

// Random draws a uniform time in [Low, High) and serialises equal command
// names (a FIFO server per name); different names run in parallel.
type Random struct {
	Low, High time.Duration
	mu        sync.Mutex
	rng       *rand.Rand
	queues    map[string]*fifo
}

// NewRandom returns the random model with a seeded generator.
func NewRandom(low, high time.Duration, seed int64) *Random {
	if high < low {
		high = low
	}
	return &Random{Low: low, High: high, rng: rand.New(rand.NewPCG(uint64(seed), 11)), queues: map[string]*fifo{}}
}

// Process queues the request behind earlier ones with the same command
// name. Times are drawn in arrival order, so a seed repeats a run.
func (r *Random) Process(cmd string, arrival time.Time, w *simserver.Watch) (time.Duration, time.Time, bool) {
	r.mu.Lock()
	d := r.Low + time.Duration(r.rng.Float64()*float64(r.High-r.Low))
	q := r.queues[cmd]
	if q == nil {
		q = &fifo{}
		r.queues[cmd] = q
	}
	q.users++
	r.mu.Unlock()
	done, ok := q.serve(arrival, d, w)
	r.mu.Lock()
	if q.users--; q.users == 0 {
		delete(r.queues, cmd) // nobody queued behind: keep the map small
	}
	r.mu.Unlock()
	return d, done, ok
}

// fifo is one server that takes requests one at a time in arrival order.
// A request's service starts at its arrival or at the instant the one
// before it completed (a model instant, not when that one's goroutine
// woke up), so the schedule is exact. A request whose client leaves while
// it waits leaves the queue, and the turn passes on at the same instant;
// one that leaves during its service frees the server at once.
type fifo struct {
	mu    sync.Mutex
	busy  bool
	free  time.Time // when the server last became free
	queue []*waiter // waiting requests, in arrival order; gone ones are skipped
	head  int
	users int // Random: requests using this queue
}

type waiter struct {
	turn chan time.Time // the instant its service may start
	gone bool
}

// serve waits for the request's turn and its service time d; it returns
// the completion instant, or false if its client left first.
func (q *fifo) serve(arrival time.Time, d time.Duration, cw *simserver.Watch) (time.Time, bool) {
	start, ok := q.acquire(arrival, cw)
	if !ok {
		return time.Time{}, false
	}
	done := start.Add(d)
	if !simserver.SleepUntil(done, cw) {
		q.release(time.Now()) // the rest of its service is not spent
		return time.Time{}, false
	}
	q.release(done)
	return done, true
}

// acquire waits for the request's turn (watching its client while it
// queues) and returns when its service starts.
func (q *fifo) acquire(arrival time.Time, cw *simserver.Watch) (time.Time, bool) {
	q.mu.Lock()
	if !q.busy {
		q.busy = true
		start := arrival
		if q.free.After(start) {
			start = q.free
		}
		q.mu.Unlock()
		return start, true
	}
	w := &waiter{turn: make(chan time.Time, 1)}
	q.queue = append(q.queue, w)
	q.mu.Unlock()
	select {
	case at := <-w.turn:
		return later(arrival, at), true
	case <-cw.Done():
	}
	q.mu.Lock()
	select {
	case at := <-w.turn: // handed the turn as it left: pass it on unspent
		q.mu.Unlock()
		q.release(at)
	default:
		w.gone = true
		q.mu.Unlock()
	}
	return time.Time{}, false
}

// release frees the server at instant at: the first waiting request that
// has not gone starts then.
func (q *fifo) release(at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.free = at
	for q.head < len(q.queue) {
		w := q.queue[q.head]
		q.queue[q.head] = nil
		q.head++
		if !w.gone {
			w.turn <- at
			q.compact()
			return
		}
	}
	q.queue, q.head = q.queue[:0], 0
	q.busy = false
}

// compact drops the served part of the queue once it is half of it.
func (q *fifo) compact() {
	if q.head > 64 && q.head*2 > len(q.queue) {
		n := copy(q.queue, q.queue[q.head:])
		clear(q.queue[n:])
		q.queue, q.head = q.queue[:n], 0
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
