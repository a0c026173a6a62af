// Package simserver holds what both simulators need around their models:
// an HTTP server with limits that keep it up under overload and bad
// clients, a bound on requests in the model, and a record of how late
// answers leave against the model's instants (the simulator's own error).
package simserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/hist"
)

// HTTP returns a fasthttp server for h with read/write/idle timeouts, a
// 64 KiB body limit and a high concurrency bound.
func HTTP(h fasthttp.RequestHandler, name string) *fasthttp.Server {
	return &fasthttp.Server{
		Handler: h, Name: name,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
		MaxRequestBodySize: 64 * 1024, Concurrency: 256 * 1024,
		NoDefaultDate: true, NoDefaultServerHeader: true, CloseOnShutdown: true,
	}
}

// Serve runs srv on ln until ctx ends, then shuts it down within grace.
func Serve(ctx context.Context, srv *fasthttp.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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

// Gate bounds the requests in the model at once; beyond Max they are turned away.
type Gate struct {
	Max int // 0: no bound
	n   atomic.Int64
}

// Enter admits a request or reports that the model is full (answer 503).
func (g *Gate) Enter() bool {
	if n := g.n.Add(1); g.Max > 0 && n > int64(g.Max) {
		g.n.Add(-1)
		return false
	}
	return true
}

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
