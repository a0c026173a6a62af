// Package golden compares test output with golden files kept in testdata/,
// the one way perflab's tests keep figures and pages byte for byte. After a
// deliberate change, `go test ./PKG -update` rewrites them.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Update is the -update flag of every test binary that imports golden.
var Update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Check compares got with testdata/NAME (NAME may hold subfolders). With
// -update it writes got there instead. On a difference it keeps got beside
// the golden file as NAME.got, to compare by eye.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *Update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Fatalf("%s differs from the golden file%s (see %s.got; go test -update accepts it)", path, firstDiff(got, want), path)
	}
}

// firstDiff names the first line where two texts differ (nothing for binary files).
func firstDiff(got, want []byte) string {
	if bytes.IndexByte(got, 0) >= 0 || bytes.IndexByte(want, 0) >= 0 {
		return ""
	}
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range min(len(gl), len(wl)) {
		if !bytes.Equal(gl[i], wl[i]) {
			return fmt.Sprintf(" at line %d:\n got %.200q\nwant %.200q\n", i+1, gl[i], wl[i])
		}
	}
	return fmt.Sprintf(": %d lines, golden %d", len(gl), len(wl))
}
