package fire

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"
)

// ---- closed model: groups of virtual users ----

// group is a closed-model population: its scenario, the users the plan asks
// for, and this segment's share of them.
type group struct {
	name   string
	order  int // the group's place in the plan: offsets its segment shares
	sc     *scenario
	target int        // users the plan asks for, in all segments together
	gen    int        // users stages applied: part of the seed of the users they start
	users  []*user    // this segment's started users
	spawns []*spawner // ranges of users still to start
}

// user is one virtual user. Between sends it sleeps in r.sl; a worker runs
// its sends (run). Its random draws come from its own generator, seeded by
// the plan's seed, its group and its index, so it sends the same requests in
// any segment and in any run with that seed.
type user struct {
	g     *group
	sc    *scenario // the group's scenario when the user started
	idx   int       // index in its group, over all segments
	state atomic.Uint32
	due   time.Duration // plan time of its next send
	since time.Duration // plan time it was queued for a worker: its latency counts from here
	step  int           // sends so far (a sequence scenario's position)
	pcg   rand.PCG
	rng   *rand.Rand
	a     *attempt // the send in progress (nil: none)
	sess  *browser // session scenarios only
}

// User states (bits of user.state).
const (
	asleep  = 1 << iota // thinking in r.sl (not sending, not queued)
	stopped             // a stage removed it: it sends no more
	gone                // counted out of r.users
)

// spawner starts users from..to-1 of its group (this segment's), user i at
// spawnTime(at, from, i, rate).
type spawner struct {
	g        *group
	from, to int
	next     int // next own user to start
	at       time.Duration
	rate     float64
	gen      int
}

func (s *spawner) due() time.Duration { return spawnTime(s.at, s.from, s.next, s.rate) }

// run starts the spawner's due users (r.sl releases spawners this way).
func (s *spawner) run(r *runner) { r.spawn(s) }

func (r *runner) group(name string) *group {
	g := r.groups[name]
	if g == nil {
		g = &group{name: name, order: len(r.groups)}
		r.groups[name] = g
	}
	return g
}

// setUsers applies a users stage at plan time at: more users are started
// (spread at spawnRate per second), surplus ones stop after their current
// send. It returns at once: users start from r.sl as their time comes, so
// even a huge count never holds up the plan's end or a signal.
func (r *runner) setUsers(g *group, n int, spawnRate float64, at time.Duration) {
	r.closedMu.Lock()
	defer r.closedMu.Unlock()
	g.gen++
	switch {
	case n > g.target:
		s := &spawner{g: g, from: g.target, to: n, at: at, rate: spawnRate, gen: g.gen}
		s.next = r.seg.firstUser(g.order, s.from)
		if s.next < s.to {
			g.spawns = append(g.spawns, s)
			r.sl.add(s.due(), s)
		}
	case n < g.target:
		for _, s := range g.spawns {
			s.to = min(s.to, n)
		}
		g.spawns = slices.DeleteFunc(g.spawns, func(s *spawner) bool { return s.next >= s.to })
		g.users = slices.DeleteFunc(g.users, func(u *user) bool {
			if u.idx < n {
				return false
			}
			r.stopUser(u)
			return true
		})
	}
	g.target = n
}

// stopClosed stops every closed-model user (a rate stage replaces them).
func (r *runner) stopClosed() {
	r.closedMu.Lock()
	defer r.closedMu.Unlock()
	for _, g := range r.groups {
		for _, s := range g.spawns {
			s.to = 0
		}
		for _, u := range g.users {
			r.stopUser(u)
		}
		g.target, g.users, g.spawns = 0, nil, nil
	}
}

