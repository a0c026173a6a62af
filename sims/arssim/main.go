// Command arssim is a simulated system under test (lib/cmd/arssim; its model is in
// this directory).
package main

import (
	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/cmd/arssim"
)

func main() { cli.Main(arssim.Run) }
