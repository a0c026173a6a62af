// Package sshtest starts throwaway SSH test hosts for tests that run
// commands "on many machines" (pipelines/distributed.sh, rampctl --workers):
// one Debian sshd per host on a loopback alias (127.0.0.2, 127.0.0.3, …),
// each with its own host key, sshd_config, port and login directory, for the
// current user, reached with a client key and an ssh config of its own.
// Nothing of the machine's own ssh set-up is read or written (not its sshd
// config, not ~/.ssh), and Close tears everything down.
//
// A host is a separate machine as far as a client can tell: its login
// directory (and $HOME) is its own, and its PATH holds only the system's
// directories, so a tool the test built is there only if the client ships it.
// All hosts still share this machine's file system and processes.
package sshtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// DefaultPath is the PATH a test host's sessions get unless Options.Path
// says otherwise: the system's directories, none of a test's own.
const DefaultPath = "/usr/local/bin:/usr/bin:/bin"

// Options tune the hosts. The zero value is ready to use.
type Options struct {
	// Path is the PATH of every session on the hosts (DefaultPath if empty).
	Path string
	// NoMultiplex turns off ssh connection sharing (ControlMaster) in the
	// client config. Sharing keeps each later connection to a host at a few
	// milliseconds on a loaded machine; without it every connection pays a
	// full key exchange, as many real set-ups do.
	NoMultiplex bool
}

// Cluster is a set of running test hosts and the client files that reach them.
type Cluster struct {
	Dir        string  // holds every file of the cluster; removed by Close
	ConfigFile string  // the client's ssh config: ssh -F ConfigFile NAME
	KeyFile    string  // the client's private key
	Hosts      []*Host // in the order of their addresses
	closed     bool
}

// Host is one test host.
type Host struct {
	Name  string // the host's name in ConfigFile
	Addr  string // its loopback address (127.0.0.2, …)
	Port  int    // its sshd's port
	Home  string // its login directory and $HOME
	Login string // a GNU parallel sshlogin / ssh command line: "ssh -F CONFIG NAME"
	dir   string
	cmd   *exec.Cmd
	log   *bytes.Buffer
	done  chan struct{}
}

