package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The docs test (issue 13): every ```sh block of README.md runs as written,
// so that an example cannot rot. The blocks run one after another, as a
// reader would type them, in one working directory that looks like the
// repository's root (../shared beside it, the tools first on PATH): a file one
// block writes is there for the next. Servers a block starts with & are
// stopped at its end. testdata/readme.txt says, for every command line, how
// it is run (as written, or with a bound added where it runs for minutes or
// until Ctrl-C) and what it must do.

const readmeData = "testdata/readme.txt"

// readmePorts are the fixed ports README's examples use as written.
var readmePorts = []string{"1337", "8080", "8081", "8089", "8090"}

// A fence that holds commands is ```sh (the test runs it) or ```text: a
// template, whose placeholders (ARS_HOST, REGISTRY, …) say it cannot run as
// written.
var (
	commandFence = regexp.MustCompile(`^(sh|text)$`)
	placeholder  = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)*\b`)
)

func TestReadmeExamples(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := shBlocks(t, readmeBlocks(string(b)))
	entries, err := readEntries(readmeData)
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkEntries(blocks, entries); len(errs) > 0 {
		t.Fatalf("README.md and %s disagree:\n%s", readmeData, strings.Join(errs, "\n"))
	}
	for _, p := range readmePorts {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+p, time.Second); err == nil {
			c.Close()
			t.Fatalf("port %s is busy: README's examples use it as written; stop what listens there", p)
		}
	}
	env := newReadmeEnv(t)
	for _, b := range blocks {
		t.Run(fmt.Sprintf("README.md:%d", b.Line), func(t *testing.T) { env.runBlock(t, b, entries) })
	}
	t.Logf("README's command lines, as run:\n%s", strings.Join(env.ran, "\n"))
}

// shBlocks returns the ```sh blocks after the first, which must be the
// newcomer's two set-up commands (CI runs them anyway). Every other fenced
// block with commands is ```text with a placeholder in it.
func shBlocks(t *testing.T, all []readmeBlock) []readmeBlock {
	t.Helper()
	var sh []readmeBlock
	for _, b := range all {
		switch {
		case b.Lang == "sh":
			sh = append(sh, b)
		case len(b.Cmds) == 0:
		case !commandFence.MatchString(b.Lang):
			t.Errorf("README.md:%d: a ```%s block: commands go in ```sh (the docs test runs them) or ```text (a template)", b.Line, b.Lang)
		case !hasPlaceholder(b):
			t.Errorf("README.md:%d: a ```text block without a placeholder (such as ARS_HOST): if it runs as written, make it ```sh", b.Line)
		}
	}
	if len(sh) < 2 || len(sh[0].Cmds) != 2 || sh[0].Cmds[0].Cmd != "make demo" || sh[0].Cmds[1].Cmd != "make test" {
		t.Fatalf("README.md's first command block must be the newcomer's two set-up commands, make demo and make test")
	}
	return sh[1:]
}

// hasPlaceholder says whether a template's commands name something to
// replace: an upper-case word of at least three letters.
func hasPlaceholder(b readmeBlock) bool {
	for _, c := range b.Cmds {
		for _, w := range placeholder.FindAllString(c.Cmd, -1) {
			if len(w) >= 3 {
				return true
			}
		}
	}
	return false
}

// readmeEnv is the reader's machine: a working directory that looks like
// the repository's root, the tools on PATH, and every process started.
type readmeEnv struct {
	root, logs string
	env        []string
	procs      []*readmeProc
	ran        []string // a line per command run, for the log
}

func newReadmeEnv(t *testing.T) *readmeEnv {
	base := t.TempDir()
	e := &readmeEnv{root: filepath.Join(base, "perflab"), logs: filepath.Join(base, "logs")}
	repo, _ := filepath.Abs(filepath.Join("..", ".."))
	shared, _ := filepath.Abs(filepath.Join(repo, "..", "shared"))
	links := map[string]string{filepath.Join(e.root, "bin"): bin, filepath.Join(base, "shared"): shared}
	for _, name := range []string{"bench", "deploy", "docs", "lib", "pipelines", "sims", "tools", "go.mod", "go.sum"} {
		links[filepath.Join(e.root, name)] = filepath.Join(repo, name)
	}
	for _, d := range []string{e.root, e.logs, filepath.Join(base, "home")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	// a HOME of its own (GNU parallel and Locust write there), Go's caches kept
	e.env = append(os.Environ(), "PATH="+filepath.Join(e.root, "bin")+":"+os.Getenv("PATH"), "HOME="+filepath.Join(base, "home"))
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"} {
		if out, err := exec.Command("go", "env", v).Output(); err == nil {
			e.env = append(e.env, v+"="+strings.TrimSpace(string(out)))
		}
	}
	t.Cleanup(e.stopAll)
	return e
}

// runBlock runs a block's commands in order; the servers it started in the
// background are stopped at its end (and must end cleanly).
func (e *readmeEnv) runBlock(t *testing.T, b readmeBlock, entries map[string]*readmeEntry) {
	type server struct {
		p *readmeProc
		c readmeCmd
		x *readmeEntry
	}
	var servers []server
	defer func() {
		for i := len(servers) - 1; i >= 0; i-- {
			s := servers[i]
			s.p.stop(10 * time.Second)
			e.expect(t, s.c, s.p, s.x.Expect[0])
		}
	}()
	for _, c := range b.Cmds {
		x := entries[c.Cmd]
		if !e.haveNeeds(t, c, x) {
			continue
		}
		if c.background() {
			p := e.start(t, c, x.command())
			if !e.ready(t, c, p, x.Ready) {
				t.FailNow() // what follows needs the server
			}
			servers = append(servers, server{p, c, x})
			for _, g := range x.Gets {
				get(t, c, g)
			}
			continue
		}
		e.runFg(t, c, x)
	}
}

