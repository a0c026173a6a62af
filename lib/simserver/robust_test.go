package simserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/valyala/fasthttp"
)

// Out of descriptors, the connections quiet longest without a request in
// the model go first, an eighth at a time; busy ones and ones heard from
// within MinIdle never.
func TestShedOldestIdleFirst(t *testing.T) {
	reg := NewConns()
	var conns []*lazyConn
	for i := 0; i < 16; i++ {
		a, b := net.Pipe()
		defer b.Close()
		conns = append(conns, reg.add(a, time.Second))
		conns[i].active.Store(time.Now().Add(-time.Duration(100-i) * time.Second).UnixNano()) // quiet for 100 s, 99 s, …
	}
	conns[0].enter() // a request in the model: never shed
	conns[1].leave() // just answered
	if n := reg.shed(); n != 1 || reg.Open() != 15 {
		t.Fatalf("shed %d of 14 quiet (open %d), want 1 (an eighth, rounded down, at least one)", n, reg.Open())
	}
	if !conns[2].closed.Load() || conns[0].closed.Load() || conns[1].closed.Load() {
		t.Fatal("shed the wrong connection: want the one quiet longest")
	}
	for reg.shed() > 0 {
	}
	if reg.Open() != 2 || conns[0].closed.Load() || conns[1].closed.Load() || reg.Shed.Load() != 14 {
		t.Fatalf("after shedding all quiet ones: %d open, shed %d; the busy and the just-answered must stay", reg.Open(), reg.Shed.Load())
	}
}

func TestOutOfDescriptorsErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.EMFILE)}, true},
		{&net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ENFILE)}, true},
		{net.ErrClosed, false},
		{errors.New("use of closed network connection"), false},
	} {
		if got := outOfDescriptors(c.err); got != c.want {
			t.Errorf("%v: %v", c.err, got)
		}
	}
}

// A refused connection gets a 503 it can read, not a reset.
func TestRefuseAnswers503(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	reg := NewConns()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	time.Sleep(20 * time.Millisecond)
	if !reg.refuse(ln) || reg.Refused.Load() != 1 {
		t.Fatal("nothing refused")
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var resp fasthttp.Response
	if err := resp.Read(bufioReader(c)); err != nil || resp.StatusCode() != 503 {
		t.Fatalf("refused client read %v, status %d; want a 503", err, resp.StatusCode())
	}
	if reg.refuse(ln) { // nothing waiting: returns after its short deadline
		t.Fatal("refused a connection that was not there")
	}
}

// A client that closes its connection while its request waits is seen
// within milliseconds; one that stays is not.
func TestWatchSeesTheClientLeave(t *testing.T) {
	t.Parallel()
	seen := make(chan time.Duration, 2)
	h := func(ctx *fasthttp.RequestCtx) {
		w := NewWatch(ctx.Conn())
		defer w.Stop()
		t0 := time.Now()
		if !SleepUntil(t0.Add(3*time.Second), w) {
			seen <- time.Since(t0)
			return
		}
		seen <- -1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, HTTP(h, "test"), ln, time.Second)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	time.Sleep(100 * time.Millisecond)
	c.Close()
	select {
	case d := <-seen:
		if d < 0 || d > time.Second {
			t.Fatalf("the handler saw the client leave after %v", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the client's leaving went unseen")
	}
}

// A client too slow to send its request gets 408; one that never sent a
// byte is closed without an answer (a client's spare connection).
func TestTimeoutsAnsweredOnlyToClientsThatSpoke(t *testing.T) {
	t.Parallel()
	srv := HTTP(func(ctx *fasthttp.RequestCtx) {}, "test")
	srv.ReadTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, srv, ln, time.Second)
	for _, c := range []struct{ send, want string }{{"", ""}, {"GET / HTTP/1.1\r\nHo", "HTTP/1.1 408 Request Timeout"}} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(c.send))
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, _ := io.ReadAll(conn)
		conn.Close()
		if !strings.HasPrefix(string(got), c.want) || (c.want == "" && len(got) > 0) {
			t.Errorf("after sending %q: %q, want %q", c.send, got, c.want)
		}
	}
}

func TestSleepUntilIsOnTimeUnlessGone(t *testing.T) {
	t.Parallel()
	server, client := tcpPair(t)
	w := NewWatch(server)
	defer w.Stop()
	t0 := time.Now()
	if !SleepUntil(t0.Add(60*time.Millisecond), w) || time.Since(t0) < 60*time.Millisecond {
		t.Fatalf("woke after %v, want 60 ms", time.Since(t0))
	}
	client.Close()
	t0 = time.Now()
	if SleepUntil(t0.Add(time.Hour), w) || time.Since(t0) > time.Second {
		t.Fatal("slept on though the client was gone")
	}
	t0 = time.Now() // a wait shorter than WatchAfter is not watched: it runs to its end
	if !SleepUntil(t0.Add(WatchAfter/2), w) || time.Since(t0) < WatchAfter/2 {
		t.Fatal("a short wait was cut")
	}
	var none *Watch
	if !SleepUntil(time.Now().Add(WatchAfter), none) || none.Done() != nil {
		t.Fatal("a nil watch must never fire")
	}
	none.Stop()
}

