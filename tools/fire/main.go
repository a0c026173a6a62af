// Command fire executes a load plan (lib/cmd/fire).
package main

import (
	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/cmd/fire"
)

func main() { cli.Main(fire.Run) }
