// Package k8s keeps deploy/k8s/job.yaml's command line valid against fire's
// flags: no cluster runs here, so the test runs the job's shell command with
// the environment Kubernetes would give pod 3 of 4, catches the arguments it
// passes to fire, and runs fire's own Run with them against a local server.
package k8s

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/cmd/fire"
)

const (
	begin = "# perflab:fire-command begin"
	end   = "# perflab:fire-command end"
)

// command returns the job's container command block (between the markers,
// dedented) and the whole manifest.
func command(t *testing.T) (block, yaml string) {
	t.Helper()
	b, err := os.ReadFile("job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml = string(b)
	i, j := strings.Index(yaml, begin), strings.Index(yaml, end)
	if i < 0 || j < i {
		t.Fatalf("job.yaml lost its %q … %q block", begin, end)
	}
	start := strings.LastIndexByte(yaml[:i], '\n') + 1
	indent := yaml[start:i]
	var lines []string
	for _, l := range strings.Split(yaml[start:j+len(end)], "\n") {
		lines = append(lines, strings.TrimPrefix(l, indent))
	}
	return strings.Join(lines, "\n") + "\n", yaml
}

func field(t *testing.T, yaml, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(yaml)
	if m == nil {
		t.Fatalf("job.yaml has no %s", re)
	}
	return m[1]
}

// The Job is what the README says: Indexed, every segment at once, no retry,
// and its command is safe from Kubernetes' $(VAR) expansion and uses only
// variables the pod has.
func TestJobShape(t *testing.T) {
	block, yaml := command(t)
	if field(t, yaml, `(?m)^\s*completionMode:\s*(\S+)`) != "Indexed" || field(t, yaml, `(?m)^\s*backoffLimit:\s*(\d+)`) != "0" ||
		field(t, yaml, `(?m)^\s*restartPolicy:\s*(\S+)`) != "Never" {
		t.Fatal("job.yaml: want completionMode Indexed, backoffLimit 0, restartPolicy Never")
	}
	n := field(t, yaml, `(?m)^\s*completions:\s*(\d+)`)
	if p := field(t, yaml, `(?m)^\s*parallelism:\s*(\d+)`); p != n || field(t, yaml, `name: SEGMENTS\s+value: "(\d+)"`) != n {
		t.Fatalf("completions %s, parallelism %s and SEGMENTS must be equal", n, p)
	}
	if strings.Contains(block, "$(") {
		t.Fatal(`the command has "$(": Kubernetes expands $(VAR) itself`)
	}
	for _, m := range regexp.MustCompile(`\$\{?([A-Z_]+)`).FindAllStringSubmatch(block, -1) {
		if m[1] != "JOB_COMPLETION_INDEX" && !strings.Contains(yaml, "- name: "+m[1]+"\n") {
			t.Errorf("the command uses $%s, which the pod's env does not set", m[1])
		}
	}
}

// Pod 3 of 4's command, run as the pod would, gives fire arguments that
// fire's parser accepts and that run a plan.
func TestJobCommandRunsFire(t *testing.T) {
	block, yaml := command(t)
	dir := t.TempDir()
	// a stand-in for the image's fire that only records its arguments
	stub := filepath.Join(dir, "bin")
	os.Mkdir(stub, 0o755)
	os.WriteFile(filepath.Join(stub, "fire"), []byte("#!/bin/sh\nprintf '%s\\0' \"$@\" > \"$ARGS_OUT\"\n"), 0o755)
	plan := filepath.Join(dir, "plan.jsonl")
	os.WriteFile(plan, []byte(`{"type":"plan","version":1}
{"type":"scenario","name":"s","steps":[{"name":"x","method":"GET","path":"/"}]}
{"type":"stage","at_ms":0,"rate_rps":40}
{"type":"end","at_ms":200}
`), 0o644)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	results, argsOut := filepath.Join(dir, "results"), filepath.Join(dir, "args")
	sh := exec.Command("sh", "-c", block)
	sh.Env = append(os.Environ(), "PATH="+stub+":"+os.Getenv("PATH"), "ARGS_OUT="+argsOut, "JOB_COMPLETION_INDEX=2",
		"SEGMENTS="+field(t, yaml, `name: SEGMENTS\s+value: "(\d+)"`), "START_AT="+time.Now().UTC().Format(time.RFC3339Nano),
		"RUN=k8s-test", "TARGET="+srv.Listener.Addr().(*net.TCPAddr).String(), "PLAN="+plan, "RESULTS="+results)
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("the job's command: %v: %s", err, out)
	}
	b, err := os.ReadFile(argsOut)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	if !strings.Contains(" "+strings.Join(args, " ")+" ", " --segment 3/4 ") {
		t.Fatalf("pod index 2 of 4 is not segment 3/4: %q", args)
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if code := fire.Run(ctx, args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("fire %q: exit %d: %s", args, code, stderr.String())
	}
	if st, err := os.Stat(filepath.Join(results, "k8s-test", "seg-3.log")); err != nil || st.Size() == 0 {
		t.Fatalf("segment 3's log: %v", err)
	}
}
