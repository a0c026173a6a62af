package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pipelines/distributed.sh's own work — checking hosts, shipping, starting
// at one instant, fetching, cleaning up, the joblog, the manifest, refusing
// and flagging — tested with testdata/standin-fire.sh as fire until fire's
// segment flags land (distributed_test.go then runs the real thing).

// Three SSH test hosts and this machine (":"), four segments of an open-model
// plan of 200 arrivals: every segment's files come back, the manifest says
// what each did, histo merges all 200, and no host keeps anything.
func TestDistributedStandInRunsAndCollectsFourSegments(t *testing.T) {
	t.Parallel()
	c, hosts := testHosts(t, 3, ":")
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := distributed(t, standinBin(t), nil, "--hosts", hosts, "--target", "127.0.0.1:9",
		"--plan", "plan constant --rate 100 --duration 2s", "--format", "jsonl", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	m := readManifest(t, dir)
	if m.Complete == nil || !*m.Complete || m.HistoExit == nil || *m.HistoExit != 0 || m.Run != "run" || m.StartAt == "" {
		t.Fatalf("manifest: complete %v, histo_exit %v, run %q, start_at %q", m.Complete, m.HistoExit, m.Run, m.StartAt)
	}
	if len(m.Hosts) != 4 || m.Hosts[3].SSHLogin != ":" || m.Hosts[0].SSHLogin != c.Hosts[0].Login || m.Hosts[0].CPUs < 1 {
		t.Fatalf("hosts: %+v", m.Hosts)
	}
	var total int64
	for i, s := range m.Segments {
		want := []string{"1/4", "2/4", "3/4", "4/4"}[i]
		if s.Segment != want || s.Host != i+1 || s.Exit != 0 || s.Status != "ok" || s.LagMS == nil || s.Count != 50 ||
			s.Log != "seg-"+want[:1]+".jsonl" || s.Feedback != "seg-"+want[:1]+".feedback.jsonl" {
			t.Errorf("segment %d: %+v", i+1, s)
		}
		total += s.Count
		for _, f := range []string{s.Log, s.Feedback} {
			if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s did not come back: %v", f, err)
			}
		}
	}
	if got := summary(t, filepath.Join(dir, "histo.jsonl"))["count"]; total != 200 || got != 200.0 {
		t.Fatalf("segments counted %d, histo merged %v: want the plan's 200 arrivals", total, got)
	}
	for _, f := range []string{"joblog", "segments.stderr", "response-times.png", "plan.jsonl", "command"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "joblog")); strings.Count(string(b), "\n") != 5 {
		t.Errorf("joblog: want a header and 4 jobs:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, ".perflab-dist")); !os.IsNotExist(err) {
		t.Errorf("the local working directory is left in the run directory")
	}
	noWorkDirsLeft(t, c)
	if !strings.Contains(out, "segment 4/4 on host 4 (:): exit 0, ok") || !strings.Contains(out, "200 responses") {
		t.Errorf("summary on stdout:\n%s", out)
	}
}

