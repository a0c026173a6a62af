package simserver

import (
	"net"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/clock"
)

// Gone returns a channel that is closed when the client of ctx closes its
// connection (or shuts down its sending side) while the request waits in
// the model, and a function the handler must call before it returns. A
// request whose client has gone leaves the model without spending its
// time, so an aborted load run leaves no backlog for the next one. The
// channel is nil (never closed) where the connection cannot be watched.
func Gone(ctx *fasthttp.RequestCtx) (<-chan struct{}, func()) {
	return watchConn(ctx.Conn())
}

func noop() {}

// watchConn registers c's descriptor with the process's watcher.
func watchConn(c net.Conn) (<-chan struct{}, func()) {
	sc, ok := c.(syscall.Conn)
	if !ok || c == nil {
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

// SleepUntil returns true at t, or false as soon as gone is closed before
// t. Up to the last 3 ms it waits on a Go timer, which the client's
// leaving can interrupt; the rest on the precise clock, which takes waits
// of up to 3 ms straight to its kernel timer (longer ones it would first
// put on a Go timer of its own).
func SleepUntil(t time.Time, gone <-chan struct{}) bool {
	const last = 3 * time.Millisecond
	if gone != nil {
		if d := time.Until(t) - last; d > 0 {
			tm := time.NewTimer(d)
			select {
			case <-gone:
				tm.Stop()
				return false
			case <-tm.C:
			}
		} else {
			select {
			case <-gone:
				return false
			default:
			}
		}
	}
	precise.SleepUntil(t)
	return true
}
