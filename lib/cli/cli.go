// Package cli holds what every perflab command shares: exit codes, the
// two-signal stop, and "-" meaning stdin or stdout.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// Exit codes, the same for every tool (README, "Exit codes").
const (
	ExitOK          = 0
	ExitRequirement = 1 // a requirement was violated
	ExitUsage       = 2 // usage or input error
	ExitNoSat       = 3 // rampctl: no saturation point up to --max-users
)

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

// Main prints err as one line "tool: error" on stderr and exits with its code.
// Call it last in main, after every writer has been flushed.
func Main(tool string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
	}
	os.Exit(Code(err))
}

// StopContext is cancelled by the first SIGINT or SIGTERM; a second one calls
// onSecond (which should flush what it can) and exits 130 at once. A broken
// stdout pipe becomes a write error instead of killing the process.
func StopContext(parent context.Context, onSecond func()) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
		cancel()
		<-ch
		if onSecond != nil {
			onSecond()
		}
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

// OpenIn opens path for reading; "-" or "" is stdin.
func OpenIn(path string) (io.ReadCloser, error) {
	if path == "" || path == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	return os.Open(path)
}

// CreateOut creates path for writing; "-" or "" is stdout.
func CreateOut(path string) (io.WriteCloser, error) {
	if path == "" || path == "-" {
		return nopWriteCloser{os.Stdout}, nil
	}
	return os.Create(path)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// DisplayName is how a path appears in messages: "-" is "stdin".
func DisplayName(path string) string {
	if path == "" || path == "-" {
		return "stdin"
	}
	return path
}

// Version is set at build time (Makefile: git describe).
var Version = "dev"

// Parse parses the command line into grammar like kong.Parse, but a usage
// error exits 2 (kong's own default is 80), as every perflab tool documents.
func Parse(grammar any, options ...kong.Option) *kong.Context {
	p, err := kong.New(grammar, append([]kong.Option{kong.UsageOnError()}, options...)...)
	if err != nil {
		panic(err) // a bad grammar is a programming error
	}
	ctx, err := p.Parse(os.Args[1:])
	if err != nil {
		var pe *kong.ParseError
		if errors.As(err, &pe) {
			pe.Context.PrintUsage(true)
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Model.Name, err)
		os.Exit(ExitUsage)
	}
	return ctx
}