// runFg runs a command in the foreground (a server until its Ctrl-C), then
// the entry's checks.
func (e *readmeEnv) runFg(t *testing.T, c readmeCmd, x *readmeEntry) {
	p := e.start(t, c, x.command())
	if x.Ready != "" && !e.ready(t, c, p, x.Ready) {
		return
	}
	for _, g := range x.Gets {
		get(t, c, g)
	}
	if x.Interrupt > 0 {
		select {
		case <-p.done:
			t.Errorf("README.md:%d: %s ended by itself before its Ctrl-C after %v: it runs until stopped%s", c.Line, p.line, x.Interrupt, p.tail())
			return
		case <-time.After(x.Interrupt):
			p.signal(syscall.SIGINT)
		}
	}
	if !p.wait(x.Timeout) {
		t.Errorf("README.md:%d: %s still ran after %v: stopped%s", c.Line, p.line, x.Timeout, p.tail())
		return
	}
	e.expect(t, c, p, x.Expect[0])
	for _, check := range x.Expect[1:] {
		q := e.start(t, c, check.Cmd)
		if !q.wait(x.Timeout) {
			t.Errorf("README.md:%d: check %s still ran after %v%s", c.Line, q.line, x.Timeout, q.tail())
			continue
		}
		e.expect(t, c, q, check)
	}
}

// haveNeeds says whether the tools and paths an entry needs are here. A
// missing one skips the command, loudly, and fails the test in CI (.ci/run
// installs them).
func (e *readmeEnv) haveNeeds(t *testing.T, c readmeCmd, x *readmeEntry) bool {
	for _, n := range x.Needs {
		var err error
		if filepath.IsAbs(n) {
			_, err = os.Stat(n)
		} else if strings.Contains(n, "/") {
			_, err = os.Stat(filepath.Join(e.root, n))
		} else {
			_, err = exec.LookPath(n)
		}
		if err == nil {
			continue
		}
		msg := fmt.Sprintf("README.md:%d: SKIPPED %q: %s is missing here", c.Line, c.Cmd, n)
		if os.Getenv("CI") != "" {
			t.Errorf("%s (in CI, where .ci/run installs it)", msg)
		} else {
			t.Log(msg)
		}
		e.ran = append(e.ran, msg)
		return false
	}
	return true
}

// ready waits until a server is up: its port answers, or the file it
// writes is there (a minute at most: the machine may be busy). One that
// does not come up is stopped, so that it holds no port for what follows.
func (e *readmeEnv) ready(t *testing.T, c readmeCmd, p *readmeProc, what string) bool {
	file, isFile := strings.CutPrefix(what, "file ")
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if isFile {
			if st, err := os.Stat(filepath.Join(e.root, file)); err == nil && st.Size() > 0 {
				return true
			}
		} else if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+what, time.Second); err == nil {
			conn.Close()
			return true
		}
		select {
		case <-p.done:
			t.Errorf("README.md:%d: %s ended (exit %d) before it was ready (%s)%s", c.Line, p.line, p.code, what, p.tail())
			return false
		default:
		}
	}
	p.stop(10 * time.Second)
	t.Errorf("README.md:%d: %s not ready (%s) after a minute%s", c.Line, p.line, what, p.tail())
	return false
}

// get fetches a page of a running server: 200, and a body that matches.
func get(t *testing.T, c readmeCmd, g readmeGet) {
	cl := http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get(g.URL)
	if err != nil {
		t.Errorf("README.md:%d: GET %s: %v", c.Line, g.URL, err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !g.Body.Match(body) {
		t.Errorf("README.md:%d: GET %s: %s, want 200 and a body matching %s:\n%.500s", c.Line, g.URL, resp.Status, g.Body, body)
	}
}

// expect checks a finished command against what the data file promises.
func (e *readmeEnv) expect(t *testing.T, c readmeCmd, p *readmeProc, x *readmeExpect) {
	e.ran = append(e.ran, fmt.Sprintf("README.md:%d %6.1fs exit %d  %s", c.Line, p.took.Seconds(), p.code, p.line))
	if p.code != x.Exit {
		t.Errorf("README.md:%d: %s: exit %d, want %d%s", c.Line, p.line, p.code, x.Exit, p.tail())
	}
	for _, glob := range x.Files {
		if err := freshFiles(filepath.Join(e.root, glob), p.started); err != nil {
			t.Errorf("README.md:%d: %s: %v", c.Line, p.line, err)
		}
	}
	for _, s := range []struct {
		name string
		res  []*regexp.Regexp
	}{{"stdout", x.Stdout}, {"stderr", x.Stderr}} {
		if len(s.res) == 0 {
			continue
		}
		out := p.output(s.name)
		for _, re := range s.res {
			if !re.Match(out) {
				t.Errorf("README.md:%d: %s: no line of its %s matches %s:\n%.2000s", c.Line, p.line, s.name, re, out)
			}
		}
	}
}

// freshFiles checks that a glob names files, each non-empty and written
// since the command started.
func freshFiles(glob string, since time.Time) error {
	names, _ := filepath.Glob(glob)
	if len(names) == 0 {
		return fmt.Errorf("wrote no %s", filepath.Base(glob))
	}
	for _, n := range names {
		st, err := os.Stat(n)
		switch {
		case err != nil:
			return err
		case st.Size() == 0:
			return fmt.Errorf("%s is empty", filepath.Base(n))
		case st.ModTime().Before(since.Add(-50 * time.Millisecond)): // file times come from a coarse clock
			return fmt.Errorf("%s was not written by it (modified %v before it started)", filepath.Base(n), since.Sub(st.ModTime()))
		}
	}
	return nil
}
