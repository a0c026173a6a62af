package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// histoLog writes n Locust response lines, 100 a second.
func histoLog(n int) []byte {
	var b bytes.Buffer
	t := time.Date(2020, 6, 30, 15, 20, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		t = t.Add(10 * time.Millisecond)
		fmt.Fprintf(&b, "[%s] h/INFO/x: Response time %d ms\n", t.Format("2006-01-02 15:04:05,000"), 2000+i%500)
	}
	return b.Bytes()
}

// readBytes is how many bytes a process has read (/proc/PID/io rchar).
func readBytes(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	m := regexp.MustCompile(`rchar: (\d+)`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// histo stops normally on SIGINT, SIGTERM and SIGHUP while blocked reading
// a pipe that never ends: exit 0, the intervals and a summary of everything
// it read on stdout, the summary on stderr.
func TestHistoStopsOnASignalWhileBlockedReading(t *testing.T) {
	t.Parallel()
	log := histoLog(1000)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(filepath.Join(bin, "histo"), "--utc")
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // its own start-up reads
			before := readBytes(cmd.Process.Pid)
			in.Write(log)
			for deadline := time.Now().Add(20 * time.Second); readBytes(cmd.Process.Pid)-before < int64(len(log)); {
				if time.Now().After(deadline) {
					t.Fatal("histo did not read its input in 20 s")
				}
				time.Sleep(10 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("histo still running 20 s after %v", sig)
			}
			if err != nil {
				t.Fatalf("histo after %v: %v\n%s", sig, err, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			var sum struct {
				Type  string
				Count int
			}
			json.Unmarshal([]byte(lines[len(lines)-1]), &sum)
			if sum.Type != "summary" || sum.Count != 1000 || len(lines) < 11 {
				t.Fatalf("%d lines, last %s", len(lines), lines[len(lines)-1])
			}
			if !strings.Contains(stderr.String(), "histo: stopped by a signal") || !strings.Contains(stderr.String(), "histo: 1000 responses") {
				t.Fatalf("stderr: %s", stderr.String())
			}
		})
	}
}

// histo big.log | head -1 is a normal end: exit 0, the summary of what was
// read on stderr, and the reading stops (the log is not parsed to its end).
func TestHistoIntoAClosedPipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.log"), histoLog(300_000), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := sh(t, dir, "histo big.log | head -1")
	if code != 0 || !strings.HasPrefix(out, `{"type":"interval"`) || strings.Count(out, "\n") != 1 {
		t.Fatalf("exit %d\nstdout %q\nstderr %s", code, out, stderr)
	}
	m := regexp.MustCompile(`histo: (\d+) responses`).FindStringSubmatch(stderr)
	if m == nil || !strings.Contains(stderr, "histo: stdout closed: stopped reading") {
		t.Fatalf("stderr: %s", stderr)
	}
	if n, _ := strconv.Atoi(m[1]); n >= 300_000 {
		t.Fatalf("read all %d responses for a reader that had gone", n)
	}
	if strings.Contains(stderr, "broken pipe") {
		t.Fatalf("stderr: %s", stderr)
	}
}

// `timeout -s INT` delivers its signal twice (to the command, then to its
// process group): one stop, not two, so histo still ends normally.
func TestHistoStopsUnderTimeout(t *testing.T) {
	t.Parallel()
	for _, sig := range []string{"INT", "TERM"} {
		cmd := exec.Command("timeout", "--preserve-status", "-s", sig, "1", filepath.Join(bin, "histo"), "-q")
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		in.Write(histoLog(500))
		err = cmd.Wait()
		in.Close()
		if err != nil || !strings.Contains(out.String(), `"type":"summary"`) || !strings.Contains(stderr.String(), "histo: stopped by a signal") {
			t.Fatalf("SIG%s from timeout: %v\nstdout %q\nstderr %s", sig, err, out.String(), stderr.String())
		}
	}
}
