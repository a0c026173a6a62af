package plotrt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/report"
)

// writeReport writes one run directory's report as a self-contained page.
func writeReport(ctx context.Context, f *flags, p *record.Problems, stdout, stderr io.Writer) error {
	if len(f.Files) != 1 || f.Files[0] == "-" {
		return cli.Usagef("a report takes one run directory (plotrt -o report.html runs/DATE-NAME)")
	}
	dir := f.Files[0]
	if st, err := os.Stat(dir); err != nil {
		return cli.Usagef("%s: %v", dir, unwrapPath(err))
	} else if !st.IsDir() {
		return cli.Usagef("%s: expected a run directory for a report (pipelines write runs/DATE-NAME/)", dir)
	}
	base := filepath.Dir(f.Output)
	if f.Output == "-" {
		base = dir
	}
	run, err := report.Load(ctx, dir, base, p)
	if err != nil {
		return cli.Usage(err)
	}
	var b bytes.Buffer
	if err := run.Write(&b); err != nil {
		return err
	}
	if err := writeOut(f.Output, b.Bytes(), stdout); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "plotrt: wrote %s (report of %s)\n", outName(f.Output), dir)
	return nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
