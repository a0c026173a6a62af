package ramp

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"

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
