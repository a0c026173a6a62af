// Package plan is the plan command: it writes a load plan as JSON lines on
// stdout, for fire. (It imports the plan library, lib/plan, under the same
// name.)
//
// A plan is written whole or not at all: every flag is checked before the
// first record (one line on stderr naming the flag, exit 2, nothing on
// stdout), and a plan read from a file (trace, profile) is held in a
// plan.Spool until the whole file has been read, so an error anywhere in it
// leaves stdout empty. Every record is whole; plan draws nothing itself, so
// the same flags, files and --seed give the same bytes.
package plan

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/plan"
)

type globals struct {
	Version kong.VersionFlag `help:"Print the version and exit."`
	Seed    int64            `default:"42" help:"Seed of the run, written into the plan's header: fire draws every random choice from it (plan itself draws nothing)."`

	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	spool  *plan.Spool // the plan, when it is written only once complete
}

// direct returns an encoder straight to stdout: for plans whose every number
// was checked up front, so nothing can fail half-way but the writing.
func (g *globals) direct() *plan.Encoder { return plan.NewEncoder(g.stdout) }

// spooled returns an encoder into a spool, written to stdout only after the
// generator has succeeded: for plans read from a file.
func (g *globals) spooled() *plan.Encoder {
	g.spool = &plan.Spool{}
	return plan.NewEncoder(g.spool)
}

type cmd struct {
	globals
	Mascots    mascotsCmd    `cmd:"" help:"The study's alarm devices: POST /fake_call, repeat until 2xx, think 1 s."`
	Multi      multiCmd      `cmd:"" help:"Alarm devices that also POST /get_status twice per alarm."`
	Constant   constantCmd   `cmd:"" help:"Constant load: --users N (closed) or --rate R (open)."`
	Steps      stepsCmd      `cmd:"" help:"Linear step plan of alarm devices: --from N --step N --every D [--until N]."`
	Trace      traceCmd      `cmd:"" help:"Replay a production load file as an open-model arrival rate."`
	Production productionCmd `cmd:"" help:"The production ARS's workload: 70 users POSTing request names once a second and alarm devices every 20–90 s."`
	Profile    profileCmd    `cmd:"" help:"Replay a time_s,rps load profile (TeaStore's) as an open-model rate."`
	Teastore   teastoreCmd   `cmd:"" help:"TeaStore browsing sessions (home, login, browse, buy, profile, logout) for fire against teasim or a real TeaStore."`
}

// flagError is a flag's value that plan refuses; Run adds where to get help.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }

// badFlag wraps err (which names the flag) as a usage error; nil stays nil.
func badFlag(err error) error {
	if err == nil {
		return nil
	}
	return &flagError{err}
}

// Run is the plan command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c cmd
	k, code, ok := cli.Parse("plan", &c, args, stdout, stderr,
		kong.Vars{"alarm": "POST /" + plan.AlarmName, "alarmName": plan.AlarmName, "namesFile": namesFile},
		kong.Description("Write a load plan as JSON lines on stdout (docs/formats.md), for fire. "+
			"A plan is written whole or not at all.\n\nExit codes: 0 ok (also when the reader of stdout goes away), 2 usage or input error."))
	if !ok {
		return code
	}
	c.ctx, c.stdin = ctx, stdin
	return c.execute(k.Selected().Path(), func(g *globals) error { return k.Run(g) }, stdout, stderr)
}

// execute runs the generator gen of the subcommand sub and writes its plan
// (spooled or not) to stdout, or its error to stderr; it returns the exit code.
func (g *globals) execute(sub string, gen func(*globals) error, stdout, stderr io.Writer) int {
	out, _ := cli.CreateOut("-", stdout) // "-" cannot fail
	g.stdout, g.stderr = out, stderr
	err := gen(g)
	if err == nil && g.spool != nil {
		_, err = g.spool.WriteTo(out)
	}
	if g.spool != nil {
		g.spool.Close()
	}
	var fe *flagError
	switch {
	case errors.As(err, &fe):
		fmt.Fprintf(stderr, "plan: %v (see plan %s --help)\n", fe, sub)
		return cli.ExitUsage
	case out.Err() != nil && cli.IsBrokenPipe(out.Err()):
		return cli.ExitOK // the reader went away: a normal end of a stream
	case out.Err() != nil:
		return cli.Fail(stderr, "plan", out.Err())
	case errors.Is(err, context.Canceled):
		return cli.Fail(stderr, "plan", errors.New("stopped before the plan was complete"))
	}
	return cli.Fail(stderr, "plan", err)
}
