package ramp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// Worker is one machine of a distributed search (rampctl --workers): a line
// of GNU parallel's --sshloginfile format.
type Worker struct {
	// Line is the line as written (without an "N/" prefix): ":" for this
	// machine, a host ("10.0.0.5", "user@host") reached with ssh, or a whole
	// command that runs its last argument there ("ssh -p 2222 -i key
	// 10.0.0.5"; "sh -c" runs it here).
	Line string
}

// Local reports whether the worker is this machine (":").
func (w Worker) Local() bool { return w.Line == ":" }

// Command returns the command that runs the shell command remote on the
// worker, as GNU parallel would: a line with blanks is a command the shell
// reads (so it may quote) and remote becomes its last argument; a bare host
// is reached with ssh; ":" runs remote here.
func (w Worker) Command(ctx context.Context, remote string) *exec.Cmd {
	switch {
	case w.Local():
		return exec.CommandContext(ctx, "sh", "-c", remote)
	case strings.ContainsAny(w.Line, " \t"):
		return exec.CommandContext(ctx, "sh", "-c", w.Line+` "$1"`, "sh", remote)
	default:
		return exec.CommandContext(ctx, "ssh", w.Line, remote)
	}
}

// cpus is the "N/" prefix of a --sshloginfile line (CPUs to use there):
// one fire runs per worker whatever it says.
var cpus = regexp.MustCompile(`^\d+/`)

// ReadWorkers reads a workers file in GNU parallel's --sshloginfile format:
// a worker a line, blank lines and lines starting with # skipped. Errors
// name the file and line.
func ReadWorkers(r io.Reader, name string) ([]Worker, error) {
	var ws []Worker
	rd := record.NewReader(context.Background(), r, name, &record.Problems{Strict: true})
	for rd.Next() {
		line := strings.TrimSpace(string(rd.Bytes()))
		if strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimSpace(cpus.ReplaceAllString(line, ""))
		if line == "" || strings.HasPrefix(line, "#") || strings.ContainsAny(line, "\x00\r") {
			return nil, fmt.Errorf("%s:%d: expected a host, a command such as 'ssh -p 2222 host', or ':'", name, rd.Line())
		}
		ws = append(ws, Worker{Line: line})
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("%s: no worker (a host, a command such as 'ssh -p 2222 host', or ':' a line)", name)
	}
	if len(ws) > 1000 {
		return nil, fmt.Errorf("%s: %d workers, at most 1000", name, len(ws))
	}
	return ws, nil
}

// startWorkers starts fire --segment i/N on every worker (shipped there
// first with cfg.Ship), each with the same plan clock start (--start-at)
// and its feedback on its stdout.
func (d *FireDriver) startWorkers(cfg FireConfig) error {
	n := len(cfg.Workers)
	var shipped []string
	if cfg.Ship != "" {
		var err error
		if shipped, err = shipAll(cfg.Workers, cfg.Ship, cfg.Run); err != nil {
			return err
		}
	}
	d.startAt = time.Now().Add(cfg.Lead).UTC().Truncate(time.Millisecond)
	for i, w := range cfg.Workers {
		args := fireArgs(cfg, "--segment", record.SegmentID(i+1, n), "--run", cfg.Run,
			"--start-at", d.startAt.Format(time.RFC3339Nano), "--feedback", "-")
		for j := range args {
			args[j] = shellQuote(args[j])
		}
		var remote string
		switch {
		case shipped == nil:
			remote = shellQuote(cfg.Path) + " " + strings.Join(args, " ")
		case w.Local():
			remote = shellQuote(cfg.Ship) + " " + strings.Join(args, " ")
		default:
			remote = runShipped(shipped[i], strings.Join(args, " "))
		}
		name := fmt.Sprintf("worker %d of %d (%s)", i+1, n, w.Line)
		cmd := w.Command(context.Background(), remote)
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := d.start(name, cmd, out, &prefixWriter{w: cfg.Stderr, prefix: "rampctl: " + name + ": "}); err != nil {
			return fmt.Errorf("starting %s: %v", name, err)
		}
		d.procs[i].remote = shipped == nil
	}
	return nil
}

// exitWhy says what a worker's exit status means: a remote command's
// status comes back through ssh, so a signal shows as the shell's 128+N.
func exitWhy(err error, remote bool) error {
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() < 0 {
		return err
	}
	switch c := ee.ExitCode(); {
	case c == 127 && remote:
		return fmt.Errorf("%v: fire is not there (give --fire its path on the workers, or leave --fire out to ship this machine's fire)", err)
	case c == 255:
		return fmt.Errorf("%v (ssh's: the connection failed or was lost)", err)
	case c > 128 && c < 128+65:
		return fmt.Errorf("%v (killed by signal %d?)", err, c-128)
	}
	return err
}

// prefixWriter writes each line of a worker's stderr with a prefix naming it.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	part   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := bytes.IndexByte(p.part, '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.part[:i]); err != nil {
			return 0, err
		}
		p.part = p.part[i+1:]
	}
	return len(b), nil
}

// flush writes a last line that had no newline.
func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.part) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.part)
		p.part = nil
	}
}
