package sshtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SSHLoginFile writes the hosts' Login lines, one a line, in GNU parallel's
// --sshloginfile format (also rampctl --workers'), and returns its path.
// extra lines (":" for this machine, a comment, …) follow the hosts.
func (c *Cluster) SSHLoginFile(extra ...string) (string, error) {
	var b strings.Builder
	for _, h := range c.Hosts {
		b.WriteString(h.Login + "\n")
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	f, err := os.CreateTemp(c.Dir, "sshlogins")
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return "", err
	}
	return f.Name(), f.Close()
}

// Run runs a shell command on the host over ssh and returns its combined
// output.
func (h *Host) Run(command string) (string, error) {
	out, err := exec.Command("sh", "-c", h.Login+" "+shellQuote(command)).CombinedOutput()
	return string(out), err
}

// Stop stops the host's sshd: new connections are refused from then on, as
// from a machine that went down. (Sessions already open, and a shared
// connection's master, go on until their client closes them.)
func (h *Host) Stop() {
	if h.cmd == nil || h.cmd.Process == nil {
		return
	}
	syscall.Kill(-h.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
		<-h.done
	}
}

// Log returns what the host's sshd logged (for a failing test's message).
func (h *Host) Log() string {
	if h.log == nil {
		return ""
	}
	return h.log.String()
}

// Pids lists the processes named comm (as in /proc/PID/comm, "" for any)
// that run with their working directory in the host's login directory: the
// commands a client started on this host.
func (h *Host) Pids(comm string) []int { return pidsUnder(h.Home, comm) }

func pidsUnder(dir, comm string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil || (cwd != dir && !strings.HasPrefix(cwd, dir+"/")) {
			continue
		}
		if comm != "" {
			b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
			if strings.TrimSpace(string(b)) != comm {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// Close closes the shared connections, stops every sshd, kills what
// sessions left running in the hosts' directories, and removes Dir.
func (c *Cluster) Close() {
	if c.closed {
		return
	}
	c.closed = true
	for _, h := range c.Hosts {
		if h.cmd != nil {
			exec.Command("ssh", "-F", c.ConfigFile, "-O", "exit", h.Name).Run()
		}
		h.Stop()
	}
	for range 3 {
		pids := pidsUnder(c.Dir, "")
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.RemoveAll(c.Dir)
}

// String names the hosts (for a test's log).
func (c *Cluster) String() string {
	var s []string
	for _, h := range c.Hosts {
		s = append(s, fmt.Sprintf("%s=%s:%d", h.Name, h.Addr, h.Port))
	}
	return strings.Join(s, " ")
}
