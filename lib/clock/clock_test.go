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
// other test packages, the bound only catches a lost or late wake-up.
func TestPreciseWakesManyWaitersOnTime(t *testing.T) {
	late := wakeMany(New())
	if late[0] < 0 {
		t.Fatalf("woke %v early", -late[0])
	}
	if p99 := late[len(late)*99/100]; p99 > 20*time.Millisecond {
		t.Fatalf("p99 lateness %v: a wake-up was lost or delayed", p99)
	}
}

// A waiter due earlier than the one the kernel timer is set for re-arms it:
// otherwise it would wake only with the later one.
func TestEarlierWaiterRearms(t *testing.T) {
	defer func(c time.Duration) { coarse = c }(coarse)
	coarse = time.Second // every wait below goes through the kernel timer
	p := New()
	t0 := time.Now()
	go p.SleepUntil(t0.Add(600 * time.Millisecond)) // arms the timer for +600 ms
	for queued := 0; queued == 0 && time.Since(t0) < 200*time.Millisecond; {
		time.Sleep(time.Millisecond)
		p.mu.Lock()
		queued = len(p.q)
		p.mu.Unlock()
	}
	p.SleepUntil(t0.Add(250 * time.Millisecond))
	if d := time.Since(t0); d < 250*time.Millisecond || d > 400*time.Millisecond {
		t.Fatalf("the earlier waiter woke after %v, want 250 ms, well before the later one's 600 ms", d)
	}
}

func wakeMany(p *Precise) []time.Duration {
	var mu sync.Mutex
	var late []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < 300; i++ {
		wg.Add(1)
		at := start.Add(time.Duration(i%30)*100*time.Microsecond + time.Duration(i/30)*4*time.Millisecond)
		go func() {
			defer wg.Done()
			p.SleepUntil(at)
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
	p.SleepUntil(t0.Add(-time.Second))
	p.Sleep(0)
	if time.Since(t0) > 50*time.Millisecond {
		t.Fatal("a past instant must not wait")
	}
	t0 = time.Now()
	p.Sleep(20 * time.Millisecond)
	if d := time.Since(t0); d < 20*time.Millisecond || d > 60*time.Millisecond {
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
