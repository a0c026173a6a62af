// Package cli holds what every perflab command shares: the Run signature,
// exit codes, one-line usage errors, the two-signal stop, and "-" meaning
// stdin or stdout.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Exit codes, the same for every tool (README, "Exit codes").
const (
	ExitOK          = 0
	ExitRequirement = 1 // a requirement was violated
	ExitUsage       = 2 // usage, input or other error
	ExitNoSat       = 3 // rampctl: no saturation point up to --max-users
	ExitNoSuccess   = 4 // fire: not one send succeeded (a wrong target, a dead server)
	ExitIncomplete  = 5 // histo: a segmented run is incomplete (a segment missing, doubled, failed or late)
	ExitSignal      = 130
)

// RunFunc is a tool: it reads args and stdin, writes data to stdout and
// diagnostics to stderr, stops when ctx is cancelled, and returns the exit
// code. Tests call it in process; main calls it through Main.
type RunFunc func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// ExitError carries an exit code with an error; kong honours ExitCode().
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode makes kong exit with Code.
func (e *ExitError) ExitCode() int { return e.Code }

// Usage wraps err as a usage or input error (exit 2).
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{ExitUsage, err}
}

// Usagef formats a usage or input error (exit 2).
func Usagef(format string, a ...any) error { return Usage(fmt.Errorf(format, a...)) }

// Code returns the exit code for err: 0 for nil, the ExitError's code, else
// 2: only a requirement check says 1, and it says so explicitly.
func Code(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitUsage
}

// Fail prints err as one line "tool: error" on stderr (nothing for nil) and
// returns its exit code: the last line of every Run.
func Fail(stderr io.Writer, tool string, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", tool, err)
	}
	return Code(err)
}

// Main runs a tool as a process: the real streams, a context cancelled by
// the first SIGINT, SIGTERM or SIGHUP (a second one exits 130 at once), and
// the exit code. Call it as the whole body of main.
func Main(run RunFunc) {
	ctx, stop := StopContext(context.Background())
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// StopContext is cancelled by the first SIGINT, SIGTERM or SIGHUP; a second
// one exits 130 at once. A broken stdout pipe becomes a write error (EPIPE)
// instead of killing the process, so a tool can stop normally on it.
func StopContext(parent context.Context) (context.Context, context.CancelFunc) {
	st := &stopper{}
	ctx, cancel := context.WithCancel(context.WithValue(parent, stopperKey{}, st))
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
		cancel()
		first := time.Now()
		for range ch {
			if time.Since(first) > sameStop {
				break
			}
		}
		st.run()
		os.Exit(ExitSignal)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

// sameStop: a signal this soon after the first is the same stop delivered
// twice, not a second one: timeout(1) signals its command and then the
// command's process group, within microseconds.
const sameStop = 100 * time.Millisecond

// OnSecondSignal registers fn to run (say, to flush a log) before a second
// signal ends the process at once. Outside Main (in tests) it does nothing.
func OnSecondSignal(ctx context.Context, fn func()) {
	if st, ok := ctx.Value(stopperKey{}).(*stopper); ok {
		st.mu.Lock()
		st.fns = append(st.fns, fn)
		st.mu.Unlock()
	}
}

type stopperKey struct{}

type stopper struct {
	mu  sync.Mutex
	fns []func()
}

func (s *stopper) run() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, fn := range s.fns {
		fn()
	}
}

// IsBrokenPipe reports whether err is a write to a closed pipe or socket:
// the reader went away (histo … | head), a normal way for a stream to end.
func IsBrokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// Version is set at build time (Makefile: git describe).
var Version = "dev"
