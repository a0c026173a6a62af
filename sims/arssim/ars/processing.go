package ars

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/clock"
)

// Processor decides how long a request is processed and blocks for that long.
// Implementations compute the delay exactly from the model and sleep until a
// computed instant, so machine noise does not accumulate.
type Processor interface {
	// Process blocks for the request's simulated time and returns the model's
	// processing time (without queueing) and the instant the model said the
	// request completes.
	Process(cmd string, arrival time.Time) (time.Duration, time.Time)
}

// precise wakes every sleeping request at its model instant (one kernel
// timer for all of them; Go's timers alone are up to a millisecond late).
var precise = clock.New()

func sleepUntil(t time.Time) { precise.SleepUntil(t) }

// None answers at once, for capacity checks of the load side.
type None struct{}

// Process returns at once.
func (None) Process(_ string, arrival time.Time) (time.Duration, time.Time) { return 0, arrival }

// Minimal is the paper's model: one request at a time in arrival order
// (a single FIFO server), each taking Service.
type Minimal struct {
	Service time.Duration
	mu      sync.Mutex
	free    time.Time // when the server finishes its current queue
}

// Process queues the request behind the ones before it.
func (m *Minimal) Process(_ string, arrival time.Time) (time.Duration, time.Time) {
	m.mu.Lock()
	start := arrival
	if m.free.After(start) {
		start = m.free
	}
	m.free = start.Add(m.Service)
	done := m.free
	m.mu.Unlock()
	sleepUntil(done)
	return m.Service, done
}

// Random draws a uniform time in [Low, High) and serialises equal command
// names (one lock per name); different names run in parallel.
type Random struct {
	Low, High time.Duration
	mu        sync.Mutex
	rng       *rand.Rand
	free      map[string]time.Time
}

// NewRandom returns the random model with a seeded generator.
func NewRandom(low, high time.Duration, seed int64) *Random {
	if high < low {
		high = low
	}
	return &Random{Low: low, High: high, rng: rand.New(rand.NewPCG(uint64(seed), 11)), free: map[string]time.Time{}}
}

// Process queues the request behind earlier ones with the same command name.
func (r *Random) Process(cmd string, arrival time.Time) (time.Duration, time.Time) {
	r.mu.Lock()
	d := r.Low + time.Duration(r.rng.Float64()*float64(r.High-r.Low))
	start := arrival
	if f := r.free[cmd]; f.After(start) {
		start = f
	}
	done := start.Add(d)
	r.free[cmd] = done
	r.mu.Unlock()
	sleepUntil(done)
	r.mu.Lock()
	if r.free[cmd].Equal(done) {
		delete(r.free, cmd) // nobody queued behind: keep the map small
	}
	r.mu.Unlock()
	return d, done
}
