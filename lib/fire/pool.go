package fire

import (
	"sync"
	"sync/atomic"
	"time"
)

// task is something a worker runs: a user's next send, an open-model
// arrival, or a send's next try.
type task interface{ run(r *runner) }

// pool runs tasks on at most max workers, one send at a time each, so
// sends in flight never exceed the connections fire may open: a task
// beyond them waits in the queue (bytes, not a goroutine), and the wait
// counts as its latency, as a wait for a free connection does. Workers
// stay until close. Beyond the first few, a worker starts only when tasks
// have waited a millisecond with none idle: a worker about to finish its
// send takes a new task within microseconds, and starting one for every
// such moment opened thousands of connections (each a dial, a stack, and
// buffers on both sides) to a server that answered in 0.1 ms.
type pool struct {
	mu      sync.Mutex
	cond    sync.Cond
	q       []task
	head    int
	idle    int // workers waiting in cond.Wait and not yet signalled
	workers int
	max     int
	closed  bool
	growing bool // a grow is scheduled
	r       *runner

	queued atomic.Int64 // len(q) - head, read without the lock
	busy   atomic.Int64 // workers running a task
	wg     sync.WaitGroup
}

func newPool(r *runner, max int) *pool {
	p := &pool{r: r, max: max}
	p.cond.L = &p.mu
	return p
}

// push queues t and wakes or starts a worker for it.
func (p *pool) push(t task) {
	p.mu.Lock()
	if p.head == len(p.q) {
		p.q, p.head = p.q[:0], 0
	} else if p.head > 4096 && p.head > len(p.q)/2 {
		n := copy(p.q, p.q[p.head:])
		clear(p.q[n:])
		p.q, p.head = p.q[:n], 0
	}
	p.q = append(p.q, t)
	p.queued.Add(1)
	switch {
	case p.idle > 0:
		p.idle--
		p.cond.Signal()
	case p.workers < min(p.max, eagerWorkers):
		p.start(1)
	case p.workers < p.max && !p.growing:
		p.growing = true
		time.AfterFunc(growDelay, p.grow)
	}
	p.mu.Unlock()
}

// Workers that start at once when a task finds none idle; beyond them, a
// worker starts for each task still waiting after growDelay.
const (
	eagerWorkers = 16
	growDelay    = time.Millisecond
)

// grow starts a worker for every task that waited growDelay with none idle.
func (p *pool) grow() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.growing = false
	p.start(int(p.queued.Load()) - p.idle)
}

// start starts up to n workers, within max (the lock held).
func (p *pool) start(n int) {
	for ; n > 0 && p.workers < p.max && !p.closed; n-- {
		p.workers++
		p.wg.Add(1)
		go p.work()
	}
}

// waiting says whether a task waits for a worker: a worker that could go on
// with its own task (a user thinking 0 s, a retry without delay) queues it
// behind the others instead, so every user gets its turn.
func (p *pool) waiting() bool { return p.queued.Load() > 0 }

func (p *pool) work() {
	defer p.wg.Done()
	p.mu.Lock()
	for {
		if p.head < len(p.q) {
			t := p.q[p.head]
			p.q[p.head] = nil
			p.head++
			p.busy.Add(1) // before it leaves the queue: see runner.quiet
			p.queued.Add(-1)
			p.mu.Unlock()
			t.run(p.r)
			p.busy.Add(-1)
			p.mu.Lock()
			continue
		}
		if p.closed {
			p.workers--
			p.mu.Unlock()
			return
		}
		p.idle++
		p.cond.Wait()
	}
}

// idleNow says whether no task runs or waits.
func (p *pool) idleNow() bool { return p.queued.Load() == 0 && p.busy.Load() == 0 }

// close lets the workers finish the queue and exit; wait waits for them.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.idle = 0
	p.cond.Broadcast()
	p.mu.Unlock()
}
