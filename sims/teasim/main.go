// Command teasim is a simulated system under test (lib/cmd/teasim; its model is in
// this directory).
package main

import (
	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/cmd/teasim"
)

func main() { cli.Main(teasim.Run) }
