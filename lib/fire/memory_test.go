package fire

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkSleepingUsers measures what a thinking closed-model user costs
// in memory (heap and goroutine stacks, after a collection), for fire's
// design and two alternatives (docs/performance.md, "Many devices"):
//
//   - sleepers: fire's — a user struct in a heap of sleeping users, woken
//     by one goroutine, sent by a bounded pool of workers;
//   - afterfunc: a user struct with its own runtime timer (time.AfterFunc),
//     whose callback would hand the user to the pool;
//   - goroutine: the design before (459e21a) — a goroutine per user
//     blocked on its timer and its context.
//
// go test -run - -bench SleepingUsers -benchtime 1x ./lib/fire
func BenchmarkSleepingUsers(b *testing.B) {
	const n = 100_000
	for _, c := range []struct {
		name  string
		start func(n int) (stop func())
	}{
		{"sleepers", sleepingUsersHeap},
		{"afterfunc", sleepingUsersAfterFunc},
		{"goroutine", sleepingUsersGoroutines},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				before := memInUse()
				stop := c.start(n)
				after := memInUse()
				stop()
				b.ReportMetric(float64(after-before)/n, "B/user")
			}
		})
	}
}

// memInUse is the heap in use plus the goroutine stacks, after a collection.
func memInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

func sleepingUsersHeap(n int) func() {
	r := &runner{sl: newSleepers(), groups: map[string]*group{}}
	g := r.group("")
	g.sc = &scenario{steps: []*step{{}}, think: time.Hour}
	for i := 0; i < n; i++ {
		u := r.newUser(g, i, 1, 0)
		g.users = append(g.users, u)
		r.sleep(u, time.Hour)
	}
	return func() { runtime.KeepAlive(r) }
}

func sleepingUsersAfterFunc(n int) func() {
	type afUser struct {
		user
		t *time.Timer
	}
	r := &runner{sl: newSleepers(), groups: map[string]*group{}}
	g := r.group("")
	g.sc = &scenario{steps: []*step{{}}, think: time.Hour}
	users := make([]*afUser, n)
	for i := range users {
		u := &afUser{user: *r.newUser(g, i, 1, 0)}
		u.rng.Uint64()
		u.t = time.AfterFunc(time.Hour, func() { r.pool.push(&u.user) })
		users[i] = u
	}
	return func() {
		for _, u := range users {
			u.t.Stop()
		}
	}
}

func sleepingUsersGoroutines(n int) func() {
	ctx, cancel := context.WithCancel(context.Background())
	sc := &scenario{steps: []*step{{}}, think: time.Hour}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		uctx, ucancel := context.WithCancel(ctx)
		wg.Add(1)
		go func() { // what runner.user did between two sends
			defer wg.Done()
			defer ucancel()
			r := &runner{groups: map[string]*group{}}
			g := r.group("")
			g.sc = sc
			u := r.newUser(g, i, 1, 0)
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			select {
			case <-uctx.Done():
			case <-timer.C:
			}
			runtime.KeepAlive(u)
		}()
	}
	runtime.Gosched()
	time.Sleep(100 * time.Millisecond) // let them all reach their select
	return func() { cancel(); wg.Wait() }
}
