package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// target is one simulator under soak and what its clients saw.
type target struct {
	name, bin    string
	args         []string
	port         string
	cmd          *exec.Cmd
	stderr       lockedBuffer
	good         func(*target, *http.Client, *rand.Rand) // one good request
	users        int
	method, path string // what aborted clients send
	watched      bool   // its requests wait simserver.WatchAfter or more: aborted ones are counted as abandoned

	mu      sync.Mutex
	lat     []time.Duration // good: latency − model time
	count   int
	fails   []string
	early   int // answered before the model's time: never
	samples []sample
}

type sample struct {
	at         time.Duration
	rssKB      int
	goroutines int
	st         map[string]float64
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func (s *target) addr() string { return "127.0.0.1:" + s.port }

func (s *target) statePath() string {
	if s.name == "teasim" {
		return "/_teasim/state"
	}
	return "/_arssim/state"
}

func (s *target) state() (map[string]float64, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + s.addr() + s.statePath())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		return nil, err
	}
	st := map[string]float64{}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			st[k] = f
		}
	}
	return st, nil
}

// rssKB reads the simulator's resident memory from /proc.
func (s *target) rssKB() int {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n
		}
	}
	return 0
}

// run starts every client of the mix until stop is closed.
func (s *target) run(stop chan struct{}, wg *sync.WaitGroup) {
	tr := &http.Transport{MaxIdleConnsPerHost: s.users, IdleConnTimeout: time.Minute}
	for i := 0; i < s.users; i++ {
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		c := &http.Client{Transport: tr, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		s.loop(stop, wg, 0, func() { s.good(s, c, rng) })
	}
	for i := 0; i < 100; i++ {
		s.loop(stop, wg, 0, func() { s.slow(stop) })
		s.loop(stop, wg, 0, func() { s.silent(stop) })
	}
	rng := rand.New(rand.NewPCG(7, 7))
	s.loop(stop, wg, 25*time.Millisecond, func() { s.aborted(rng) })
	s.loop(stop, wg, 25*time.Millisecond, func() { s.malformed(rng) })
}

// loop calls f until stop, pausing between calls.
func (s *target) loop(stop chan struct{}, wg *sync.WaitGroup, pause time.Duration, f func()) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			f()
			if pause > 0 {
				time.Sleep(pause)
			}
		}
	}()
}

// timed does one good request and checks it against the model's time in
// X-Process-Time: answered 200, never before the model's time.
func (s *target) timed(c *http.Client, method, url string, want float64) {
	req, _ := http.NewRequest(method, url, strings.NewReader(`{"id":"070010","body":"alarm"}`))
	t0 := time.Now()
	resp, err := c.Do(req)
	el := time.Since(t0)
	if err != nil {
		s.fail(err.Error())
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	model, perr := strconv.ParseFloat(resp.Header.Get("X-Process-Time"), 64)
	switch {
	case resp.StatusCode != 200:
		s.fail(method + " " + url + ": status " + strconv.Itoa(resp.StatusCode))
		return
	case perr != nil || (want > 0 && model != want):
		s.fail(fmt.Sprintf("X-Process-Time %q, want %g", resp.Header.Get("X-Process-Time"), want))
		return
	}
	d := time.Duration(model * float64(time.Second))
	s.mu.Lock()
	s.count++
	if el < d {
		s.early++
	}
	s.lat = append(s.lat, el-d)
	s.mu.Unlock()
}

func (s *target) fail(why string) {
	s.mu.Lock()
	if len(s.fails) < 20 {
		s.fails = append(s.fails, why)
	}
	s.count++
	s.mu.Unlock()
}

// arssimGood: the alarm, 100 ms in the constant model (2 s × 0.05).
func arssimGood(s *target, c *http.Client, _ *rand.Rand) {
	s.timed(c, "POST", "http://"+s.addr()+"/fake_call", 0.1)
}

// teasimGood: a page a browsing user asks for; the model's time depends on
// the load (PR1, PR3), so X-Process-Time is the reference.
func teasimGood(s *target, c *http.Client, rng *rand.Rand) {
	base := "http://" + s.addr() + "/tools.descartes.teastore.webui/"
	var page string
	switch rng.IntN(4) {
	case 0:
		page = ""
	case 1:
		page = "category?category=" + strconv.Itoa(2+rng.IntN(5)) + "&page=" + strconv.Itoa(1+rng.IntN(5))
	case 2:
		page = "product?id=" + strconv.Itoa(7+rng.IntN(500))
	default:
		page = "login"
	}
	s.timed(c, "GET", base+page, 0)
}

// slow sends a request's start, then a header byte every 5 s, until the
// server's timeout closes the connection.
func (s *target) slow(stop chan struct{}) {
	c, err := net.DialTimeout("tcp", s.addr(), 5*time.Second)
	if err != nil {
		time.Sleep(time.Second)
		return
	}
	defer c.Close()
	c.Write([]byte(s.method + " " + s.path + " HTTP/1.1\r\nHost: x\r\nX-Slow: "))
	for {
		select {
		case <-stop:
			return
		case <-time.After(5 * time.Second):
		}
		if _, err := c.Write([]byte("a")); err != nil {
			return
		}
	}
}

// silent connects and says nothing until the server closes the connection.
func (s *target) silent(stop chan struct{}) {
	c, err := net.DialTimeout("tcp", s.addr(), 5*time.Second)
	if err != nil {
		time.Sleep(time.Second)
		return
	}
	defer c.Close()
	done := make(chan struct{})
	go func() { c.Read(make([]byte, 1)); close(done) }()
	select {
	case <-stop:
	case <-done:
	}
}

// aborted sends a request and leaves before the answer.
func (s *target) aborted(rng *rand.Rand) {
	c, err := net.DialTimeout("tcp", s.addr(), 5*time.Second)
	if err != nil {
		return
	}
	c.Write([]byte(s.method + " " + s.path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
	time.Sleep(time.Duration(rng.IntN(5)) * time.Millisecond)
	c.Close()
}

// malformed sends garbage, a body over the 64 KiB limit, or a broken
// request line, and reads what comes back.
func (s *target) malformed(rng *rand.Rand) {
	c, err := net.DialTimeout("tcp", s.addr(), 5*time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	switch rng.IntN(3) {
	case 0:
		c.Write([]byte("\x00\x01\x02garbage\r\n\r\n"))
	case 1:
		c.Write([]byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", s.path, 100<<10)))
		c.Write(bytes.Repeat([]byte("a"), 100<<10))
	default:
		c.Write([]byte("GET  HTTP/9.9 what\r\n\r\n"))
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	io.Copy(io.Discard, io.LimitReader(c, 4096))
}
