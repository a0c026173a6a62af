package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeProc is one command line of the docs test, run by bash in a process
// group of its own, so that a Ctrl-C reaches every process of it as a
// terminal's would, and nothing it started outlives the test.
type readmeProc struct {
	line           string
	stdout, stderr string // the files its output goes to
	started        time.Time
	took           time.Duration
	done           chan struct{} // closed when it has ended
	code           int           // its exit code (128+N for a signal N), once done
	pid            int
}

// start starts a command line in the working directory.
func (e *readmeEnv) start(t *testing.T, c readmeCmd, line string) *readmeProc {
	t.Helper()
	n := len(e.procs) + 1
	p := &readmeProc{line: line, done: make(chan struct{}),
		stdout: filepath.Join(e.logs, fmt.Sprintf("%03d.stdout", n)), stderr: filepath.Join(e.logs, fmt.Sprintf("%03d.stderr", n))}
	o, err := os.Create(p.stdout)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close() // the child has its own copy
	eo, err := os.Create(p.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer eo.Close()
	cmd := exec.Command("bash", "-eo", "pipefail", "-c", line)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = e.root, e.env, o, eo
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("README.md:%d: %s: %v", c.Line, line, err)
	}
	p.pid = cmd.Process.Pid
	e.procs = append(e.procs, p)
	go func() {
		cmd.Wait()
		p.took = time.Since(p.started)
		p.code = cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.code = 128 + int(ws.Signal())
		}
		syscall.Kill(-p.pid, syscall.SIGKILL) // whatever it left behind in its group
		close(p.done)
	}()
	return p
}

// signal sends sig to every process of the command, as a terminal does.
func (p *readmeProc) signal(sig syscall.Signal) { syscall.Kill(-p.pid, sig) }

// wait waits up to limit for the command to end, else stops it and says so.
func (p *readmeProc) wait(limit time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(limit):
		p.stop(10 * time.Second)
		return false
	}
}

// stop stops the command with a Ctrl-C, and kills it if it has not ended
// within grace.
func (p *readmeProc) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	p.signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.signal(syscall.SIGKILL)
		<-p.done
	}
}

// stopAll stops every command still running: the test's clean-up, also
// after a failure.
func (e *readmeEnv) stopAll() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].stop(10 * time.Second)
	}
}

// output returns what the command wrote to "stdout" or "stderr".
func (p *readmeProc) output(name string) []byte {
	f := p.stdout
	if name == "stderr" {
		f = p.stderr
	}
	b, _ := os.ReadFile(f)
	return b
}

// tail is the end of the command's stderr, for a failure's message.
func (p *readmeProc) tail() string {
	lines := strings.Split(strings.TrimRight(string(p.output("stderr")), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "\nits stderr ends:\n" + strings.Join(lines, "\n")
}
