package plan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/perflab/perflab/lib/cli/clitest"
	"github.com/perflab/perflab/lib/plan"
)

// TestCLI runs plan in process over the cases in testdata/cases.txt.
func TestCLI(t *testing.T) { clitest.Run(t, "testdata/cases.txt", Run) }

func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// traceText is n seconds of a production load file from midnight.
func traceText(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "2020-12-%02d %02d:%02d:%02d\tRPS: %d/s\n", 28+i/86400, i/3600%24, i/60%60, i%60, i%17)
	}
	return b.String()
}

// Every generator, with every input it reads, for the seed tests.
func everyGenerator(t *testing.T) map[string][]string {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	names := write("All_Request_Names.log", "ID_A\nID_B\n"+plan.AlarmName+"\n")
	tr := write("All_requests_per_time_unit_2020-12-28.log", traceText(100)+"Total count: 800\n")
	write("Requests_without_alarms_2020-12-28.log", "Total count: 780\n")
	csv := write("p.csv", "time_s,rps\n0,1\n5,3\n")
	return map[string][]string{
		"mascots":    {"mascots", "--devices", "3", "--duration", "1s"},
		"multi":      {"multi"},
		"constant":   {"constant", "--rate", "5"},
		"steps":      {"steps", "--until", "100"},
		"trace":      {"trace", tr, "--speedup", "10"},
		"production": {"production", "--names", names},
		"profile":    {"profile", csv},
		"teastore":   {"teastore", "--users", "4"},
	}
}

// Issue 10: the header's seed is the run's. plan draws nothing itself (the
// names of a trace or of production are drawn by fire, from the header's
// seed), so one seed gives the same bytes, and another seed changes the
// header's seed and nothing else.
func TestSameSeedSameBytesAnotherSeedOnlyItsHeader(t *testing.T) {
	gens := everyGenerator(t)
	ct := reflect.TypeOf(cmd{})
	for i := 0; i < ct.NumField(); i++ {
		if f := ct.Field(i); f.Tag.Get("cmd") != "" && gens[strings.ToLower(f.Name)] == nil {
			t.Errorf("generator %s is not in this test", f.Name)
		}
	}
	for name, args := range gens {
		a, stderr, code := run(t, "", append([]string{"--seed", "1"}, args...)...)
		b, _, _ := run(t, "", append([]string{"--seed", "1"}, args...)...)
		c, _, _ := run(t, "", append([]string{"--seed", "2"}, args...)...)
		if code != 0 || a != b {
			t.Fatalf("%s: exit %d (%s), same seed, same bytes: %v", name, code, stderr, a == b)
		}
		headA, restA, _ := strings.Cut(a, "\n")
		headC, restC, _ := strings.Cut(c, "\n")
		want := fmt.Sprintf(`{"type":"plan","version":1,"generator":%q,"seed":`, name)
		if headA != want+"1}" || headC != want+"2}" || restA != restC || restA == "" {
			t.Errorf("%s: headers %s and %s; the rest equal: %v", name, headA, headC, restA == restC)
		}
	}
}

// Issue 12: a bad line at the end of a long trace (its plan long past the
// Encoder's buffer, and past the Spool's memory) leaves stdout empty; the
// same trace without it is written whole.
func TestTraceBadLineAfterManyWritesNothing(t *testing.T) {
	n := plan.SpoolMemory/60 + 1000 // more plan than the spool holds in memory
	good := traceText(n)
	out, stderr, code := run(t, good+"2020-12-31 23:59:59\tRPS: many/s\n", "trace", "-")
	want := fmt.Sprintf("plan: stdin:%d: expected a request count in \"RPS: N/s\", got \"RPS: many/s\"\n", n+1)
	if code != 2 || out != "" || stderr != want {
		t.Fatalf("exit %d, %d bytes on stdout, stderr %q", code, len(out), stderr)
	}
	out, _, code = run(t, good, "trace", "-")
	if code != 0 || len(out) < plan.SpoolMemory || strings.Count(out, "\n") != n+3 {
		t.Fatalf("exit %d, %d bytes, %d lines, want %d", code, len(out), strings.Count(out, "\n"), n+3)
	}
	if !strings.HasSuffix(out, fmt.Sprintf("{\"type\":\"end\",\"at_ms\":%d}\n", n*1000)) {
		t.Fatalf("ends %q", out[len(out)-60:])
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

// A reader that goes away ends plan normally; any other failed write is an
// error naming stdout.
func TestWriteErrors(t *testing.T) {
	for _, args := range [][]string{{"mascots"}, {"profile", "-"}} {
		var errb bytes.Buffer
		code := Run(context.Background(), args, strings.NewReader("0,1\n"), failingWriter{syscall.EPIPE}, &errb)
		if code != 0 || errb.Len() != 0 {
			t.Errorf("%v, broken pipe: exit %d, %q", args, code, errb.String())
		}
		errb.Reset()
		code = Run(context.Background(), args, strings.NewReader("0,1\n"), failingWriter{syscall.ENOSPC}, &errb)
		if code != 2 || errb.String() != "plan: writing stdout: no space left on device\n" {
			t.Errorf("%v, disk full: exit %d, %q", args, code, errb.String())
		}
	}
}

// A stop (the first Ctrl-C) ends a plan that streams without limit.
func TestStopEndsAStreamingPlan(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errb bytes.Buffer
	code := Run(ctx, []string{"steps", "--step", "1"}, nil, io.Discard, &errb)
	if code != 2 || errb.String() != "plan: stopped before the plan was complete\n" {
		t.Fatalf("exit %d, %q", code, errb.String())
	}
}

// Every plan example in README.md runs as written, from the repository's
// root, and writes a plan fire accepts.
func TestREADMEExamples(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", "..", ".."))
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := strings.Cut(string(readme), "### plan — load plans")
	_, block, _ := strings.Cut(sec, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	if _, err := os.Stat(filepath.Join(root, "..", "shared", "data")); err != nil {
		t.Skipf("the examples read ../shared/data: %v", err)
	}
	t.Chdir(root)
	n := 0
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(line, "#")
		args, err := clitest.Split(strings.TrimSpace(line))
		if err != nil || len(args) == 0 || args[0] != "plan" {
			continue
		}
		n++
		out, stderr, code := run(t, "", args[1:]...)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", line, code, stderr)
			continue
		}
		d := plan.NewDecoder(strings.NewReader(out), line)
		recs := 0
		for ; err == nil; recs++ {
			_, err = d.Next()
		}
		if err != io.EOF || recs < 4 {
			t.Errorf("%s: %d records, %v", line, recs-1, err)
		}
	}
	if n < 8 {
		t.Fatalf("only %d plan examples found in README.md", n)
	}
}
