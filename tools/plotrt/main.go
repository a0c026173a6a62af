// Command plotrt draws perflab's figures (lib/cmd/plotrt).
package main

import (
	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/cmd/plotrt"
)

func main() { cli.Main(plotrt.Run) }
