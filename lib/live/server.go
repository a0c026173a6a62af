// Package live serves a live view of growing perflab files: a page that
// follows feedback or statistics files and rampctl's steps and redraws every
// second (response time percentiles, throughput and errors, the current
// level and the verdict). It copes with truncated and rotated files and
// partial last lines, holds bounded memory, serves many clients from one
// rendering per change, and uses no external resource.
package live

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perflab/perflab/lib/plot"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// Poll is how often the followed files are read.
const Poll = 250 * time.Millisecond

// Server is the live view of some files.
type Server struct {
	files   []*follower
	token   string
	version atomic.Int64

	mu    sync.Mutex // guards cache; held while rendering, so one rendering per change serves every client
	cache map[string]rendered
}

type rendered struct {
	version int64
	png     []byte
	err     string
}

// New returns a live view of paths; a non-empty token must come with every
// request. Malformed lines go to p.
func New(paths []string, token string, p *record.Problems) *Server {
	s := &Server{token: token, cache: map[string]rendered{}}
	for _, path := range paths {
		s.files = append(s.files, newFollower(path, p))
	}
	return s
}

// Follow reads the files every Poll until ctx ends.
func (s *Server) Follow(ctx context.Context) {
	var wg sync.WaitGroup
	for _, f := range s.files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.run(ctx, Poll, func() { s.version.Add(1) })
		}()
	}
	wg.Wait()
}

// CheckAddr refuses an address other than loopback without a token.
func CheckAddr(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--live %s: expected HOST:PORT, e.g. 127.0.0.1:8090", addr)
	}
	if token == "" && !loopback(host) {
		return fmt.Errorf("--live %s: an address other than loopback needs --live-token", addr)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve listens on addr and serves the view until ctx ends; ready (if not
// nil) gets the address it listens on.
func Serve(ctx context.Context, addr string, s *Server, ready func(string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--live %s: %v", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go s.Follow(fctx)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if ready != nil {
		ready(ln.Addr().String())
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler serves the page, its state and its figures.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /state.json", s.state)
	mux.HandleFunc("GET /figure/{name}", s.figure)
	return s.guard(mux)
}

// guard checks the token (when set) and, without one, that the request
// was meant for a loopback host (no other site's page can reach it by DNS
// rebinding).
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.token != "" {
			got := r.URL.Query().Get("token")
			if got == "" {
				got = r.Header.Get("X-Live-Token")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
				http.Error(w, "forbidden: this live view needs its token (?token=…)", http.StatusForbidden)
				return
			}
		} else if host, _, err := net.SplitHostPort(r.Host); err != nil || !loopback(host) {
			http.Error(w, "forbidden: not a loopback host", http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'")
	var names []string
	for _, f := range s.files {
		names = append(names, f.path)
	}
	pageTmpl.Execute(w, map[string]any{"Files": strings.Join(names, ", "), "Token": s.token})
}

// figure serves a chart as PNG, rendered at most once per change.
func (s *Server) figure(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(r.PathValue("name"), ".png")
	if name != "rt" && name != "tput" && name != "load" {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	c, v := s.cache[name], s.version.Load()
	if c.png == nil && c.err == "" || c.version != v {
		c = s.render(name, v)
		s.cache[name] = c
	}
	s.mu.Unlock()
	if c.err != "" {
		http.Error(w, c.err, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(c.png)
}

func (s *Server) render(name string, v int64) rendered {
	st := s.snapshot()
	var fig *plot.Figure
	var err error
	switch name {
	case "rt":
		fig, err = plot.Percentiles(st.stats, "Response time percentiles")
	case "tput":
		fig, err = plot.Throughput(st.stats, "Throughput and errors")
	case "load":
		fig, err = plot.Load(st.steps, plot.LoadOptions{Title: "Response time against load", Limits: plot.LimitLines(checksOf(st.steps), plot.LoadMetrics(st.steps))})
	}
	if err == nil {
		fig.Width, fig.Height = 1000, 440
		var b []byte
		if b, err = fig.Render("png"); err == nil {
			return rendered{version: v, png: b}
		}
	}
	return rendered{version: v, err: err.Error()}
}

func checksOf(data []*plot.Data) []requirement.Check {
	var out []requirement.Check
	for _, d := range data {
		out = append(out, d.Checks...)
	}
	return out
}
