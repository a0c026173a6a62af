// Package clock sleeps precisely. Go's timers round short waits up to a
// millisecond when the process is idle (the runtime's poller waits in whole
// milliseconds), which is too coarse for an open-model pacer sending
// thousands of requests a second and for a simulator whose delays must be
// the model's numbers. A Precise wakes any number of waiters from one kernel
// timer (timerfd) read through Go's poller, within tens of microseconds.
package clock

import (
	"container/heap"
	"sync"
	"time"
)

// coarse: waits longer than this first sleep on a Go timer, so only the last
// few milliseconds go through the precise timer (a variable for tests).
var coarse = 3 * time.Millisecond

// Precise wakes waiters at their instants. The zero value is not usable; call New.
type Precise struct {
	mu    sync.Mutex
	q     waiters
	armed time.Time // instant the kernel timer is set to (zero: disarmed)
	t     kernelTimer
}

type waiter struct {
	at time.Time
	ch chan struct{}
}

type waiters []waiter

func (w waiters) Len() int           { return len(w) }
func (w waiters) Less(i, j int) bool { return w[i].at.Before(w[j].at) }
func (w waiters) Swap(i, j int)      { w[i], w[j] = w[j], w[i] }
func (w *waiters) Push(x any)        { *w = append(*w, x.(waiter)) }
func (w *waiters) Pop() any          { o := *w; x := o[len(o)-1]; *w = o[:len(o)-1]; return x }

// New returns a Precise with its own kernel timer and wake-up goroutine
// (which lives as long as the process), or one that falls back to Go's
// timers where no kernel timer is available.
func New() *Precise {
	p := &Precise{}
	if t, ok := newKernelTimer(); ok {
		p.t = t
		go p.loop()
	}
	return p
}

// SleepUntil returns at t (or at once if t has passed).
func (p *Precise) SleepUntil(t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	if p.t == nil {
		time.Sleep(d)
		return
	}
	if d > coarse {
		time.Sleep(d - coarse + time.Millisecond)
		if time.Until(t) <= 0 {
			return
		}
	}
	ch := make(chan struct{}, 1)
	p.mu.Lock()
	heap.Push(&p.q, waiter{t, ch})
	if p.armed.IsZero() || t.Before(p.armed) {
		p.arm(t)
	}
	p.mu.Unlock()
	<-ch
}

func (p *Precise) arm(t time.Time) {
	p.armed = t
	p.t.set(max(time.Until(t), time.Microsecond))
}

func (p *Precise) loop() {
	for {
		p.t.wait()
		p.mu.Lock()
		now := time.Now()
		for len(p.q) > 0 && !p.q[0].at.After(now) {
			w := heap.Pop(&p.q).(waiter)
			w.ch <- struct{}{}
		}
		p.armed = time.Time{}
		if len(p.q) > 0 {
			p.arm(p.q[0].at)
		}
		p.mu.Unlock()
	}
}

// kernelTimer is a one-shot timer whose expiry wait parks only the waiting goroutine.
type kernelTimer interface {
	set(d time.Duration)
	wait()
}

// Single is a precise sleeper for one goroutine at a time (a pacer): it sets
// its kernel timer and waits on it directly, without Precise's hand-off.
type Single struct{ t kernelTimer }

// NewSingle returns a Single, falling back to Go's timers where no kernel timer is available.
func NewSingle() *Single {
	t, _ := newKernelTimer()
	return &Single{t}
}

// Sleep sleeps for d. Only one goroutine may sleep on a Single at a time.
func (s *Single) Sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	if s.t == nil {
		time.Sleep(d)
		return
	}
	s.t.set(d)
	s.t.wait()
}
