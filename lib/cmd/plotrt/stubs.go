package plotrt

import (
	"context"
	"io"

	"github.com/perflab/perflab/lib/cli"
)

func live(ctx context.Context, f *flags, stderr io.Writer) error {
	return cli.Usagef("--live: not yet")
}
