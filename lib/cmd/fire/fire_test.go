package fire

import (
	"testing"

	"github.com/perflab/perflab/lib/cli/clitest"
)

// TestCLI runs fire in process over the cases in testdata/cases.txt.
func TestCLI(t *testing.T) { clitest.Run(t, "testdata/cases.txt", Run) }
