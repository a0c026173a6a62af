package ramp

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// LegacyLog writes the original executor's log lines.
type LegacyLog struct{ W io.Writer }

func (g LegacyLog) line(format string, a ...any) {
	if g.W != nil {
		fmt.Fprintf(g.W, "%s %s\n", time.Now().Format("2006-01-02 15:04:05,000"), fmt.Sprintf(format, a...))
	}
}

// Step writes "Clients: N: avg: Xs, max: Ys" and "--> True|False".
func (g LegacyLog) Step(s record.Step) {
	sec := func(ms float64) string { return strconv.FormatFloat(math.Round(ms*1000)/1e6, 'f', -1, 64) }
	g.line("Clients: %d: avg: %ss, max: %ss", s.Users, sec(s.MeanMS), sec(s.MaxMS))
	g.line("--> %s", map[bool]string{true: "True", false: "False"}[s.Pass])
}

// Finish writes the closing line.
func (g LegacyLog) Finish(r record.Result) {
	if r.FirstFailUsers > 0 {
		g.line("Finished performance test. System failed at %d", r.FirstFailUsers)
	} else {
		g.line("Finished performance test. System did not fail up to %d", r.SaturationUsers)
	}
}
