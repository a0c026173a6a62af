package ars

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/regress"
	"github.com/perflab/perflab/lib/simserver"
)

// Preset holds the two parameter sets of domain.md §4.
type Preset struct {
	Processing, MaxProcessing time.Duration
	ModelFile                 string
}

// Presets: staging (the default) and production.
var Presets = map[string]Preset{
	"staging":    {Processing: 2 * time.Second, MaxProcessing: 10 * time.Second, ModelFile: "rast-2022"},
	"production": {Processing: 6 * time.Second, MaxProcessing: 2799 * time.Second, ModelFile: "rast-2022"},
}

// Config is everything arssim can be told (see `arssim --help`).
type Config struct {
	Model         string // minimal, random, lr, none
	Processing    time.Duration
	MaxProcessing time.Duration
	LR            *regress.LR
	Faults        Schedule
	FaultParams   FaultParams
	Seed          int64
	MaxInflight   int
	ControlToken  string
	Log, Events   io.Writer // may be nil
	// LogName and EventsName name the two outputs in reports of their
	// write errors (the flag's value); Stderr gets those reports (default os.Stderr).
	LogName, EventsName string
	Stderr              io.Writer
}

// Server is the simulated ARS behind a fasthttp handler.
type Server struct {
	cfg    Config
	proc   Processor
	faults *Faults
	gate   simserver.Gate
	thread atomic.Int64
	start  time.Time
	waits  bool // the model makes requests wait: watch their clients

	abandoned atomic.Int64

	late *simserver.Lateness

	cmdMu sync.RWMutex
	cmds  map[string]string // path → command name, so a request allocates none

	logMu  sync.Mutex
	log    *bufio.Writer
	logOut *simserver.Output
	evMu   sync.Mutex
	events *simserver.Output
	stop   chan struct{}
}

// NewServer checks the parameters (an absurd one is an error naming its
// flag or file) and builds the model; call Start to begin the fault schedule.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, start: time.Now(), stop: make(chan struct{}), late: simserver.NewLateness(), waits: cfg.Model != "none"}
	s.gate.Max = cfg.MaxInflight
	scale := cfg.FaultParams.Scale
	switch cfg.Model {
	case "minimal":
		s.proc = &Minimal{Service: time.Duration(float64(cfg.Processing) * scale)}
	case "random":
		s.proc = NewRandom(time.Duration(0.2*float64(time.Second)*scale), time.Duration(float64(cfg.Processing)*scale), cfg.Seed)
	case "lr":
		s.proc = &regress.Regression{M: cfg.LR, Scale: scale, Max: time.Duration(float64(cfg.MaxProcessing) * scale)}
	case "none":
		s.proc = None{}
	}
	stderr := cfg.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	if cfg.Log != nil {
		s.logOut = simserver.NewOutput(cfg.Log, "--log "+cfg.LogName, stderr, "arssim")
		s.log = bufio.NewWriterSize(s.logOut, 64*1024)
	}
	if cfg.Events != nil {
		s.events = simserver.NewOutput(cfg.Events, "--events "+cfg.EventsName, stderr, "arssim")
	}
	s.faults = NewFaults(cfg.FaultParams, cfg.Seed, s.event)
	return s, nil
}

// Start runs the fault schedule and the log flusher until Close.
func (s *Server) Start() {
	s.start = time.Now()
	if s.cfg.Faults != nil {
		go s.faults.Run(s.cfg.Faults, s.start, s.stop)
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.flushLog()
			}
		}
	}()
}

// Close stops the schedule and flushes the log.
func (s *Server) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.flushLog()
}

func (s *Server) flushLog() {
	s.logMu.Lock()
	if s.log != nil {
		s.log.Flush()
	}
	s.logMu.Unlock()
}

func (s *Server) event(e record.Event) {
	s.logf(0, "INFO", "%s", eventLine(e))
	if s.events == nil {
		return
	}
	b, _ := json.Marshal(e)
	s.evMu.Lock()
	s.events.Write(append(b, '\n')) // a failure is counted and reported by the Output
	s.evMu.Unlock()
}

func eventLine(e record.Event) string {
	ts := e.TS.Format("2006-01-02 15:04:05.000")
	switch e.Event {
	case record.EvFault:
		return fmt.Sprintf("ARS faulted @%s; operator will be notified in %.3fs", ts, e.DetectS)
	case record.EvRecovered:
		return "ARS recovered @" + ts
	case record.EvDetected:
		return "Fault detected @" + ts
	case record.EvNotified:
		return "Operator notified @" + ts
	default:
		return "Recovery action started @" + ts
	}
}

// logf writes one line of the original ARS log format:
// "[THREAD] YYYY-MM-DD HH:MM:SS.mmm [LEVEL] MESSAGE".
func (s *Server) logf(thread int64, level, format string, a ...any) {
	if s.log == nil {
		return
	}
	name := "main"
	if thread > 0 {
		name = "Thread-" + strconv.FormatInt(thread, 10)
	}
	line := fmt.Sprintf("[%s] %s [%s] %s\n", name, time.Now().Format("2006-01-02 15:04:05.000"), level, fmt.Sprintf(format, a...))
	s.logMu.Lock()
	s.log.WriteString(line)
	s.logMu.Unlock()
}

