package simserver

import (
	"errors"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Conns is the registry of a process's client connections and the tally of
// what it did when file descriptors ran out. Descriptors belong to the
// process, so one registry serves every listener of a simulator (teasim
// has two); Serve uses Default.
type Conns struct {
	mu   sync.Mutex
	open map[*lazyConn]struct{}

	reserveMu sync.Mutex
	reserve   *os.File // a descriptor kept free to refuse a connection with

	// Exhausted counts accepts that failed for lack of descriptors.
	Exhausted atomic.Int64
	// Shed counts connections closed while they had no request in the
	// model and had been quiet for MinIdle (idle keep-alive, silent, or
	// stalled half-way through a request), to free a descriptor.
	Shed atomic.Int64
	// Refused counts new connections answered 503 and closed at once
	// because no descriptor could be freed (every connection had a
	// request in the model or had just been active).
	Refused atomic.Int64
	// ConnErrors counts fasthttp's per-connection errors: malformed
	// requests, timeouts of slow clients, clients gone mid-request.
	ConnErrors atomic.Int64
}

// Default is the process's registry.
var Default = NewConns()

// MinIdle is how long a connection must have been quiet (no byte
// received, no answer sent) before it may be shed: a client that has just
// connected or sent part of a request gets its chance.
const MinIdle = 100 * time.Millisecond

// NewConns returns an empty registry holding one spare descriptor.
func NewConns() *Conns {
	c := &Conns{open: map[*lazyConn]struct{}{}}
	c.reserve, _ = os.Open(os.DevNull)
	return c
}

// Open is the number of client connections open now.
func (c *Conns) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.open)
}

func (c *Conns) add(nc net.Conn, slack time.Duration) *lazyConn {
	lc := &lazyConn{Conn: nc, slack: slack, reg: c}
	lc.touch()
	c.mu.Lock()
	c.open[lc] = struct{}{}
	c.mu.Unlock()
	return lc
}

func (c *Conns) remove(lc *lazyConn) {
	c.mu.Lock()
	delete(c.open, lc)
	c.mu.Unlock()
}

// shed closes the connections that have been quiet longest without a
// request in the model, quiet for MinIdle at least: an eighth of them, at
// least one. It returns how many.
func (c *Conns) shed() int {
	quiet := time.Now().Add(-MinIdle).UnixNano()
	c.mu.Lock()
	idle := make([]*lazyConn, 0, len(c.open))
	for lc := range c.open {
		if !lc.busy.Load() && lc.active.Load() <= quiet {
			idle = append(idle, lc)
		}
	}
	c.mu.Unlock()
	if len(idle) == 0 {
		return 0
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].active.Load() < idle[j].active.Load() })
	n := max(1, len(idle)/8)
	for _, lc := range idle[:n] {
		lc.Close()
	}
	c.Shed.Add(int64(n))
	return n
}

// refuse frees the spare descriptor to accept one waiting connection,
// answers it 503 and closes it, then takes the spare back. It returns
// whether a connection was refused.
func (c *Conns) refuse(ln net.Listener) bool {
	c.reserveMu.Lock()
	defer c.reserveMu.Unlock()
	if c.reserve == nil {
		c.reserve, _ = os.Open(os.DevNull)
		return false
	}
	c.reserve.Close()
	c.reserve = nil
	if dl, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
		dl.SetDeadline(time.Now().Add(10 * time.Millisecond)) // nothing waiting: do not block here
		defer dl.SetDeadline(time.Time{})
	}
	nc, err := ln.Accept()
	if err == nil {
		answer503(nc)
		c.Refused.Add(1)
	}
	c.reserve, _ = os.Open(os.DevNull)
	return err == nil
}

// answer503 reads what the client has sent so far (so closing does not
// reset the connection before it reads the answer), answers 503, closes.
func answer503(nc net.Conn) {
	nc.SetDeadline(time.Now().Add(2 * time.Millisecond))
	var buf [4096]byte
	nc.Read(buf[:])
	nc.SetDeadline(time.Now().Add(10 * time.Millisecond))
	nc.Write(refusal)
	nc.Close()
}

var refusal = []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 34\r\n" +
	"Connection: close\r\n\r\nsimulator out of file descriptors\n")

// outOfDescriptors reports whether an accept failed for lack of file
// descriptors or kernel memory: conditions that pass when connections close.
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

func fdLimit() uint64 {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) != nil {
		return 0
	}
	return r.Cur
}

