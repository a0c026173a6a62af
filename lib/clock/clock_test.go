package clock

import (
	"sort"
	"sync"
	"testing"
	"time"
)

// Many waiters with short, mixed delays all wake, never early, and on time.
// How close to on time is a property of a quiet machine, measured by
// bench/run.sh (delay): 0.17 ms at p99 with 10,000 waiting. Here, beside
// other test packages, the bound is the machine's noise floor: the same
// waiters on Go's own timers, measured in the same moment.
func TestPreciseWakesManyWaitersOnTime(t *testing.T) {
	p := New()
	late := wakeMany(p.SleepUntil)
	floor := wakeMany(func(at time.Time) { time.Sleep(time.Until(at)) })
	if late[0] < 0 {
		t.Fatalf("woke %v early", -late[0])
	}
	p99, floor99 := late[len(late)*99/100], floor[len(floor)*99/100]
	if p99 > max(20*time.Millisecond, 2*floor99) && !raced {
		t.Fatalf("p99 lateness %v (Go's timers at the same time: %v): a wake-up was lost or delayed", p99, floor99)
	}
}

// A waiter due earlier than the one the kernel timer is set for re-arms it:
// otherwise it would wake only with the later one.
func TestEarlierWaiterRearms(t *testing.T) {
	defer func(c time.Duration) { coarse = c }(coarse)
	coarse = time.Hour // every wait below goes through the kernel timer
	p := New()
	t0 := time.Now()
	go p.SleepUntil(t0.Add(10 * time.Second)) // arms the timer for +10 s
	for queued := 0; queued == 0; {
		time.Sleep(time.Millisecond)
		p.mu.Lock()
		queued = len(p.q)
		p.mu.Unlock()
	}
	p.SleepUntil(t0.Add(250 * time.Millisecond))
	if d := time.Since(t0); d < 250*time.Millisecond || d >= 10*time.Second {
		t.Fatalf("the earlier waiter woke after %v, want 250 ms, before the later one's 10 s", d)
	}
}

// wakeMany lets 300 goroutines sleep with sleep until mixed instants and
// returns how late each woke, sorted.
func wakeMany(sleep func(time.Time)) []time.Duration {
	var mu sync.Mutex
	var late []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < 300; i++ {
		wg.Add(1)
		at := start.Add(time.Duration(i%30)*100*time.Microsecond + time.Duration(i/30)*4*time.Millisecond)
		go func() {
			defer wg.Done()
			sleep(at)
			l := time.Since(at)
			mu.Lock()
			late = append(late, l)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	return late
}

func TestSleepPassedInstantReturnsAtOnce(t *testing.T) {
	p := New()
	t0 := time.Now()
	p.SleepUntil(t0.Add(-time.Hour))
	p.SleepUntil(t0)
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("a past instant waited %v", d)
	}
	t0 = time.Now()
	p.SleepUntil(t0.Add(20 * time.Millisecond))
	if d := time.Since(t0); d < 20*time.Millisecond {
		t.Fatalf("slept %v for 20 ms", d)
	}
}

func TestSingle(t *testing.T) {
	s := NewSingle()
	var worst time.Duration
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		s.Sleep(100 * time.Microsecond)
		d := time.Since(t0)
		if d < 100*time.Microsecond {
			t.Fatalf("woke after %v of 100 µs", d)
		}
		worst = max(worst, d-100*time.Microsecond)
	}
	t.Logf("worst overshoot %v", worst)
}
