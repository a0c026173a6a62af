package rampctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perflab/perflab/lib/record"
)

// workersFile writes a --workers file. Its lines run fire here: ":" and
// "sh -c" (a whole command, as "ssh -p 2222 host" would be, with the fire
// command as its last argument), with GNU parallel's "N/" prefix and a
// comment, as a --sshloginfile may have them.
func workersFile(t *testing.T, dir string, lines ...string) string {
	p := filepath.Join(dir, "workers")
	if err := os.WriteFile(p, []byte("# test workers\n\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func steps(t *testing.T, out string) ([]record.Step, record.Result) {
	t.Helper()
	var sts []record.Step
	var res record.Result
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var st record.Step
		if err := json.Unmarshal([]byte(l), &st); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if st.Type == record.TypeResult {
			json.Unmarshal([]byte(l), &res)
			continue
		}
		sts = append(sts, st)
	}
	return sts, res
}

// Three workers, each a segment of every level, give exactly the levels one
// fire gives: the same counts and the same percentiles of one merged
// histogram (users' latencies differ, j × 7 µs, so an average of the
// workers' percentiles would not be it), the same search and answer.
func TestWorkersMergeExactly(t *testing.T) {
	dir := t.TempDir()
	search := []string{"--fire", "$FAKEFIRE", "--target", "service=1ms,spread=7us", "--think", "100ms", "--max-p99", "200ms",
		"--early-pass", "0", "--min-samples", "1000000", "--step-duration", "2s", "--warmup", "1s"}
	one, stderr, code := runArgs(t, search...)
	if code != 0 {
		t.Fatalf("one fire: exit %d\n%s", code, stderr)
	}
	ws := workersFile(t, dir, ":", "sh -c", "1/sh -c")
	three, stderr, code := runArgs(t, append(search, "--workers", ws, "--start-lead", "100ms")...)
	if code != 0 || !strings.Contains(stderr, "on 3 workers, run rampctl-") {
		t.Fatalf("three workers: exit %d\n%s", code, stderr)
	}
	a, resA := steps(t, one)
	b, resB := steps(t, three)
	if len(a) != len(b) || len(a) < 4 || resA.SaturationUsers != resB.SaturationUsers || resA.FirstFailUsers != resB.FirstFailUsers || !resA.Found {
		t.Fatalf("one fire:\n%s\nthree workers:\n%s", one, three)
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Users != y.Users || x.Count != y.Count || x.MeanMS != y.MeanMS || x.P50MS != y.P50MS || x.P99MS != y.P99MS ||
			x.MaxMS != y.MaxMS || x.Pass != y.Pass || x.Headroom != y.Headroom || x.Hist != y.Hist || x.Count != int64(10*x.Users) {
			t.Fatalf("level %d: one fire %+v\nthree workers %+v", i+1, x, y)
		}
	}
}

// A worker that dies makes its level invalid: exit 2 naming it, never a
// pass or a fail; the levels before are kept and --resume continues.
func TestWorkerThatDiesInvalidatesTheLevel(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "steps.jsonl")
	search := []string{"--fire", "$FAKEFIRE", "--think", "100ms", "--max-p99", "200ms", "--step-duration", "2s", "--warmup", "1s",
		"--workers", workersFile(t, dir, "sh -c", "sh -c"), "--start-lead", "100ms"}
	_, stderr, code := runArgs(t, append(search, "--target", "service=1ms,die=640,dieseg=2", "-o", out)...)
	want := "rampctl: worker 2 of 2 (sh -c) exited: exit status 1: the level is invalid (its load was incomplete) and not recorded " +
		"(after 3 levels: continue with --resume " + out + ")\n"
	if code != 2 || !strings.HasSuffix(stderr, want) || !strings.Contains(stderr, "rampctl: worker 2 of 2 (sh -c): fake fire: dying at 640 users\n") {
		t.Fatalf("exit %d, stderr:\n%s\nwant it to end:\n%s", code, stderr, want)
	}
	b, _ := os.ReadFile(out)
	sts, _ := steps(t, string(b))
	if len(sts) != 3 || sts[2].Users != 160 || strings.Contains(string(b), `"users":640`) {
		t.Fatalf("records kept:\n%s", b)
	}
	again, stderr, code := runArgs(t, append(search, "--target", "service=1ms", "--resume", out)...)
	if _, res := steps(t, again); code != 0 || strings.Count(again, `"resumed":true`) != 3 || res.SaturationUsers != 300 {
		t.Fatalf("resumed: exit %d\n%s\n%s", code, again, stderr)
	}
}
