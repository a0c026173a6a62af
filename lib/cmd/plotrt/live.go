package plotrt

import (
	"context"
	"fmt"
	"io"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/live"
	"github.com/perflab/perflab/lib/record"
)

// serveLive serves the live view of the input files until ctx ends (Ctrl-C).
func serveLive(ctx context.Context, f *flags, stderr io.Writer) error {
	if err := liveCheck(f); err != nil {
		return err
	}
	s := live.New(f.Files, f.LiveToken, &record.Problems{Tool: "plotrt", W: stderr, Strict: false})
	return live.Serve(ctx, f.Live, s, func(addr string) {
		url := "http://" + addr + "/"
		if f.LiveToken != "" {
			url += "?token=…"
		}
		fmt.Fprintf(stderr, "plotrt: live view of %d files on %s (Ctrl-C stops)\n", len(f.Files), url)
	})
}

func liveCheck(f *flags) error {
	if err := live.CheckAddr(f.Live, f.LiveToken); err != nil {
		return cli.Usage(err)
	}
	for _, n := range f.Files {
		if n == "-" {
			return cli.Usagef("--live follows files: stdin cannot be followed (give file names)")
		}
	}
	if f.Strict {
		return cli.Usagef("--strict: a live view warns of malformed lines, it does not stop on them")
	}
	return nil
}
