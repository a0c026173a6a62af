// Package simserver holds what both simulators need around their models:
// an HTTP server with limits that keep it up under overload, bad clients
// and a lack of file descriptors; a bound on requests in the model; word
// of clients that left before their answer; outputs whose write errors are
// counted and reported; the checks of absurd parameters; the JSON config
// loader; the state record; and a record of how late answers leave against
// the model's instants (the simulator's own error).
package simserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/hist"
)

// Timeout bounds how long a client may take to send a request, to read an
// answer, or stay idle between requests; one value for all three, so
// deadlines can be moved lazily (see Listener).
const Timeout = 60 * time.Second

// HTTP returns a fasthttp server for h with read/write/idle timeouts, a
// 64 KiB body limit and a high concurrency bound.
func HTTP(h fasthttp.RequestHandler, name string) *fasthttp.Server {
	return &fasthttp.Server{
		Handler: h, Name: name,
		ReadTimeout: Timeout, WriteTimeout: Timeout, IdleTimeout: Timeout,
		MaxRequestBodySize: 64 * 1024, Concurrency: 256 * 1024,
		NoDefaultDate: true, NoDefaultServerHeader: true, CloseOnShutdown: true,
		ErrorHandler: badRequest,
		Logger:       &QuietLog{W: os.Stderr, Name: name, Every: 10 * time.Second, Count: &Default.ConnErrors},
	}
}

// QuietLog writes fasthttp's per-connection errors (malformed requests,
// clients gone mid-request) at most once per Every, with a count of the
// lines it held back, so a flood of bad clients cannot flood stderr.
type QuietLog struct {
	W     io.Writer
	Name  string
	Every time.Duration
	Count *atomic.Int64 // if set, counts every line, written or held back

	mu      sync.Mutex
	last    time.Time
	skipped int
}

// Printf logs one line or counts it.
func (q *QuietLog) Printf(format string, a ...any) {
	if q.Count != nil {
		q.Count.Add(1)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	if !q.last.IsZero() && now.Sub(q.last) < q.Every {
		q.skipped++
		return
	}
	more := ""
	if q.skipped > 0 {
		more = fmt.Sprintf(" (%d more like it since the last)", q.skipped)
	}
	q.last, q.skipped = now, 0
	fmt.Fprintf(q.W, "%s: %s%s\n", q.Name, strings.TrimSuffix(fmt.Sprintf(format, a...), "\n"), more)
}

// badRequest answers a request fasthttp could not read: 413 for a body
// over the limit (fasthttp's own answer is a bare 400), 408 for a client
// too slow to send its request, else 400. A connection that timed out
// without sending a byte (a client that opened one it never used, as
// HTTP clients do when they race dials) is closed without an answer, as
// Go's own server does: an answer nobody asked for is a protocol error to
// the client (net/http logs "Unsolicited response received on idle HTTP
// channel").
func badRequest(ctx *fasthttp.RequestCtx, err error) {
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		ctx.Error("request body over 64 KiB\n", fasthttp.StatusRequestEntityTooLarge)
	case errors.As(err, &ne) && ne.Timeout():
		if c, ok := ctx.Conn().(*lazyConn); ok && !c.heard.Load() {
			c.Close() // fasthttp's answer then goes nowhere
			return
		}
		ctx.Error("request timeout\n", fasthttp.StatusRequestTimeout)
	default:
		ctx.Error("malformed request\n", fasthttp.StatusBadRequest)
	}
}

// Serve runs srv on ln until ctx ends, then shuts it down within grace.
// Its connections are registered in Default, so that running out of file
// descriptors sheds idle ones instead of ending the server (see Conns).
func Serve(ctx context.Context, srv *fasthttp.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	lln := newListener(ln, Timeout/4, Default, srv.Name)
	srv.Handler = track(srv.Handler)
	go func() { errc <- srv.Serve(lln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	srv.ShutdownWithContext(sctx)
	return nil
}

// track marks a connection busy while its request is in the handler, so
// that it is never shed for a descriptor.
func track(h fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		c, ok := ctx.Conn().(*lazyConn)
		if !ok {
			h(ctx)
			return
		}
		c.enter()
		h(ctx)
		c.leave()
	}
}

// Gate bounds the requests in the model at once; beyond Max they are turned away.
type Gate struct {
	Max    int // 0: no bound
	n      atomic.Int64
	turned atomic.Int64
}

// Enter admits a request or reports that the model is full (answer 503).
func (g *Gate) Enter() bool {
	if n := g.n.Add(1); g.Max > 0 && n > int64(g.Max) {
		g.n.Add(-1)
		g.turned.Add(1)
		return false
	}
	return true
}

// Turned is the number of requests turned away.
func (g *Gate) Turned() int64 { return g.turned.Load() }

// Leave ends an admitted request.
func (g *Gate) Leave() { g.n.Add(-1) }

// Inflight is the number of admitted requests.
func (g *Gate) Inflight() int64 { return g.n.Load() }

// Lateness records how late answers leave against the model's instants.
type Lateness struct {
	mu sync.Mutex
	h  *hist.H
}

// NewLateness returns an empty record.
func NewLateness() *Lateness { return &Lateness{h: hist.New()} }

// Done records an answer whose model instant was due.
func (l *Lateness) Done(due time.Time) {
	late := time.Since(due)
	l.mu.Lock()
	l.h.Record(late)
	l.mu.Unlock()
}

// Accuracy reports the answers recorded and their lateness at p99 and at most.
func (l *Lateness) Accuracy() (n int64, p99, worst time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.Count(), time.Duration(l.h.Quantile(0.99)) * time.Microsecond, time.Duration(l.h.MaxUS()) * time.Microsecond
}

// Report prints the accuracy line a simulator writes when it stops.
func (l *Lateness) Report(w io.Writer, name string) {
	if n, p99, worst := l.Accuracy(); n > 0 {
		fmt.Fprintf(w, "%s: %d requests; answers left %.3f ms (p99), %.3f ms (max) after the model's instant\n",
			name, n, p99.Seconds()*1000, worst.Seconds()*1000)
	}
}
