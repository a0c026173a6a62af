package ramp

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestReadWorkers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{":\n", []string{":"}, ""},
		{"# hosts\n\n10.0.0.5\n4/user@host\n1/ssh -p 2222 -i key 10.0.0.5\n", []string{"10.0.0.5", "user@host", "ssh -p 2222 -i key 10.0.0.5"}, ""},
		{"  :  \r\n", []string{":"}, ""},
		{"# none\n", nil, "w: no worker"},
		{"3/\n", nil, "w:1: expected a host"},
	} {
		ws, err := ReadWorkers(strings.NewReader(tc.in), "w")
		var lines []string
		for _, w := range ws {
			lines = append(lines, w.Line)
		}
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%q: %v, want an error %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(lines, tc.want) {
			t.Errorf("%q: %q, %v; want %q", tc.in, lines, err, tc.want)
		}
	}
}

// A worker's command runs the remote command as GNU parallel would.
func TestWorkerCommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{":", []string{"sh", "-c", "fire 'x y'"}},
		{"10.0.0.5", []string{"ssh", "10.0.0.5", "fire 'x y'"}},
		{"ssh -p 2222 -i key 10.0.0.5", []string{"sh", "-c", `ssh -p 2222 -i key 10.0.0.5 "$1"`, "sh", "fire 'x y'"}},
	} {
		if got := (Worker{Line: tc.line}).Command(context.Background(), "fire 'x y'").Args; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.line, got, tc.want)
		}
	}
	out, err := (Worker{Line: "sh -c"}).Command(context.Background(), "echo 'a  b'").Output()
	if err != nil || string(out) != "a  b\n" {
		t.Fatalf("sh -c runs its last argument: %q, %v", out, err)
	}
}

// A workers file gives workers or one error naming the file and line.
func FuzzReadWorkers(f *testing.F) {
	f.Add(":\n1/ssh -p 2222 host\n# c\n")
	f.Add("\x00")
	f.Fuzz(func(t *testing.T, s string) {
		ws, err := ReadWorkers(strings.NewReader(s), "workers")
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "workers") {
				t.Fatalf("error %q is not one line naming the file", err)
			}
			return
		}
		for _, w := range ws {
			if w.Line == "" || strings.ContainsAny(w.Line, "\n\r\x00") || strings.HasPrefix(w.Line, "#") {
				t.Fatalf("worker %q", w.Line)
			}
		}
	})
}
