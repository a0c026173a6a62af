package plotrt

import (
	"context"
	"io"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/record"
)

func live(ctx context.Context, f *flags, stderr io.Writer) error {
	return cli.Usagef("--live: not yet")
}

func writeReport(ctx context.Context, f *flags, p *record.Problems, stdout, stderr io.Writer) error {
	return cli.Usagef("report: not yet")
}