// A segment killed while it runs: the pipeline says so loudly and exits 5,
// the manifest shows its exit code and no end record, the others are ok.
func TestDistributedStandInKilledSegmentIsFlagged(t *testing.T) {
	t.Parallel()
	c, hosts := testHosts(t, 4)
	dir := filepath.Join(t.TempDir(), "run")
	kill := func(*exec.Cmd) {
		for _, p := range waitPids(t, c.Hosts[1], "fire") {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	out, stderr, code := distributed(t, standinBin(t), kill, "--hosts", hosts, "--target", "127.0.0.1:9",
		"--plan", "plan constant --rate 100 --duration 4s", "--out", dir)
	if code != 5 || !strings.Contains(stderr, "INCOMPLETE RUN") || !strings.Contains(stderr, "segment 2/4 on host 2") {
		t.Fatalf("exit %d (want 5)\n%s\n%s", code, out, stderr)
	}
	m := readManifest(t, dir)
	if m.Complete == nil || *m.Complete {
		t.Fatalf("manifest says complete")
	}
	for i, s := range m.Segments {
		killed := i == 1
		if killed && (s.Exit != 137 || s.Status != "") || !killed && (s.Exit != 0 || s.Status != "ok" || s.Count != 100) {
			t.Errorf("segment %d: %+v", i+1, s)
		}
	}
	noWorkDirsLeft(t, c)
}

// An unreachable host and a busy one are refused before anything runs, each
// on a line naming the host and its line in the hosts file.
func TestDistributedRefusesUnreachableAndBusyHosts(t *testing.T) {
	t.Parallel()
	c, hosts := testHosts(t, 3)
	c.Hosts[1].Stop()
	busy := exec.Command("sh", "-c", c.Hosts[2].Login+" 'mkdir -p .perflab-dist/other && cd .perflab-dist/other && exec sleep 120'")
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { busy.Process.Kill(); busy.Wait() }()
	waitPids(t, c.Hosts[2], "sleep")
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := distributed(t, standinBin(t), nil, "--hosts", hosts, "--target", "127.0.0.1:9",
		"--plan", "plan constant --rate 10 --duration 1s", "--out", dir)
	if code != 2 || out != "" {
		t.Fatalf("exit %d (want 2), stdout %q\n%s", code, out, stderr)
	}
	for _, want := range []string{"host 2 (" + hosts + ":2: " + c.Hosts[1].Login + "): unreachable",
		"host 3 (" + hosts + ":3: " + c.Hosts[2].Login + "): busy", "2 of 3 hosts refused: nothing was started"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "joblog")); err == nil {
		t.Errorf("a joblog exists: something was started")
	}
	if ents, _ := os.ReadDir(c.Hosts[0].Home); len(ents) != 0 {
		t.Errorf("files were shipped to the good host although the run was refused")
	}
}

func TestDistributedUsageErrors(t *testing.T) {
	t.Parallel()
	needParallel(t)
	tmp := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(tmp, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	one := write("one", "# a comment\n\n:\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--plan", "plan constant --rate 1 --duration 1s"}, "--hosts FILE is required"},
		{[]string{"--hosts", one}, "--plan is required"},
		{[]string{"--hosts", filepath.Join(tmp, "none"), "--plan", "plan mascots"}, "no such readable file"},
		{[]string{"--hosts", write("empty", "# nothing\n"), "--plan", "plan mascots"}, "no host in it"},
		{[]string{"--hosts", write("dup", "a\n2/b\n@g/a\n"), "--plan", "plan mascots"}, "dup:3: the same host as line 1"},
		{[]string{"--hosts", one, "--plan", "ls -la"}, "expected a 'plan …' command line or a plan file"},
		{[]string{"--hosts", one, "--plan", "plan --seed 3 mascots"}, "give the seed with --seed"},
		{[]string{"--hosts", one, "--plan", "plan mascots", "--segments", "0"}, "--segments 0: expected a whole number"},
		{[]string{"--hosts", one, "--plan", "plan mascots", "--segments", "5000"}, "from 1 to 1000"},
		{[]string{"--hosts", one, "--plan", "plan mascots", "--format", "csv"}, "--format csv"},
		{[]string{"--hosts", one, "--plan", "plan mascots", "--start-delay", "2h"}, "--start-delay 2h"},
		{[]string{"--hosts", one, "--plan", "plan mascots", "--fire-args", "--max-inflight 5 --segment 1/2"}, "--fire-args: --segment is set by the pipeline"},
		{[]string{"--hosts", one, "--plan", "plan mascots", "--bogus"}, "unknown argument --bogus"},
	} {
		out, stderr, code := distributed(t, standinBin(t), nil, c.args...)
		last := strings.TrimSpace(stderr)
		last = last[strings.LastIndexByte(last, '\n')+1:]
		if code != 2 || out != "" || !strings.Contains(last, c.want) || !strings.HasPrefix(last, "distributed.sh: ") {
			t.Errorf("%q: exit %d, stdout %q, last stderr line %q (want %q)", c.args, code, out, last, c.want)
		}
	}
	out, _, code := distributed(t, standinBin(t), nil, "--help")
	if code != 0 || !strings.Contains(out, "Usage: pipelines/distributed.sh --hosts FILE") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
}

// Ctrl-C while the segments run: each gets one SIGTERM on its host (and ends
// "stopped", not killed), what they wrote is fetched and evaluated, the
// hosts are cleaned, and the pipeline exits 130.
func TestDistributedStandInCtrlCStopsAndFetches(t *testing.T) {
	t.Parallel()
	c, hosts := testHosts(t, 2, ":")
	dir := filepath.Join(t.TempDir(), "run")
	interrupt := func(cmd *exec.Cmd) {
		waitPids(t, c.Hosts[1], "fire")
		// once the segments have started (segment 2 has written its start mark)
		log := filepath.Join(c.Hosts[1].Home, ".perflab-dist", "run", "seg-2.log")
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if st, err := os.Stat(log); err == nil && st.Size() > 0 {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // Ctrl-C reaches the whole process group
	}
	out, stderr, code := distributed(t, standinBin(t), interrupt, "--hosts", hosts, "--target", "127.0.0.1:9",
		"--plan", "plan constant --rate 30 --duration 10m", "--out", dir)
	if code != 130 || !strings.Contains(stderr, "stopping: every fire gets SIGTERM") {
		t.Fatalf("exit %d (want 130)\n%s\n%s", code, out, stderr)
	}
	m := readManifest(t, dir)
	if m.Complete == nil || *m.Complete {
		t.Fatal("a stopped run is marked complete")
	}
	for i, s := range m.Segments {
		if s.Status != "stopped" || s.Exit != 0 || s.Count != 6000 || s.Log == "" {
			t.Errorf("segment %d: %+v (want stopped by one SIGTERM, exit 0, its 6000 samples fetched)", i+1, s)
		}
	}
	noWorkDirsLeft(t, c)
}
