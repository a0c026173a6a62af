package fire

import (
	"sync"
	"time"
)

// sleepers holds everything that waits for a plan time: users thinking,
// sends waiting to retry, and spawners of users not yet started. A waiting
// user costs an entry here (24 bytes) and its own small struct, not a
// goroutine and its stack: that is what lets one fire hold a million alarm
// devices (docs/performance.md, "Many devices").
type sleepers struct {
	mu   sync.Mutex
	h    []sleeper     // a binary min-heap on at
	wake chan struct{} // an entry became the earliest: the waker must look again
}

type sleeper struct {
	at time.Duration
	t  task
}

func newSleepers() *sleepers { return &sleepers{wake: make(chan struct{}, 1)} }

// add lets t wait until plan time at.
func (s *sleepers) add(at time.Duration, t task) {
	s.mu.Lock()
	s.h = append(s.h, sleeper{at, t})
	i := s.up(len(s.h) - 1)
	s.mu.Unlock()
	if i == 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// due moves the entries due at now (at most len(buf)'s capacity) into buf.
func (s *sleepers) due(now time.Duration, buf []task) []task {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.h) > 0 && s.h[0].at <= now && len(buf) < cap(buf) {
		buf = append(buf, s.h[0].t)
		last := len(s.h) - 1
		s.h[0] = s.h[last]
		s.h[last] = sleeper{}
		s.h = s.h[:last]
		s.down(0)
	}
	return buf
}

// earliest is the first entry's time (never when empty).
func (s *sleepers) earliest() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.h) == 0 {
		return never
	}
	return s.h[0].at
}

func (s *sleepers) up(i int) int {
	for i > 0 {
		p := (i - 1) / 2
		if s.h[p].at <= s.h[i].at {
			break
		}
		s.h[p], s.h[i] = s.h[i], s.h[p]
		i = p
	}
	return i
}

func (s *sleepers) down(i int) {
	n := len(s.h)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && s.h[c+1].at < s.h[c].at {
			c++
		}
		if s.h[i].at <= s.h[c].at {
			return
		}
		s.h[i], s.h[c] = s.h[c], s.h[i]
		i = c
	}
}

// wakeSleepers releases every entry when its time comes (users and retries
// to the pool, spawners start their users) until done is closed. Go's
// timers are precise to about a millisecond here, which is far below any
// think time; the open model's pacer has its own precise clock.
func (r *runner) wakeSleepers(done <-chan struct{}) {
	defer r.bg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	buf := make([]task, 0, 1024)
	for {
		r.moving.Add(1) // see runner.quiet
		buf = r.sl.due(r.now(), buf[:0])
		for i, t := range buf {
			r.release(t)
			buf[i] = nil
		}
		r.moving.Add(-1)
		if len(buf) == cap(buf) {
			continue // more are due
		}
		d := r.sl.earliest() - r.now()
		if d <= 0 {
			continue
		}
		timer.Reset(d)
		select {
		case <-done:
			return
		case <-r.sl.wake:
		case <-timer.C:
		}
	}
}

// release hands a task whose time has come to its next step.
func (r *runner) release(t task) {
	switch t := t.(type) {
	case *spawner:
		r.spawn(t)
	case *user:
		r.wakeUser(t)
	default: // a send waiting to retry
		r.pool.push(t)
	}
}
