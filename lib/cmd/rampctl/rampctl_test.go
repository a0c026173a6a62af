package rampctl

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/cli/clitest"
	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
)

// fakeFirePath is this test binary, which is a fake fire in its children.
var fakeFirePath string

func TestMain(m *testing.M) {
	if os.Getenv(fakeFireEnv) == "1" {
		os.Exit(fakeFire(os.Args[1:]))
	}
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	fakeFirePath = exe
	os.Setenv(fakeFireEnv, "1")
	os.Exit(m.Run())
}

// runFake is Run with $FAKEFIRE in the arguments replaced by the fake fire.
func runFake(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	for i := range args {
		args[i] = strings.ReplaceAll(args[i], "$FAKEFIRE", fakeFirePath)
	}
	return Run(ctx, args, stdin, stdout, stderr)
}

// TestCLI runs rampctl in process over the cases in testdata/cases.txt.
func TestCLI(t *testing.T) { clitest.Run(t, "testdata/cases.txt", runFake) }

// Step records against a time-scaled simulator: the _ms fields are model
// time, time_scale says so, and the histogram stays real microseconds.
func TestStepInModelTime(t *testing.T) {
	var out, errb bytes.Buffer
	// 1 user, 2 ms real per request at time scale 0.1: 20 ms model time
	code := runFake(context.Background(), []string{"--fire", "$FAKEFIRE", "--target", "service=2ms", "--think", "10ms",
		"--time-scale", "0.1", "--start", "1", "--max-users", "1", "--max-mean", "1s", "--step-duration", "1s", "--warmup", "0s"},
		nil, &out, &errb)
	if code != 3 {
		t.Fatalf("exit %d, want 3 (no level failed)\n%s", code, errb.String())
	}
	var st record.Step
	if err := json.Unmarshal([]byte(strings.SplitN(out.String(), "\n", 2)[0]), &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != record.TypeStep || st.MeanMS != 20 || st.P99MS != 20 || st.MaxMS != 20 || st.TimeScale != 0.1 || st.Count != 10 {
		t.Fatalf("step %+v, want mean = p99 = max = 20 ms model time, time_scale 0.1, 10 responses", st)
	}
	h, err := hist.Decode(st.Hist)
	if err != nil {
		t.Fatal(err)
	}
	if h.Count() != 10 || h.MaxUS() < 2000 || h.MaxUS() > 2002 {
		t.Fatalf("hist: %d values up to %d µs, want 10 at 2000 µs (real time)", h.Count(), h.MaxUS())
	}
}

// The fake fire is what the cases trust: its levels are the model's.
func TestFakeFireModel(t *testing.T) {
	f := &fakeRun{sp: fakeSpec{service: time.Millisecond}, think: map[string]time.Duration{"": 100 * time.Millisecond},
		users: map[string]int{"": 300}}
	if got := f.latency(); got != 200*time.Millisecond {
		t.Fatalf("300 users, 1 ms, 100 ms think: %v, want 200ms", got)
	}
	f.users[""] = 10
	if got := f.latency(); got != time.Millisecond {
		t.Fatalf("10 users: %v, want the service time", got)
	}
}
