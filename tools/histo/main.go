// Command histo turns response-time logs into HdrHistogram statistics
// (lib/cmd/histo).
package main

import (
	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/cmd/histo"
)

func main() { cli.Main(histo.Run) }
