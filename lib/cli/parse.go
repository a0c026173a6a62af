package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/kong"
)

// exited is how kong's --help and --version stop a parse: kong calls its
// exit function, and Parse turns that into a return instead of os.Exit.
type exited int

func (e exited) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// Parse parses args into grammar (a kong struct) for the tool name. When ok
// is false the tool must return code at once: after --help or --version
// (their text on stdout, 0), or after a usage error (one line on stderr
// naming the flag and how to get help, nothing on stdout, 2).
func Parse(name string, grammar any, args []string, stdout, stderr io.Writer, options ...kong.Option) (kctx *kong.Context, code int, ok bool) {
	opts := append([]kong.Option{kong.Name(name), kong.Vars{"version": Version},
		kong.Writers(stdout, stderr), kong.Exit(func(c int) { panic(exited(c)) })}, options...)
	p, err := kong.New(grammar, opts...)
	if err != nil {
		panic(err) // a bad grammar is a programming error
	}
	kctx, err = parse(p, args)
	var x exited
	if errors.As(err, &x) {
		return nil, int(x), false
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s (see %s --help)\n", name, oneLine(err), helpPath(name, err))
		return nil, ExitUsage, false
	}
	return kctx, 0, true
}

func parse(p *kong.Kong, args []string) (kctx *kong.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			x, isExit := r.(exited)
			if !isExit {
				panic(r)
			}
			err = x
		}
	}()
	return p.Parse(args)
}

// helpPath names the command whose --help explains the error ("plan
// constant" for a subcommand's flag).
func helpPath(name string, err error) string {
	var pe *kong.ParseError
	if errors.As(err, &pe) && pe.Context != nil {
		if cmd := pe.Context.Selected(); cmd != nil {
			return name + " " + cmd.Path()
		}
	}
	return name
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
