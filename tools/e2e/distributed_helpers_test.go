package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/sshtest"
)

// needParallel skips a test of pipelines/distributed.sh where GNU parallel or
// rsync is missing (.ci/run installs both).
func needParallel(t *testing.T) {
	t.Helper()
	for _, c := range []string{"parallel", "rsync"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is missing: apt-get install parallel rsync (.ci/run does)", c)
		}
	}
}

// testHosts starts n SSH test hosts and writes their sshlogin file (with
// extra lines after them).
func testHosts(t *testing.T, n int, extra ...string) (*sshtest.Cluster, string) {
	t.Helper()
	needParallel(t)
	c := sshtest.New(t, n, sshtest.Options{})
	f, err := c.SSHLoginFile(extra...)
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

// standinBin is a tool directory with the real plan, histo, plotrt and arssim
// and testdata/standin-fire.sh as fire: the stand-in takes fire's segment
// flags, which fire itself gains on another branch (issue 14).
func standinBin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"plan", "histo", "plotrt", "arssim"} {
		if err := os.Symlink(filepath.Join(bin, tool), filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join("testdata", "standin-fire.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fire"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// distributed runs pipelines/distributed.sh with the tools of toolDir, a
// HOME of its own (GNU parallel keeps files there) and in a process group
// of its own (so a test can stop it as Ctrl-C would). onStart, if set, runs
// once the pipeline is started.
func distributed(t *testing.T, toolDir string, onStart func(*exec.Cmd), args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if slices.Contains(args, "--hosts") && !slices.Contains(args, "--start-delay") {
		// The default start delay is measured from the hosts' check, which
		// under make test's own load (every package's tests at once) can
		// come out shorter than the launch: a segment then starts late and
		// the run is rightly flagged incomplete (exit 5). These tests are
		// not about that, so they give every segment time to start.
		args = append(args, "--start-delay", "6s")
	}
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join("..", "..", "pipelines", "distributed.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "PERFLAB_BIN="+toolDir, "HOME="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if onStart != nil {
		onStart(cmd)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// readManifest decodes a run's manifest.json into record.Manifest, refusing
// a field the record does not declare.
func readManifest(t *testing.T, dir string) record.Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m record.Manifest
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest.json is not a record.Manifest: %v\n%s", err, b)
	}
	return m
}

// waitPids waits (up to three minutes: a loaded machine) until a process
// named comm runs in the host's login directory, and returns those whose
// parent has another name (not the stand-in's short-lived subshells, which
// carry its name until they exec).
func waitPids(t *testing.T, h *sshtest.Host, comm string) []int {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var top []int
		for _, p := range h.Pids(comm) {
			if parentComm(p) != comm {
				top = append(top, p)
			}
		}
		if len(top) > 0 {
			return top
		}
	}
	t.Fatalf("no %s ran on %s within three minutes", comm, h.Name)
	return nil
}

// parentComm is the name of a process's parent ("" if it is gone).
func parentComm(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 2 {
		return ""
	}
	c, _ := os.ReadFile("/proc/" + f[1] + "/comm")
	return strings.TrimSpace(string(c))
}

// summary returns the last summary record of histo's output as a map.
func summary(t *testing.T, path string) map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if !strings.Contains(sc.Text(), `"type":"summary"`) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err == nil {
			last = m
		}
	}
	if last == nil {
		t.Fatalf("%s has no summary record", path)
	}
	return last
}

// noWorkDirsLeft checks that the run left nothing in the hosts' login
// directories.
func noWorkDirsLeft(t *testing.T, c *sshtest.Cluster) {
	t.Helper()
	for _, h := range c.Hosts {
		if ents, _ := os.ReadDir(h.Home); len(ents) > 0 {
			t.Errorf("%s: %d entries left in its login directory (%s…)", h.Name, len(ents), ents[0].Name())
		}
	}
}
