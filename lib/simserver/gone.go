package simserver

import (
	"net"
	"syscall"
	"time"

	"github.com/perflab/perflab/lib/clock"
)

// WatchAfter is the least wait worth watching the client for: a request
// with less of its model time ahead is not watched (a watch costs two
// system calls), so a client that leaves then costs the model at most this.
const WatchAfter = 50 * time.Millisecond

// Watch tells when the client of a waiting request closes its connection
// (or shuts down its sending side): the request then leaves the model
// without spending its time, so an aborted load run leaves no backlog for
// the next one. It registers with the process's watcher only when a wait
// needs it (Done). A nil *Watch, or one whose connection cannot be
// watched, never fires.
type Watch struct {
	conn net.Conn
	ch   <-chan struct{}
	stop func()
}

// NewWatch returns the watch of conn's client; call Stop before the
// handler returns.
func NewWatch(conn net.Conn) *Watch { return &Watch{conn: conn} }

// Done returns a channel closed when the client has gone, registering the
// watch on first use (nil: the connection cannot be watched).
func (w *Watch) Done() <-chan struct{} {
	if w == nil || w.conn == nil {
		return nil
	}
	if w.stop == nil {
		w.ch, w.stop = watchConn(w.conn)
	}
	return w.ch
}

// Stop ends the watch.
func (w *Watch) Stop() {
	if w != nil && w.stop != nil {
		w.stop()
	}
}

func noop() {}

// watchConn registers c's descriptor with the process's watcher.
func watchConn(c net.Conn) (<-chan struct{}, func()) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, noop
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, noop
	}
	w := watcher()
	if w == nil {
		return nil, noop
	}
	return w.watch(rc)
}

// precise wakes every sleeping request at its model instant (one kernel
// timer for all of them; Go's timers alone are up to a millisecond late).
var precise = clock.New()

// SleepUntil returns true at t, or false as soon as w's client has gone
// before t. A wait of WatchAfter or more waits on a Go timer, which the
// client's leaving can interrupt, up to the last 3 ms; the rest, and any
// shorter wait, on the precise clock (which takes waits of up to 3 ms
// straight to its kernel timer, and would first put longer ones on a Go
// timer of its own).
func SleepUntil(t time.Time, w *Watch) bool {
	const last = 3 * time.Millisecond
	if time.Until(t) >= WatchAfter {
		if gone := w.Done(); gone != nil {
			tm := time.NewTimer(time.Until(t) - last)
			select {
			case <-gone:
				tm.Stop()
				return false
			case <-tm.C:
			}
		}
	}
	precise.SleepUntil(t)
	return true
}