// spawn starts the users of s that are due (at most a batch, so a huge
// count starts in steps between which a stop is seen) and puts s back to
// sleep until its next user's time.
func (r *runner) spawn(s *spawner) {
	r.closedMu.Lock()
	defer r.closedMu.Unlock()
	now := r.now()
	for n := 0; s.next < s.to && n < 1024; n++ {
		due := s.due()
		if due > now || r.closedOver() {
			break
		}
		u := r.newUser(s.g, s.next, s.gen, due)
		s.g.users = append(s.g.users, u)
		r.users.Add(1)
		u.since = now
		r.pool.push(u)
		s.next = r.seg.nextUser(s.next)
	}
	if s.next >= s.to || r.closedOver() {
		s.g.spawns = slices.DeleteFunc(s.g.spawns, func(x *spawner) bool { return x == s })
		return
	}
	r.sl.add(s.due(), s)
}

func (r *runner) newUser(g *group, idx, gen int, due time.Duration) *user {
	u := &user{g: g, sc: g.sc, idx: idx, due: due}
	u.pcg.Seed(userSeed(r.seed, g.name, idx, gen))
	u.rng = rand.New(&u.pcg)
	if u.sc.session {
		u.sess = &browser{user: idx}
	}
	return u
}

// stopUser makes u send no more: at once if it is thinking, else after
// its current send.
func (r *runner) stopUser(u *user) {
	for {
		old := u.state.Load()
		if old&stopped != 0 || u.state.CompareAndSwap(old, old|stopped) {
			if old&asleep != 0 {
				r.leave(u)
			}
			return
		}
	}
}

// leave counts u out of the running users, once.
func (r *runner) leave(u *user) {
	for {
		old := u.state.Load()
		if old&gone != 0 {
			return
		}
		if u.state.CompareAndSwap(old, old|gone) {
			r.users.Add(-1)
			return
		}
	}
}

// sleep lets u think until plan time due (or leave, if it was stopped).
func (r *runner) sleep(u *user, due time.Duration) {
	u.due = due
	for {
		old := u.state.Load()
		if old&stopped != 0 {
			r.leave(u)
			return
		}
		if u.state.CompareAndSwap(old, old|asleep) {
			r.sl.add(due, u)
			return
		}
	}
}

// wakeUser queues u for a worker: its think is over, or its retry is due.
func (r *runner) wakeUser(u *user) {
	if u.a == nil {
		for {
			old := u.state.Load()
			if old&stopped != 0 {
				return // counted out when it was stopped
			}
			if u.state.CompareAndSwap(old, old&^asleep) {
				break
			}
		}
		u.since = r.now()
	}
	r.pool.push(u)
}

// run is a worker's turn with u: its sends until it thinks, waits to retry,
// or gives its worker to a user queued behind it.
func (u *user) run(r *runner) {
	for {
		if u.a == nil && !r.begin(u) {
			return
		}
		var out outcome
		var delay time.Duration
		if u.sess != nil {
			out = done
			if !r.browse(u) {
				out = dropped
			}
		} else {
			out, delay = r.try(u.a)
		}
		switch out {
		case later:
			r.sl.add(satAdd(r.now(), delay), u)
			return
		case again:
			if r.pool.waiting() {
				r.pool.push(u)
				return
			}
			continue
		case done:
			if u.sess == nil {
				r.complete(u.a) // a session's requests emit their own samples
			}
		}
		u.a = nil
		r.inflight.Add(-1)
		if out == dropped {
			r.leave(u)
			return
		}
		if !r.think(u) {
			return
		}
	}
}

// begin starts u's next send, unless u was stopped or the closed model is
// over (the plan's end, a stop).
func (r *runner) begin(u *user) bool {
	if u.state.Load()&stopped != 0 || r.closedOver() {
		r.leave(u)
		return false
	}
	var st *step
	if u.sess == nil {
		st = u.sc.pick(u.step, u.rng)
	}
	u.step++
	u.a = &attempt{st: st, from: u.since, user: u.idx}
	r.inflight.Add(1)
	return true
}

// think starts u's wait after a completed send; true: no wait, and no one
// queued, so the worker goes on with u at once.
func (r *runner) think(u *user) bool {
	now := r.now()
	d := u.sc.thinkTime(u.rng)
	if d > 0 {
		r.sleep(u, satAdd(now, d))
		return false
	}
	u.due, u.since = now, now
	if r.pool.waiting() {
		r.pool.push(u)
		return false
	}
	return true
}