// Sshd returns the path of the sshd binary, or an error that says how to
// install it.
func Sshd() (string, error) {
	for _, p := range []string{"/usr/sbin/sshd", "/usr/local/sbin/sshd"} {
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath("sshd"); err == nil {
		return filepath.Abs(p) // sshd re-executes itself and wants an absolute path
	}
	return "", errors.New("sshd is not installed (Debian: apt-get install openssh-server openssh-client)")
}

// New starts n test hosts for a test, or skips the test when sshd or the
// ssh client tools are missing. Close runs at the test's end.
func New(tb testing.TB, n int, opt Options) *Cluster {
	tb.Helper()
	if _, err := Sshd(); err != nil {
		tb.Skipf("sshtest: %v", err)
	}
	for _, t := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(t); err != nil {
			tb.Skipf("sshtest: %s is not installed (Debian: apt-get install openssh-client)", t)
		}
	}
	c, err := Start(n, opt)
	if err != nil {
		tb.Fatalf("sshtest: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}

// Start starts n test hosts (1 ≤ n ≤ 200). Call Close when done.
func Start(n int, opt Options) (c *Cluster, err error) {
	if n < 1 || n > 200 {
		return nil, fmt.Errorf("%d hosts: between 1 and 200 fit on 127.0.0.2–127.0.0.201", n)
	}
	sshd, err := Sshd()
	if err != nil {
		return nil, err
	}
	// A short directory: ssh's control sockets live here and a Unix socket
	// path has at most 107 bytes.
	dir, err := os.MkdirTemp("", "sshtest")
	if err != nil {
		return nil, err
	}
	c = &Cluster{Dir: dir, ConfigFile: filepath.Join(dir, "ssh_config"), KeyFile: filepath.Join(dir, "id_ed25519")}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if err := privsepDir(); err != nil {
		return c, err
	}
	if err := keygen(c.KeyFile, "perflab sshtest client"); err != nil {
		return c, err
	}
	me, err := user.Current()
	if err != nil {
		return c, err
	}
	for i := range n {
		h := &Host{Name: "perflab-test-" + strconv.Itoa(i+1), Addr: "127.0.0." + strconv.Itoa(i+2),
			dir: filepath.Join(dir, "host"+strconv.Itoa(i+1))}
		h.Home = filepath.Join(h.dir, "home")
		h.Login = "ssh -F " + c.ConfigFile + " " + h.Name
		c.Hosts = append(c.Hosts, h)
		if err := c.startHost(sshd, h, me.Username, opt); err != nil {
			return c, err
		}
	}
	return c, c.writeClientFiles(me.Username, opt)
}

// privsepDir makes the directory sshd needs when it runs as root (Debian's
// service would make it at boot; this machine may have no service running).
func privsepDir() error {
	if os.Geteuid() != 0 {
		return nil
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return fmt.Errorf("sshd as root needs /run/sshd: %v", err)
	}
	return nil
}

func keygen(path, comment string) error {
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	return nil
}

// startHost writes the host's keys and config and starts its sshd, trying
// another port if the one it was given is taken before sshd binds it.
func (c *Cluster) startHost(sshd string, h *Host, username string, opt Options) error {
	if err := os.MkdirAll(h.Home, 0o755); err != nil {
		return err
	}
	if err := keygen(filepath.Join(h.dir, "host_key"), h.Name); err != nil {
		return err
	}
	path := opt.Path
	if path == "" {
		path = DefaultPath
	}
	// The forced command makes the host's login directory its own: sshd
	// starts every session in the user's real home, so this moves it.
	login := fmt.Sprintf("PATH=%s; export PATH\ncd \"$HOME\" || exit 1\n"+
		"if [ -z \"$SSH_ORIGINAL_COMMAND\" ]; then exec \"$SHELL\" -l; fi\n"+
		"exec \"$SHELL\" -c \"$SSH_ORIGINAL_COMMAND\"\n", shellQuote(path))
	if err := os.WriteFile(filepath.Join(h.dir, "login.sh"), []byte(login), 0o644); err != nil {
		return err
	}
	var last error
	for range 5 {
		port, err := freePort(h.Addr)
		if err != nil {
			return fmt.Errorf("%s: no free port: %v", h.Addr, err)
		}
		h.Port = port
		if last = c.runSshd(sshd, h, username); last == nil {
			return nil
		}
	}
	return last
}

func (c *Cluster) runSshd(sshd string, h *Host, username string) error {
	cfg := filepath.Join(h.dir, "sshd_config")
	root := "no"
	if username == "root" {
		root = "prohibit-password"
	}
	conf := strings.Join([]string{
		"Port " + strconv.Itoa(h.Port),
		"ListenAddress " + h.Addr,
		"HostKey " + filepath.Join(h.dir, "host_key"),
		"PidFile " + filepath.Join(h.dir, "sshd.pid"),
		"AuthorizedKeysFile " + c.KeyFile + ".pub",
		"AllowUsers " + username,
		"PermitRootLogin " + root,
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no", // the key lives in a temporary directory, not in ~/.ssh
		"X11Forwarding no",
		"PrintMotd no",
		"PrintLastLog no",
		"MaxStartups 200",
		"MaxSessions 200",
		"SetEnv HOME=" + h.Home, // so the login shell reads no start-up file of the real home
		"ForceCommand /bin/sh " + filepath.Join(h.dir, "login.sh"),
		"",
	}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return err
	}
	h.log = &bytes.Buffer{}
	h.cmd = exec.Command(sshd, "-D", "-e", "-f", cfg)
	h.cmd.Stdout, h.cmd.Stderr = h.log, h.log
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := h.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %v", sshd, err)
	}
	h.done = make(chan struct{})
	go func() { h.cmd.Wait(); close(h.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-h.done:
			return fmt.Errorf("sshd for %s:%d exited: %s", h.Addr, h.Port, strings.TrimSpace(h.log.String()))
		default:
		}
		if conn, err := net.DialTimeout("tcp", net.JoinHostPort(h.Addr, strconv.Itoa(h.Port)), time.Second); err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.Stop()
	return fmt.Errorf("sshd for %s:%d did not listen within 10 s: %s", h.Addr, h.Port, h.log.String())
}

func freePort(addr string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// writeClientFiles writes the known hosts (so host keys are checked, not
// trusted on first use) and the ssh config every Login names.
func (c *Cluster) writeClientFiles(username string, opt Options) error {
	var known, conf strings.Builder
	for _, h := range c.Hosts {
		pub, err := os.ReadFile(filepath.Join(h.dir, "host_key.pub"))
		if err != nil {
			return err
		}
		f := strings.Fields(string(pub))
		fmt.Fprintf(&known, "[%s]:%d %s %s\n", h.Addr, h.Port, f[0], f[1])
		fmt.Fprintf(&conf, "Host %s\n  HostName %s\n  Port %d\n", h.Name, h.Addr, h.Port)
	}
	fmt.Fprintf(&conf, "Host *\n  User %s\n  IdentityFile %s\n  IdentitiesOnly yes\n"+
		"  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n"+
		"  BatchMode yes\n  ConnectTimeout 10\n  LogLevel ERROR\n",
		username, c.KeyFile, filepath.Join(c.Dir, "known_hosts"))
	if !opt.NoMultiplex {
		fmt.Fprintf(&conf, "  ControlMaster auto\n  ControlPath %s\n  ControlPersist 120\n", filepath.Join(c.Dir, "cm-%C"))
	}
	if err := os.WriteFile(filepath.Join(c.Dir, "known_hosts"), []byte(known.String()), 0o600); err != nil {
		return err
	}
	return os.WriteFile(c.ConfigFile, []byte(conf.String()), 0o600)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