// tcpPair returns both ends of a loopback connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// A full disk is counted and reported once per 10 s, and the writer in
// front keeps going.
func TestOutputReportsWriteErrors(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	var stderr bytes.Buffer
	o := NewOutput(full, "--log x.log", &stderr, "sim")
	for i := 0; i < 5; i++ {
		if n, err := o.Write([]byte("line\n")); n != 5 || err != nil {
			t.Fatalf("Write: %d, %v; want 5, nil so a buffered writer keeps going", n, err)
		}
	}
	if o.Errors() != 5 || o.Lost() != 25 {
		t.Fatalf("errors %d, lost %d; want 5 and 25", o.Errors(), o.Lost())
	}
	want := "sim: --log x.log: write failed: write /dev/full: no space left on device (1 failed writes, 5 bytes lost so far)\n"
	if stderr.String() != want {
		t.Fatalf("stderr %q, want %q", stderr.String(), want)
	}
	var nilOut *Output
	if nilOut.Errors() != 0 || nilOut.Lost() != 0 {
		t.Fatal("no output: no errors")
	}
}

func TestCheckScaleAndDurations(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -2} {
		if err := CheckScale(f); err == nil || !strings.HasPrefix(err.Error(), "--time-scale ") {
			t.Errorf("%v: %v", f, err)
		}
	}
	if CheckScale(1e-9) != nil || CheckScale(1000) != nil {
		t.Error("sane scales refused")
	}
	if d, err := Scale("--x", 2*time.Second, 0.5); d != time.Second || err != nil {
		t.Errorf("2 s × 0.5: %v %v", d, err)
	}
	if _, err := Scale("--x", time.Hour, 1e7); err == nil { // 1,141 years
		t.Error("an overflowing product accepted")
	}
	if _, err := Scale("--x", -time.Second, 1); err == nil {
		t.Error("a negative duration accepted")
	}
}

type cfgFlags struct {
	Config        kong.ConfigFlag
	Model         string        `default:"minimal"`
	MaxProcessing time.Duration `default:"10s"`
	TimeScale     float64       `default:"1"`
}

func parseWith(t *testing.T, content string) (*cfgFlags, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sim.json")
	os.WriteFile(p, []byte(content), 0o644)
	var f cfgFlags
	k, err := kong.New(&f, kong.Configuration(JSONConfig), kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.Parse([]string{"--config", p})
	if err != nil && !strings.Contains(err.Error(), p) {
		return nil, fmt.Errorf("the error does not name %s: %v", p, err)
	}
	return &f, err
}

// Config files: every spelling of a flag is read; an unknown key, an empty
// or malformed file is refused naming the file (and the key or line).
func TestConfigFile(t *testing.T) {
	f, err := parseWith(t, `{"model":"lr","max-processing":"5s","time_scale":0.5}`)
	if err != nil || f.Model != "lr" || f.MaxProcessing != 5*time.Second || f.TimeScale != 0.5 {
		t.Fatalf("%+v %v", f, err)
	}
	if f, err = parseWith(t, `{"maxProcessing":"7s"}`); err != nil || f.MaxProcessing != 7*time.Second {
		t.Fatalf("camel case: %+v %v", f, err)
	}
	for content, want := range map[string]string{
		`{"modell":"lr"}`:               `unknown key "modell" (known: max-processing, model, time-scale)`,
		"":                              "empty: expected a JSON object of flag values",
		"  \n ":                         "empty",
		"{\n\"model\": lr\n}":           "line 2: malformed JSON",
		`["model"]`:                     "expected a JSON object of flag values",
		`null`:                          "expected a JSON object",
		`{"model":"lr"} {"model":"x"}`:  "malformed JSON",
		`{"config":"other.json"}`:       `unknown key "config"`,
		`{"model":"lr","version":true}`: `unknown key "version"`,
	} {
		if _, err := parseWith(t, content); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want one line with %q", content, err, want)
		}
	}
}

func FuzzConfig(f *testing.F) {
	f.Add([]byte(`{"model":"lr"}`))
	f.Add([]byte("{\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := parseConfig(b, "c.json")
		if err != nil && (!strings.HasPrefix(err.Error(), "c.json") || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("error %q is not one line naming the file", err)
		}
	})
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
