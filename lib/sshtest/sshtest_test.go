package sshtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHostsAreSeparateLoginsThatCloseCleanly(t *testing.T) {
	c := New(t, 2, Options{})
	for i, h := range c.Hosts {
		out, err := h.Run(`pwd; echo "$HOME"; echo "$PATH"`)
		if err != nil {
			t.Fatalf("%s: %v: %s\n%s", h.Name, err, out, h.Log())
		}
		want := h.Home + "\n" + h.Home + "\n" + DefaultPath + "\n"
		if out != want {
			t.Errorf("host %d: got %q, want %q", i+1, out, want)
		}
	}
	// a file written on one host is not in the other's login directory
	if out, err := c.Hosts[0].Run("echo one > mark"); err != nil {
		t.Fatal(err, out)
	}
	if out, err := c.Hosts[1].Run("test -e mark && echo there || echo absent"); err != nil || out != "absent\n" {
		t.Fatalf("host 2 sees host 1's file: %q %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(c.Hosts[0].Home, "mark")); err != nil {
		t.Fatal(err)
	}
	// the sshlogin file works with a plain ssh, line by line
	f, err := c.SSHLoginFile(":")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || lines[2] != ":" || lines[0] != c.Hosts[0].Login {
		t.Fatalf("sshlogin file: %q", b)
	}
	dir := c.Dir
	pid := c.Hosts[0].cmd.Process.Pid
	c.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s left behind after Close", dir)
	}
	if alive(pid) {
		t.Errorf("sshd %d still runs after Close", pid)
	}
}

func TestStoppedHostIsUnreachable(t *testing.T) {
	c := New(t, 1, Options{NoMultiplex: true})
	h := c.Hosts[0]
	if out, err := h.Run("true"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	h.Stop()
	out, err := h.Run("true")
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 255 || !strings.Contains(out, "refused") {
		t.Fatalf("after Stop: %v, %q (want ssh's exit 255, connection refused)", err, out)
	}
}

func TestPidsFindsCommandsStartedOnAHost(t *testing.T) {
	c := New(t, 1, Options{})
	h := c.Hosts[0]
	cmd := exec.Command("sh", "-c", h.Login+" 'exec sleep 30'")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pids []int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(pids) == 0; {
		time.Sleep(20 * time.Millisecond)
		pids = h.Pids("sleep")
	}
	if len(pids) != 1 {
		t.Fatalf("pids of sleep on %s: %v", h.Name, pids)
	}
	c.Close() // kills what the session left
	cmd.Wait()
	if alive(pids[0]) {
		t.Fatalf("the host's sleep %d survived Close", pids[0])
	}
}

// alive: the process exists and is not a zombie waiting for its parent.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}