// Listener wraps ln so that its connections move a read or write deadline
// later only when it would move by more than slack, and so that running out
// of file descriptors never ends the server (see Conns). fasthttp sets up
// to three deadlines per request, each a runtime timer update (~6 % of a
// simulator's CPU at 100k req/s, profiled). A timeout then fires between
// Timeout − slack and Timeout after the last activity; an earlier deadline
// or clearing one always takes effect.
func Listener(ln net.Listener, slack time.Duration) net.Listener {
	return newListener(ln, slack, Default, "simserver")
}

func newListener(ln net.Listener, slack time.Duration, reg *Conns, name string) *lazyListener {
	return &lazyListener{Listener: ln, slack: slack, reg: reg, closed: make(chan struct{}),
		log: &QuietLog{W: os.Stderr, Name: name, Every: 10 * time.Second}}
}

type lazyListener struct {
	net.Listener
	slack     time.Duration
	reg       *Conns
	log       *QuietLog
	closed    chan struct{}
	closeOnce sync.Once
}

// Accept returns the next connection. Out of descriptors, it sheds idle
// connections (or refuses one waiting connection when none is idle), says
// so on stderr at most every 10 s, and backs off from 5 ms to 1 s while
// nothing could be freed, instead of failing as fasthttp would (it ends
// Serve on any accept error but a timeout).
func (l *lazyListener) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		nc, err := l.Listener.Accept()
		if err == nil {
			return l.reg.add(nc, l.slack), nil
		}
		if !outOfDescriptors(err) {
			return nil, err
		}
		l.reg.Exhausted.Add(1)
		shed, refused := l.reg.shed(), 0
		if shed == 0 && l.reg.refuse(l.Listener) {
			refused = 1
		}
		l.log.Printf("out of file descriptors (%v; limit %d): closed %d idle connections (%d so far), refused %d new (%d so far); %d open",
			err, fdLimit(), shed, l.reg.Shed.Load(), refused, l.reg.Refused.Load(), l.reg.Open())
		if shed+refused > 0 {
			backoff = time.Millisecond // closes free descriptors when the readers let go
		} else {
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
		}
		select {
		case <-l.closed:
			return nil, net.ErrClosed
		case <-time.After(backoff):
		}
	}
}

func (l *lazyListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// lazyConn is used by one fasthttp worker at a time, so its deadline
// fields need no lock.
type lazyConn struct {
	net.Conn
	slack  time.Duration
	rd, wd time.Time // the deadlines in force

	reg    *Conns
	busy   atomic.Bool  // a request of this connection is in a handler
	active atomic.Int64 // Unix ns of the last byte received or answer sent (or the accept)
	heard  atomic.Bool  // a byte was ever received
	closed atomic.Bool
}

func (c *lazyConn) touch() { c.active.Store(time.Now().UnixNano()) }

// Read notes when the client was last heard from (see Conns.shed).
func (c *lazyConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.touch()
		if !c.heard.Load() {
			c.heard.Store(true)
		}
	}
	return n, err
}

// moved says whether a new deadline t replaces cur in force.
func (c *lazyConn) moved(cur, t time.Time) bool {
	return t.IsZero() || cur.IsZero() || t.Before(cur) || t.Sub(cur) > c.slack
}

func (c *lazyConn) SetReadDeadline(t time.Time) error {
	if !c.moved(c.rd, t) {
		return nil
	}
	c.rd = t
	return c.Conn.SetReadDeadline(t)
}

func (c *lazyConn) SetWriteDeadline(t time.Time) error {
	if !c.moved(c.wd, t) {
		return nil
	}
	c.wd = t
	return c.Conn.SetWriteDeadline(t)
}

func (c *lazyConn) SetDeadline(t time.Time) error {
	c.rd, c.wd = t, t
	return c.Conn.SetDeadline(t)
}

// Close closes the connection once and takes it out of the registry (a
// shed connection is closed again by its fasthttp worker).
func (c *lazyConn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	if c.reg != nil {
		c.reg.remove(c)
	}
	return c.Conn.Close()
}

// SyscallConn gives the descriptor of the underlying connection (to watch
// for the client going away; see Gone).
func (c *lazyConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// enter and leave mark a connection's request in a handler: a connection
// with a request in the model is never shed.
func (c *lazyConn) enter() { c.busy.Store(true) }

func (c *lazyConn) leave() {
	c.touch()
	c.busy.Store(false)
}
