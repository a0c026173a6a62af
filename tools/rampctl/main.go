// Command rampctl finds a saturation point (lib/cmd/rampctl).
package main

import (
	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/cmd/rampctl"
)

func main() { cli.Main(rampctl.Run) }
