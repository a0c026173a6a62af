package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pipeline runs a script of pipelines/ with the freshly built tools.
func pipeline(t *testing.T, script string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join("..", "..", "pipelines", script)}, args...)...)
	cmd.Env = append(os.Environ(), "PERFLAB_BIN="+bin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func checkRunDir(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range append(files, "manifest.json", "command", "commands.txt") {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("run directory lacks %s (%v)", f, err)
		}
	}
	var m struct {
		Type     string             `json:"type"`
		Rerun    string             `json:"rerun"`
		Seed     int                `json:"seed"`
		Commands []string           `json:"commands"`
		Tools    map[string]string  `json:"tools"`
		Machine  struct{ CPUs int } `json:"machine"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest.json: %v\n%s", err, b)
	}
	if m.Type != "manifest" || m.Seed != 42 || len(m.Commands) < 2 || m.Tools["fire"] == "" || m.Machine.CPUs < 1 || m.Rerun == "" {
		t.Fatalf("manifest incomplete: %s", b)
	}
}

func TestPipelineMascots2020(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := pipeline(t, "mascots2020.sh", "--duration", "8m", "--time-scale", "0.02", "--port", freePort(t), "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	checkRunDir(t, dir, "plan.jsonl", "locust_log.log", "events.jsonl", "histo.jsonl", "response-times.png", "ars.log")
	// faults at model minutes 5, 6, 7: three long responses
	if !strings.Contains(out, "min 2.0") || !strings.Contains(out, "responses above 30s: 3") && !strings.Contains(out, "responses above 10s: 3") {
		t.Fatalf("statistics:\n%s", out)
	}
}

func TestPipelineSaturation(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := pipeline(t, "saturation.sh", "--time-scale", "0.02", "--step-duration", "100s", "--warmup", "40s",
		"--max-processing", "20s", "--port", freePort(t), "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	checkRunDir(t, dir, "steps.jsonl", "parameter-variation.log", "latency-vs-load.png")
	if !strings.Contains(out, "saturation point:") {
		t.Fatalf("no saturation point:\n%s", out)
	}
}

func TestPipelineProductionTrace(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(filepath.Join("..", "..", "..", "shared", "data", "gs-production-workload")); err != nil {
		t.Skip("../shared/data is missing: the production trace cannot be replayed")
	}
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := pipeline(t, "production-trace.sh", "--from", "10:00:00", "--to", "10:04:00", "--speedup", "60",
		"--port", freePort(t), "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	checkRunDir(t, dir, "plan.jsonl", "locust_log.log", "histo.jsonl", "response-times.png", "alarms.jsonl")
	// 4 minutes of 2020-12-28 at 3.17 % alarms: a few dozen of some thousand requests
	if !regexp.MustCompile(`the alarms alone \(ID_REQ_KC_STORE7D3BPACKET\):\n    \d+ responses`).MatchString(out) {
		t.Fatalf("no alarm statistics:\n%s", out)
	}
}

func TestPipelineCtrlCLeavesNoServer(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	cmd := exec.Command("bash", filepath.Join("..", "..", "pipelines", "mascots2020.sh"), "--duration", "60m", "--port", port,
		"--out", filepath.Join(t.TempDir(), "run"))
	cmd.Env = append(os.Environ(), "PERFLAB_BIN="+bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var e bytes.Buffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // Ctrl-C reaches the whole process group
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("pipeline did not stop on Ctrl-C: %s", e.String())
	}
	time.Sleep(200 * time.Millisecond)
	if c, err := netDial("127.0.0.1:" + port); err == nil {
		c.Close()
		t.Fatalf("a server still listens on %s after Ctrl-C", port)
	}
	if out, _ := exec.Command("pgrep", "-g", itoa(cmd.Process.Pid)).Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("processes left in the pipeline's group: %s", out)
	}
}

func TestPipelinesRefuseBusyPortAndHaveHelp(t *testing.T) {
	t.Parallel()
	port := arssim(t, "--model", "none")
	_, stderr, code := pipeline(t, "mascots2020.sh", "--port", port)
	if code != 2 || !strings.Contains(stderr, "port "+port+" is busy") {
		t.Fatalf("busy port: exit %d, %s", code, stderr)
	}
	for _, s := range []string{"mascots2020.sh", "saturation.sh", "production-trace.sh", "locust.sh", "teastore.sh", "demo.sh", "rerun.sh"} {
		out, stderr, code := pipeline(t, s, "--help")
		if code != 0 || !strings.Contains(out+stderr, "Usage:") {
			t.Errorf("%s --help: exit %d %s", s, code, out+stderr)
		}
	}
}

func TestPipelineLocust(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("locust"); err != nil {
		// .ci/run installs it; the script itself would too, as root, but a test must not depend on apt
		t.Skip("locust is missing: apt-get install python3-locust (pipelines/locust.sh does it as root)")
	}
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := pipeline(t, "locust.sh", "--duration", "6m", "--time-scale", "0.02", "--max-users", "10", "--port", freePort(t), "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	checkRunDir(t, dir, "locust_log.log", "histo.jsonl", "response-times.png", "steps.jsonl", "latency-vs-load.png")
	if !strings.Contains(out, "saturation point:") && !strings.Contains(out, "even ") {
		t.Fatalf("rampctl --exec found nothing:\n%s", out)
	}
}

func TestRerunRepeatsARun(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	port := freePort(t)
	if out, stderr, code := pipeline(t, "mascots2020.sh", "--duration", "2m", "--time-scale", "0.02", "--port", port, "--out", dir); code != 0 {
		t.Fatalf("first run: %d\n%s\n%s", code, out, stderr)
	}
	cmd := exec.Command("bash", filepath.Join("..", "..", "pipelines", "rerun.sh"), dir)
	cmd.Env = append(os.Environ(), "PERFLAB_BIN="+bin, "OUT="+dir+"-again")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "command"))
	b, _ := os.ReadFile(filepath.Join(dir+"-again", "command"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("the re-run's command %q differs from the run's %q", b, a)
	}
	checkRunDir(t, dir+"-again", "locust_log.log", "histo.jsonl", "response-times.png")
}
