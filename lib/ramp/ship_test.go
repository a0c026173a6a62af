package ramp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// testFire writes a stand-in fire: it answers --version with exit code
// version and otherwise prints its arguments.
func testFire(t *testing.T, version int) (path string, body []byte) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "fire")
	body = []byte("#!/bin/sh\n[ \"$1\" = --version ] && exit " + strconv.Itoa(version) + "\necho \"ran $*\"\n")
	if err := os.WriteFile(path, body, 0o755); err != nil {
		t.Fatal(err)
	}
	return path, body
}

// fire goes over the worker's own command into a directory of the run
// under its login directory (here "sh -c" logs in to the test's directory),
// runs from there, and is removed when it ends; ":" runs this machine's.
func TestShipRunsAndRemovesFire(t *testing.T) {
	t.Chdir(t.TempDir())
	fire, body := testFire(t, 0)
	ws := []Worker{{Line: ":"}, {Line: "sh -c"}, {Line: "sh -c"}}
	dirs, err := shipAll(ws, fire, "run-1")
	if err != nil || len(dirs) != 3 || dirs[0] != "" || dirs[1] != ".perflab-rampctl/run-1-2" || dirs[2] != ".perflab-rampctl/run-1-3" {
		t.Fatalf("shipped to %q: %v", dirs, err)
	}
	got, err := os.ReadFile(filepath.Join(dirs[1], "fire"))
	if fi, _ := os.Stat(filepath.Join(dirs[1], "fire")); err != nil || !bytes.Equal(got, body) || fi.Mode()&0o100 == 0 {
		t.Fatalf("the copy: %q, %v", got, err)
	}
	for i := 1; i <= 2; i++ {
		out, err := ws[i].Command(context.Background(), runShipped(dirs[i], "'a b' --segment "+strconv.Itoa(i))).CombinedOutput()
		if err != nil || string(out) != "ran a b --segment "+strconv.Itoa(i)+"\n" {
			t.Fatalf("running the shipped fire: %q, %v", out, err)
		}
	}
	if _, err := os.Stat(".perflab-rampctl"); !os.IsNotExist(err) {
		t.Fatalf("left behind: %v", err)
	}
}

// A fire that cannot be shipped or does not run there is an error naming
// the worker and why, and leaves nothing on any worker.
func TestShipFailuresSayWhy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version int    // the stand-in's exit code for --version
		line    string // the second worker
		setup   func(t *testing.T)
		want    string
	}{
		{"it does not run there", 126, "sh -c", nil,
			"shipping fire to worker 1 of 2 (sh -c): the fire built here does not run there (another system or architecture? then install fire there and give --fire its path)"},
		{"ssh fails", 0, `sh -c 'cat > /dev/null; echo "ssh: connect to host h port 22: Connection refused" >&2; exit 255'`, nil,
			`shipping fire to worker 2 of 2 (sh -c 'cat > /dev/null; echo "ssh: connect to host h port 22: Connection refused" >&2; exit 255'): ssh failed: ssh: connect to host h port 22: Connection refused`},
		{"no room for it", 0, "sh -c", func(t *testing.T) { os.WriteFile(".perflab-rampctl", nil, 0o644) },
			"shipping fire to worker 1 of 2 (sh -c): cannot make .perflab-rampctl/r-1 in its login directory: mkdir: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if tc.setup != nil {
				tc.setup(t)
			}
			fire, _ := testFire(t, tc.version)
			_, err := shipAll([]Worker{{Line: "sh -c"}, {Line: tc.line}}, fire, "r")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("%v\nwant %s", err, tc.want)
			}
			if ents, _ := os.ReadDir(".perflab-rampctl"); len(ents) > 0 {
				t.Fatalf("left behind: %v", ents)
			}
		})
	}
}
