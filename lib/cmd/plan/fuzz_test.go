package plan

import (
	"bytes"
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/plan"
)

// FuzzFlags gives every generator numbers from anywhere: plan either writes
// a plan fire accepts (the Decoder's checks, which keep every time within a
// time.Duration), or refuses with one line on stderr and nothing on stdout.
// It calls the subcommands as kong would after parsing (parsing the numbers
// is kong's, and costs milliseconds a run).
func FuzzFlags(f *testing.F) {
	f.Add(uint8(0), int64(5), 1.0, int64(time.Second), int64(time.Minute))
	f.Add(uint8(1), int64(1e12), 1e-11, int64(-1), int64(math.MaxInt64))
	f.Add(uint8(2), int64(3), math.NaN(), int64(0), int64(0))
	f.Add(uint8(3), int64(10), 0.5, int64(time.Hour), int64(1))
	f.Add(uint8(4), int64(-1), math.Inf(1), int64(time.Millisecond), int64(time.Hour))
	f.Add(uint8(7), int64(1), 1e-300, int64(0), int64(0))
	f.Fuzz(func(t *testing.T, which uint8, n int64, x float64, d1, d2 int64) {
		sub, gen := fuzzCommand(which, int(n), x, time.Duration(d1), time.Duration(d2))
		g := &globals{Seed: n, ctx: context.Background(), stdin: strings.NewReader("2020-12-28 00:00:00\tRPS: 3/s\n2020-12-28 00:00:02\tRPS: 4/s\n")}
		var out, errb bytes.Buffer
		switch code := g.execute(sub, gen, &out, &errb); code {
		case 0:
			d := plan.NewDecoder(&out, "plan")
			for {
				_, err := d.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: fire would refuse the plan: %v", sub, err)
				}
			}
		case 2:
			e := errb.String()
			if out.Len() != 0 || !strings.HasPrefix(e, "plan: ") || strings.Count(e, "\n") != 1 {
				t.Fatalf("%s: %d bytes on stdout, stderr %q", sub, out.Len(), e)
			}
		default:
			t.Fatalf("%s: exit %d: %s", sub, code, errb.String())
		}
	})
}

// fuzzCommand is one subcommand with the given numbers in its flags (the
// others at their defaults).
func fuzzCommand(which uint8, n int, x float64, d1, d2 time.Duration) (string, func(*globals) error) {
	q := request{Method: "GET", Path: "/", Think: d1}
	switch which % 8 {
	case 0:
		return "constant", (&constantCmd{Users: n, Spawn: x, Duration: d2, request: q}).Run
	case 1:
		return "constant", (&constantCmd{Rate: x, Duration: d2, Poisson: n%2 == 0, request: q}).Run
	case 2:
		return "mascots", (&mascotsCmd{Devices: n, Spawn: x, Think: d1, Duration: d2}).Run
	case 3:
		return "steps", (&stepsCmd{From: n, Step: n, Until: n * 3, Every: d1, Think: d2}).Run
	case 4:
		return "production", (&productionCmd{Devices: n, Think: time.Second, DeviceMin: d1, DeviceMax: d2, Duration: d1}).Run
	case 5:
		return "teastore", (&teastoreCmd{Users: n, Buy: x, Think: d1, Spawn: x, Duration: d2}).Run
	case 6:
		return "profile", (&profileCmd{File: "-", Workload: "teastore", Buy: x, request: q}).Run
	}
	return "trace", (&traceCmd{File: "-", Speedup: x, Alarms: -1}).Run
}
