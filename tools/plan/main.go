// Command plan writes load plans (lib/cmd/plan).
package main

import (
	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/cmd/plan"
)

func main() { cli.Main(plan.Run) }
