package plan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perflab/perflab/lib/record"
)

func TestRequestNames(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "names.log", "ID_A\n\n  ID_B  \r\n"+AlarmName+"\n")
	steps, err := RequestNames(p, AlarmName)
	if err != nil || len(steps) != 2 || steps[0].Path != "/ID_A" || steps[1].Name != "ID_B" || steps[1].Method != "POST" {
		t.Fatalf("%v: %+v", err, steps)
	}
	cases := []struct{ text, want string }{
		{"ID_A\nID B\n", p + `:2: request name "ID B": expected one plain path segment`},
		{"ID_A\n/etc\n", p + `:2: request name "/etc": expected one plain path segment`},
		{"a?b=1\n", p + `:1: request name "a?b=1"`},
		{"..\n", p + `:1: request name ".."`},
		{"\n\n", p + ": no request names"},
		{AlarmName + "\n", p + ": no request names"},
		{"{\"type\":\"x\"}\n", p + `:1: request name "{\"type\":\"x\"}"`},
		{strings.Repeat("x", record.MaxLine+1), p + ":1: line longer than 1048576 bytes"},
	}
	for _, c := range cases {
		os.WriteFile(p, []byte(c.text), 0o644)
		_, err := RequestNames(p, AlarmName)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%.40q: %v, want %s…", c.text, err, c.want)
		}
	}
	missing := filepath.Join(dir, "missing.log")
	if _, err := RequestNames(missing); err == nil || err.Error() != missing+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	many := strings.Repeat("n\n", MaxNames+1)
	if _, err := ReadRequestNames(bg, strings.NewReader(many), "many"); err == nil || err.Error() != "many:100001: expected at most 100000 request names" {
		t.Errorf("too many names: %v", err)
	}
}

func FuzzRequestNames(f *testing.F) {
	f.Add("ID_A\nID_B\n")
	f.Add("a b\n")
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ReadRequestNames(bg, strings.NewReader(s), "n.log")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "n.log") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line naming the file: %v", err)
			}
			return
		}
		// every name makes a step fire accepts
		sc := &record.Plan{Type: record.TypeScenario, Order: "random", Steps: steps}
		var b bytes.Buffer
		if err := NewEncoder(&b).Encode(sc); err != nil {
			t.Fatalf("names %q make an invalid scenario: %v", s, err)
		}
	})
}

func TestSpoolHoldsThePlanInMemoryThenInAFile(t *testing.T) {
	for _, size := range []int{100, SpoolMemory + 5000} {
		var s Spool
		want := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)
		for p := want; len(p) > 0; p = p[min(len(p), 7000):] {
			if _, err := s.Write(p[:min(len(p), 7000)]); err != nil {
				t.Fatal(err)
			}
		}
		if (s.f != nil) != (size > SpoolMemory) {
			t.Fatalf("%d bytes: in a file %v", size, s.f != nil)
		}
		var out bytes.Buffer
		if n, err := s.WriteTo(&out); err != nil || n != int64(len(want)) || !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("%d bytes: wrote %d, %v", size, n, err)
		}
		s.Close()
	}
	// a failed write of the output is returned as it is
	var s Spool
	s.Write([]byte("x\n"))
	if _, err := s.WriteTo(&failAfter{}); err == nil || err.Error() != "disk full" {
		t.Fatalf("write error: %v", err)
	}
	// a spool that cannot make its file says so, naming what failed
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "none"))
	var s2 Spool
	_, err := s2.Write(make([]byte, SpoolMemory+1))
	if err == nil || !strings.HasPrefix(err.Error(), "spooling the plan: open ") || !strings.HasSuffix(err.Error(), "no such file or directory") {
		t.Fatalf("no temp dir: %v", err)
	}
}
