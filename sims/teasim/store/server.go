package store

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

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
	// LogName and EventsName name the outputs in reports of their write
	// errors; Stderr gets those reports (default os.Stderr).
	LogName, EventsName string
	Stderr              io.Writer
}

// StatePath is teasim's state endpoint (GET, loopback peers only), beside
// the WebUI: outside its prefix, so no TeaStore page is shadowed.
const StatePath = "/_teasim/state"

// Server is the simulated TeaStore WebUI with its processing-time model.
type Server struct {
	cfg       Config
	proc      *regress.Regression
	gate      simserver.Gate
	requests  atomic.Int64
	abandoned atomic.Int64
	start     time.Time

	logMu   sync.Mutex
	log     *bufio.Writer
	logOut  *simserver.Output
	flushed time.Time // when the log was last flushed
	evMu    sync.Mutex
	events  *simserver.Output

	late *simserver.Lateness
}

// NewServer checks the parameters (an absurd one is an error naming its
// flag or file) and builds the WebUI around the model.
func NewServer(cfg Config) (*Server, error) {
	if cfg.TimeScale == 0 {
		cfg.TimeScale = 1
	}
	if err := simserver.CheckScale(cfg.TimeScale); err != nil {
		return nil, err
	}
	if err := simserver.CheckMaxInflight(cfg.MaxInflight); err != nil {
		return nil, err
	}
	if cfg.Model == nil {
		return nil, fmt.Errorf("teasim needs a processing-time model")
	}
	if err := cfg.Model.Check(cfg.Model.Source, cfg.TimeScale, cfg.MaxInflight); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, proc: &regress.Regression{M: cfg.Model, Scale: cfg.TimeScale}, late: simserver.NewLateness(), start: time.Now()}
	s.gate.Max = cfg.MaxInflight
	stderr := cfg.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	if cfg.Log != nil {
		s.logOut = simserver.NewOutput(cfg.Log, "--log "+cfg.LogName, stderr, "teasim")
		s.log = bufio.NewWriterSize(s.logOut, 64*1024)
	}
	if cfg.Events != nil {
		s.events = simserver.NewOutput(cfg.Events, "--events "+cfg.EventsName, stderr, "teasim")
	}
	return s, nil
}

// Handler answers the WebUI (port 8080 of a real TeaStore).
func (s *Server) Handler(ctx *fasthttp.RequestCtx) {
	page, cmd, ok := Page(ctx.Method(), ctx.Path())
	if !ok {
		if string(ctx.Path()) == StatePath {
			s.state(ctx)
			return
		}
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
	w := simserver.NewWatch(ctx.Conn())
	d, done, ok := s.proc.Process(cmd, arrival, w)
	w.Stop()
	if !ok {
		s.abandoned.Add(1)
		s.logLine(arrival, cmd, 0, "gone (the client left; the request left the model)")
		ctx.SetConnectionClose()
		return
	}
	s.late.Done(done)
	Serve(ctx, page)
	ctx.Response.Header.Set("X-Process-Time", strconv.FormatFloat(d.Seconds(), 'f', 6, 64))
	s.logLine(arrival, cmd, d, "status "+strconv.Itoa(ctx.Response.StatusCode()))
}

func (s *Server) logLine(arrival time.Time, cmd string, d time.Duration, outcome string) {
	n := s.requests.Add(1)
	if s.log == nil {
		return
	}
	line := fmt.Sprintf("%s %d %s processing %.6f s %s\n", arrival.Format("2006-01-02 15:04:05.000"), n, cmd, d.Seconds(), outcome)
	s.logMu.Lock()
	s.log.WriteString(line)
	if now := time.Now(); now.Sub(s.flushed) >= time.Second { // lines (and a full disk) show within a second
		s.log.Flush()
		s.flushed = now
	}
	s.logMu.Unlock()
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
	if s.events != nil {
		b, _ := json.Marshal(record.Event{Type: record.TypeEvent, Event: record.EvLogsReset, TS: time.Now()})
		s.evMu.Lock()
		s.events.Write(append(b, '\n')) // a failure is counted and reported by the Output
		s.evMu.Unlock()
	}
	ctx.SetContentType("text/plain")
	ctx.SetBodyString("Logs reset\n")
}

// State is what GET /_teasim/state answers.
func (s *Server) State() record.State {
	n, p99, mx := s.late.Accuracy()
	st := record.State{Type: record.TypeState, Inflight: s.gate.Inflight(), UptimeS: time.Since(s.start).Seconds(),
		Model: "lr", Processed: n, LateP99MS: p99.Seconds() * 1000, LateMaxMS: mx.Seconds() * 1000,
		Abandoned: s.abandoned.Load(), Overloaded: s.gate.Turned()}
	simserver.Default.Fill(&st)
	simserver.FillOutputs(&st, s.logOut, s.events)
	return st
}

func (s *Server) state(ctx *fasthttp.RequestCtx) {
	if ip := ctx.RemoteIP(); ip == nil || !ip.IsLoopback() || !ctx.IsGet() {
		ctx.SetStatusCode(fasthttp.StatusForbidden)
		ctx.SetBodyString("the state endpoint answers GET from loopback only\n")
		return
	}
	b, _ := json.Marshal(s.State())
	ctx.SetContentType("application/json")
	ctx.SetBody(append(b, '\n'))
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
