package simserver

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestDeadlineMoves(t *testing.T) {
	now := time.Now()
	c := &lazyConn{slack: time.Second}
	for _, tc := range []struct {
		name     string
		cur, set time.Time
		want     bool
	}{
		{"first deadline", time.Time{}, now, true},
		{"cleared", now, time.Time{}, true},
		{"earlier", now, now.Add(-time.Millisecond), true},
		{"later by less than the slack", now, now.Add(999 * time.Millisecond), false},
		{"later by more than the slack", now, now.Add(1001 * time.Millisecond), true},
	} {
		if got := c.moved(tc.cur, tc.set); got != tc.want {
			t.Errorf("%s: moved %v, want %v", tc.name, got, tc.want)
		}
	}
}

// An idle keep-alive connection is still closed, between Timeout − slack
// and Timeout after its last answer, though requests kept moving the
// deadline by less than the slack.
func TestLazyDeadlinesStillCloseIdleConnections(t *testing.T) {
	const timeout, slack = 400 * time.Millisecond, 100 * time.Millisecond
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(200) },
		ReadTimeout: timeout, WriteTimeout: timeout, IdleTimeout: timeout}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(Listener(ln, slack))
	defer srv.Shutdown()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	var resp fasthttp.Response
	for i := 0; i < 20; i++ { // 20 requests over ~200 ms on one connection
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if err := resp.Read(br); err != nil || resp.StatusCode() != 200 {
			t.Fatalf("request %d: %v %d", i, err, resp.StatusCode())
		}
		time.Sleep(10 * time.Millisecond)
	}
	last := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the server sent something on an idle connection")
	}
	if idle := time.Since(last); idle < timeout-slack-10*time.Millisecond || idle > timeout+200*time.Millisecond {
		t.Fatalf("idle connection closed after %v, want %v–%v", idle, timeout-slack, timeout)
	}
}

func TestQuietLogHoldsBackAFlood(t *testing.T) {
	var b strings.Builder
	q := &QuietLog{W: &b, Name: "arssim", Every: time.Hour}
	for i := 0; i < 1000; i++ {
		q.Printf("error when serving connection %d\n", i)
	}
	q.last = time.Now().Add(-2 * time.Hour) // an hour later
	q.Printf("error when serving connection %d", 1000)
	want := "arssim: error when serving connection 0\narssim: error when serving connection 1000 (999 more like it since the last)\n"
	if b.String() != want {
		t.Fatalf("logged %q, want %q", b.String(), want)
	}
}
