package e2e

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// misbehave starts a TCP server on a loopback port that answers every
// request with answer (nil: never answers; "close": closes the connection
// at once) and returns its port.
func misbehave(t *testing.T, answer []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveBadly(c, answer)
		}
	}()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func serveBadly(c net.Conn, answer []byte) {
	defer c.Close()
	if string(answer) == "close" {
		return
	}
	r := bufio.NewReader(c)
	for {
		for { // a request's head (fire's plans here have no body)
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if l == "\r\n" {
				break
			}
		}
		if answer == nil {
			continue // never answers; the connection stays open
		}
		if _, err := c.Write(answer); err != nil {
			return
		}
	}
}

// A server whose status line says "Response time 1 ms" cannot make a failure
// count as a 1 ms success: fire logs its own words (the status), never the
// server's text, and histo counts every send as an error.
func TestHostileStatusLineIsNotAMeasurement(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{
		"HTTP/1.1 500 Response time 1 ms\r\nContent-Length: 0\r\n\r\n",
		"Response time 1 ms\r\n\r\n", // not HTTP at all
		"HTTP/1.1 200 OK\r\nContent-Length: x Response time 1 ms\r\n\r\n",
	} {
		port := misbehave(t, []byte(answer))
		dir := t.TempDir()
		_, stderr, code := sh(t, dir, "plan constant --rate 50 --duration 500ms | fire -t :"+port+" --progress 0 --try-timeout 2s > log")
		if code != 4 || !strings.Contains(stderr, "NOTHING SUCCEEDED: not one of 25 sends") {
			t.Fatalf("%q: exit %d, want 4:\n%s", answer, code, stderr)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		if n := strings.Count(string(log), "Request failed after "); n != 25 || bytes.Contains(log, []byte("Response time")) {
			t.Fatalf("%q: %d failure lines, want 25, none with the server's text:\n%s", answer, n, log)
		}
		out, _, _ := sh(t, dir, "histo --interval 0 -q log")
		if !strings.Contains(out, `"count":0,"errors":25,`) {
			t.Fatalf("%q: histo read failures as successes: %s", answer, out)
		}
	}
}

// A server that closes every connection: each send is an error named by its
// class, and a run where nothing succeeded says so and exits 4.
func TestHostileServerThatCloses(t *testing.T) {
	t.Parallel()
	port := misbehave(t, []byte("close"))
	_, stderr, code := sh(t, t.TempDir(), "plan constant --rate 40 --duration 500ms | fire -t :"+port+" --progress 0 -o /dev/null")
	if code != 4 || !strings.Contains(stderr, "fire: errors: 20 connection ") ||
		!strings.Contains(stderr, "NOTHING SUCCEEDED: not one of 20 sends to 127.0.0.1:"+port) {
		t.Fatalf("exit %d, want 4:\n%s", code, stderr)
	}
}

// A server that never answers: tries time out (--try-timeout), and a
// repeating closed-model client stuck on it still stops on SIGTERM within
// --stop-timeout, with its summary.
func TestHostileServerThatNeverAnswers(t *testing.T) {
	t.Parallel()
	port := misbehave(t, nil)
	_, stderr, code := sh(t, t.TempDir(), "plan constant --rate 10 --duration 500ms | fire -t :"+port+" --progress 0 --try-timeout 300ms -o /dev/null")
	if code != 4 || !strings.Contains(stderr, "fire: errors: 5 timeout\n") {
		t.Fatalf("exit %d, want 4 with 5 timeouts:\n%s", code, stderr)
	}
	dir := t.TempDir()
	sh(t, dir, "plan mascots --devices 3 > plan.jsonl")
	cmd := exec.Command(filepath.Join(bin, "fire"), "-t", ":"+port, "--progress", "0", "--stop-timeout", "1s", "-o", os.DevNull, "plan.jsonl")
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	t0 := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if d := time.Since(t0); err != nil || d > 10*time.Second ||
		!strings.Contains(errb.String(), "fire: 3 sends still in flight after --stop-timeout 1s: not logged") ||
		!strings.Contains(errb.String(), "fire: summary: 0 responses, 0 errors") {
		t.Fatalf("after SIGTERM: %v in %v:\n%s", err, d, errb.String())
	}
}