// CommandName derives the ARS command from a path: /fake_call → ID__fake_call;
// a path that already names a command (/ID_REQ_…) keeps it.
func CommandName(path []byte) string {
	p := bytes.TrimPrefix(path, []byte("/"))
	if bytes.HasPrefix(p, []byte("ID_")) && bytes.IndexByte(p, '/') < 0 {
		return string(p)
	}
	return "ID_" + strings.ReplaceAll(string(path), "/", "_")
}

// Handler answers the ARS's HTTP interface (domain.md §4).
func (s *Server) Handler(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	if bytes.HasPrefix(path, []byte("/_arssim/")) {
		s.control(ctx)
		return
	}
	m := ctx.Method()
	switch string(m) {
	case "GET", "DELETE", "HEAD":
		ctx.SetStatusCode(fasthttp.StatusOK)
		return
	case "POST", "PUT":
	default:
		ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
		return
	}
	if s.faults.Faulted() {
		ctx.SetStatusCode(fasthttp.StatusInternalServerError)
		return
	}
	if !s.gate.Enter() {
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable) // documented overload answer
		return
	}
	defer s.gate.Leave()
	arrival := time.Now()
	cmd := s.command(path)
	th := s.thread.Add(1)
	if s.log != nil {
		s.logf(th, "INFO", "CMD-START: %s", cmd)
	}
	var w *simserver.Watch
	if s.waits {
		w = simserver.NewWatch(ctx.Conn())
		defer w.Stop()
	}
	d, done, ok := s.proc.Process(cmd, arrival, w)
	if !ok {
		s.abandoned.Add(1)
		if s.log != nil {
			s.logf(th, "WARN", "CMD-GONE: %s (the client left; the request left the queue)", cmd)
		}
		ctx.SetConnectionClose()
		return
	}
	s.late.Done(done)
	var buf [24]byte
	secs := strconv.AppendFloat(buf[:0], d.Seconds(), 'f', 6, 64)
	if s.log != nil {
		s.logf(th, "INFO", "Request execution time: %s", string(secs))
		s.logf(th, "INFO", "CMD-ENDE: %s", cmd)
	}
	ctx.Response.Header.SetCanonical(processTimeHeader, secs)
	ctx.SetStatusCode(fasthttp.StatusOK)
}

// processTimeHeader is already in canonical form: fasthttp need not normalise it.
var processTimeHeader = []byte("X-Process-Time")

// command is CommandName remembered per path (up to 4,096 paths: clients
// choose paths, so the memory stays bounded).
func (s *Server) command(path []byte) string {
	s.cmdMu.RLock()
	cmd, ok := s.cmds[string(path)]
	s.cmdMu.RUnlock()
	if ok {
		return cmd
	}
	cmd = CommandName(path)
	s.cmdMu.Lock()
	if s.cmds == nil {
		s.cmds = map[string]string{}
	}
	if len(s.cmds) < 4096 {
		s.cmds[string(path)] = cmd
	}
	s.cmdMu.Unlock()
	return cmd
}

// AllowControl says whether a control request may act: from loopback, or
// carrying the configured token.
func AllowControl(remote net.IP, token, want string) bool {
	if want != "" && token == want {
		return true
	}
	return remote != nil && remote.IsLoopback()
}

// State is what GET /_arssim/state answers.
func (s *Server) State() record.State {
	n, p99, mx := s.late.Accuracy()
	st := record.State{Type: record.TypeState, Faulted: s.faults.Faulted(), Faults: s.faults.Count(),
		Inflight: s.gate.Inflight(), UptimeS: time.Since(s.start).Seconds(), Model: s.cfg.Model,
		Processed: n, LateP99MS: p99.Seconds() * 1000, LateMaxMS: mx.Seconds() * 1000,
		Abandoned: s.abandoned.Load(), Overloaded: s.gate.Turned()}
	simserver.Default.Fill(&st)
	simserver.FillOutputs(&st, s.logOut, s.events)
	return st
}

// Lateness is the record of how late answers left against the model.
func (s *Server) Lateness() *simserver.Lateness { return s.late }

func (s *Server) control(ctx *fasthttp.RequestCtx) {
	if !AllowControl(ctx.RemoteIP(), string(ctx.Request.Header.Peek("X-Control-Token")), s.cfg.ControlToken) {
		ctx.SetStatusCode(fasthttp.StatusForbidden)
		ctx.SetBodyString("control endpoint answers only on loopback or with X-Control-Token\n")
		return
	}
	switch string(ctx.Path()) {
	case "/_arssim/fault":
		if !ctx.IsPost() {
			ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
			return
		}
		if s.faults.Trigger() {
			ctx.SetStatusCode(fasthttp.StatusOK)
		} else {
			ctx.SetStatusCode(fasthttp.StatusConflict) // already faulted: ignored
		}
	case "/_arssim/state":
		b, _ := json.Marshal(s.State())
		ctx.SetContentType("application/json")
		ctx.SetBody(append(b, '\n'))
	default:
		ctx.SetStatusCode(fasthttp.StatusNotFound)
	}
}

// NewHTTPServer wraps the handler with the limits that keep arssim up under
// overload and bad clients.
func (s *Server) NewHTTPServer() *fasthttp.Server { return simserver.HTTP(s.Handler, "arssim") }
