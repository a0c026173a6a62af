package histo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perflab/perflab/lib/cli/clitest"
)

// TestCLI runs histo in process over the cases in testdata/cases.txt.
func TestCLI(t *testing.T) { clitest.Run(t, "testdata/cases.txt", Run) }

// --hgrm is in model time with --time-scale, as the summary is: its 100th
// maximum is the summary's max (at the histogram's precision, 2020 ms
// in the slot up to 2020.351).
func TestHgrmInModelTime(t *testing.T) {
	log := "[2020-06-30 15:20:02,168] h/INFO/x: Response time 2020 ms\n[2020-06-30 15:20:03,168] h/INFO/x: Response time 1000 ms\n"
	for _, c := range []struct {
		scale string
		max   string // the .hgrm's Max (ms)
	}{{"1", "2020.351"}, {"0.1", "20203.510"}, {"4", "505.088"}} {
		hg := filepath.Join(t.TempDir(), "out.hgrm")
		var out, errb bytes.Buffer
		code := Run(context.Background(), []string{"-q", "--interval", "0", "--time-scale", c.scale, "--hgrm", hg}, strings.NewReader(log), &out, &errb)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		b, err := os.ReadFile(hg)
		if err != nil {
			t.Fatal(err)
		}
		last := regexp.MustCompile(`#\[Max += +([0-9.]+),`).FindSubmatch(b)
		if last == nil || string(last[1]) != c.max {
			t.Errorf("scale %s: max %q, want %s\n%s", c.scale, last, c.max, b)
		}
	}
}
