package store

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/jsonl"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/regress"
	"github.com/perflab/perflab/lib/simserver"
)

// Config is what teasim can be told (see `teasim --help`).
type Config struct {
	Model       *regress.LR
	TimeScale   float64
	MaxInflight int
	Log         io.Writer // one line per request: command and processing time (may be nil)
	Events      io.Writer // JSON-lines events (may be nil)
}

// Server is the simulated TeaStore WebUI with its processing-time model.
type Server struct {
	cfg      Config
	proc     *regress.Regression
	gate     simserver.Gate
	requests atomic.Int64

	logMu sync.Mutex
	log   *bufio.Writer

	late *simserver.Lateness
}

// NewServer builds the WebUI around the model.
func NewServer(cfg Config) *Server {
	s := &Server{cfg: cfg, proc: &regress.Regression{M: cfg.Model, Scale: cfg.TimeScale}, late: simserver.NewLateness()}
	s.gate.Max = cfg.MaxInflight
	if cfg.Log != nil {
		s.log = bufio.NewWriterSize(cfg.Log, 64*1024)
	}
	return s
}

// Handler answers the WebUI (port 8080 of a real TeaStore).
func (s *Server) Handler(ctx *fasthttp.RequestCtx) {
	page, cmd, ok := Page(ctx.Method(), ctx.Path())
	if !ok {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		ctx.SetBodyString("not found: the TeaStore WebUI is under " + Prefix + "/\n")
		return
	}
	if !s.gate.Enter() {
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		return
	}
	defer s.gate.Leave()
	arrival := time.Now()
	d, done := s.proc.Process(cmd, arrival)
	s.late.Done(done)
	Serve(ctx, page)
	ctx.Response.Header.Set("X-Process-Time", strconv.FormatFloat(d.Seconds(), 'f', 6, 64))
	n := s.requests.Add(1)
	if s.log != nil {
		line := fmt.Sprintf("%s %d %s processing %.6f s status %d\n", arrival.Format("2006-01-02 15:04:05.000"), n, cmd, d.Seconds(), ctx.Response.StatusCode())
		s.logMu.Lock()
		s.log.WriteString(line)
		s.logMu.Unlock()
	}
}

// LogsHandler answers the second listener (port 8081): GET /logs/reset,
// which load tests written for the real TeaStore call first.
func (s *Server) LogsHandler(ctx *fasthttp.RequestCtx) {
	if string(ctx.Path()) != "/logs/reset" {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		return
	}
	s.logMu.Lock()
	if s.log != nil {
		s.log.Flush()
		if t, ok := s.cfg.Log.(interface{ Truncate(int64) error }); ok {
			t.Truncate(0)
			if sk, ok := s.cfg.Log.(io.Seeker); ok {
				sk.Seek(0, io.SeekStart)
			}
		}
	}
	s.logMu.Unlock()
	s.requests.Store(0)
	if s.cfg.Events != nil {
		jsonl.Write(s.cfg.Events, record.Event{Type: record.TypeEvent, Event: record.EvLogsReset, TS: time.Now()})
	}
	ctx.SetContentType("text/plain")
	ctx.SetBodyString("Logs reset\n")
}

// Flush writes the request log out.
func (s *Server) Flush() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if s.log != nil {
		s.log.Flush()
	}
}

// Lateness is the record of how late answers left against the model.
func (s *Server) Lateness() *simserver.Lateness { return s.late }
