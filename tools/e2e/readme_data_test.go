package e2e

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/cli/clitest"
)

// The two halves of the docs test's data: README.md's command blocks, and
// testdata/readme.txt, which says how each of their command lines is run
// and what it must do (the file's head explains its format).

// readmeBlock is one fenced block of README.md.
type readmeBlock struct {
	Line int    // the line of its opening fence
	Lang string // the fence's info string: sh, text, …
	Cmds []readmeCmd
}

// readmeCmd is one command line of a block, as written.
type readmeCmd struct {
	Line    int    // where it starts in README.md
	Cmd     string // the command, its comment cut off, continuation lines joined
	Comment string // its comment, without the #
}

// background says whether the command ends in a single &.
func (c readmeCmd) background() bool {
	return strings.HasSuffix(c.Cmd, "&") && !strings.HasSuffix(c.Cmd, "&&")
}

// readmeBlocks returns every fenced block of a Markdown text with its
// command lines: blank lines and comment lines are left out, a line ending in
// a backslash continues on the next.
func readmeBlocks(text string) []readmeBlock {
	var out []readmeBlock
	var cur *readmeBlock
	pending, start := "", 0
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "```") {
			if cur == nil {
				out = append(out, readmeBlock{Line: i + 1, Lang: strings.TrimSpace(l[3:])})
				cur = &out[len(out)-1]
			} else {
				cur = nil
			}
			continue
		}
		if cur == nil {
			continue
		}
		if pending == "" {
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(strings.TrimRight(l, " "), `\`); ok {
			pending += cont
			continue
		}
		if cmd, comment := cutComment(pending + l); cmd != "" {
			cur.Cmds = append(cur.Cmds, readmeCmd{Line: start, Cmd: cmd, Comment: comment})
		}
		pending = ""
	}
	return out
}

// cutComment cuts a shell comment (a # that starts a word outside quotes)
// off a command line; both come back trimmed.
func cutComment(l string) (cmd, comment string) {
	var quote byte
	for i := 0; i < len(l); i++ {
		switch c := l[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return strings.TrimSpace(l[:i]), strings.TrimSpace(l[i+1:])
		}
	}
	return strings.TrimSpace(l), ""
}

// readmeEntry is what testdata/readme.txt says about one README command.
type readmeEntry struct {
	Cmd       string        // the README command, as written
	Line      int           // where the entry starts in readme.txt
	Run       string        // what the test runs instead ("" runs Cmd)
	Ready     string        // a port, or "file NAME": when a server is up
	Interrupt time.Duration // Ctrl-C this long after it started (or is ready)
	Timeout   time.Duration // at most this long (default 90 s)
	Gets      []readmeGet   // pages fetched while it runs
	Needs     []string      // tools (or paths) that may be missing here
	Expect    []*readmeExpect
}

// readmeGet is a page fetched while a server runs: 200 and a body matching.
type readmeGet struct {
	URL  string
	Body *regexp.Regexp
}

// readmeExpect is what one command must do: the entry's own (Cmd empty),
// then one per "check:" command run after it.
type readmeExpect struct {
	Cmd            string
	Exit           int
	Files          []string // globs under the working directory
	Stdout, Stderr []*regexp.Regexp
}

// command is the line the test runs for the entry (the & of a background
// command dropped: the test starts it in the background itself).
func (e *readmeEntry) command() string {
	c := e.Cmd
	if e.Run != "" {
		c = e.Run
	}
	return strings.TrimSpace(strings.TrimSuffix(c, "&"))
}

// readEntries reads testdata/readme.txt.
func readEntries(path string) (map[string]*readmeEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]*readmeEntry{}
	var e *readmeEntry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			if out[cmd] != nil {
				return nil, fmt.Errorf("%s:%d: a second entry for %q", path, n, cmd)
			}
			e = &readmeEntry{Cmd: cmd, Line: n, Timeout: 90 * time.Second, Expect: []*readmeExpect{{}}}
			out[cmd] = e
			continue
		}
		key, val, ok := strings.Cut(l, ":")
		if e == nil || !ok {
			return nil, fmt.Errorf("%s:%d: expected \"$ README command\" or \"key: value\" after one", path, n)
		}
		if err := e.set(key, strings.TrimSpace(val)); err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %v", path, n, key, err)
		}
	}
	return out, sc.Err()
}

// set applies one "key: value" line to the entry.
func (e *readmeEntry) set(key, val string) (err error) {
	x := e.Expect[len(e.Expect)-1]
	switch key {
	case "run":
		e.Run = val
	case "ready":
		e.Ready = val
	case "interrupt":
		e.Interrupt, err = time.ParseDuration(val)
	case "timeout":
		e.Timeout, err = time.ParseDuration(val)
	case "needs":
		e.Needs = append(e.Needs, strings.Fields(val)...)
	case "get":
		url, re, _ := strings.Cut(val, " ")
		var body *regexp.Regexp
		body, err = regexp.Compile(strings.TrimSpace(re))
		e.Gets = append(e.Gets, readmeGet{url, body})
	case "check":
		e.Expect = append(e.Expect, &readmeExpect{Cmd: val})
	case "exit":
		x.Exit, err = strconv.Atoi(val)
	case "files":
		x.Files = append(x.Files, strings.Fields(val)...)
	case "stdout", "stderr":
		var re *regexp.Regexp
		if re, err = regexp.Compile("(?m)" + val); key == "stdout" {
			x.Stdout = append(x.Stdout, re)
		} else {
			x.Stderr = append(x.Stderr, re)
		}
	default:
		err = fmt.Errorf("unknown key")
	}
	return err
}

// checkEntries checks the README and the data against each other: every
// command of a runnable block has an entry and every entry a command; a
// variant keeps every word of the README's command, in order (it only adds
// bounds), and the README's comment says what it adds ("short: add …"); a
// background command waits for its server to be ready.
func checkEntries(blocks []readmeBlock, entries map[string]*readmeEntry) []string {
	var errs []string
	used := map[string]bool{}
	for _, b := range blocks {
		for _, c := range b.Cmds {
			e := entries[c.Cmd]
			switch {
			case e == nil:
				errs = append(errs, fmt.Sprintf("README.md:%d: %q has no entry in %s: add one (how to run it, what it must do)", c.Line, c.Cmd, readmeData))
			case c.background() && e.Ready == "":
				errs = append(errs, fmt.Sprintf("%s:%d: a background command needs \"ready:\"", readmeData, e.Line))
			case e.Run != "":
				if added, ok := addedWords(c.Cmd, e.Run); !ok {
					errs = append(errs, fmt.Sprintf("%s:%d: run: %q drops or reorders words of README.md:%d's %q: a short variant only adds", readmeData, e.Line, e.Run, c.Line, c.Cmd))
				} else if !strings.Contains(c.Comment, "short: ") || !strings.Contains(c.Comment, strings.Join(added, " ")) {
					errs = append(errs, fmt.Sprintf("README.md:%d: its comment does not say the short variant the docs test runs (%s:%d): (short: add %s)", c.Line, readmeData, e.Line, strings.Join(added, " ")))
				}
			}
			used[c.Cmd] = true
		}
	}
	for cmd, e := range entries {
		if !used[cmd] {
			errs = append(errs, fmt.Sprintf("%s:%d: %q is no longer in a ```sh block of README.md: remove or update the entry", readmeData, e.Line, cmd))
		}
	}
	slices.Sort(errs)
	return errs
}

// addedWords returns the words variant adds to cmd, and whether it holds
// every word of cmd, in order.
func addedWords(cmd, variant string) ([]string, bool) {
	a, errA := clitest.Split(cmd)
	b, errB := clitest.Split(variant)
	if errA != nil || errB != nil {
		return nil, false
	}
	var added []string
	for _, w := range b {
		if len(a) > 0 && w == a[0] {
			a = a[1:]
		} else {
			added = append(added, w)
		}
	}
	return added, len(a) == 0
}

// The docs test's own parsing: comments, continuation lines, fences, and
// what a short variant adds.
func TestReadmeParsing(t *testing.T) {
	t.Parallel()
	md := "text\n```sh\n# a comment line\nprintf '%s\\n' '#x' # says\n\nkubectl a \\\n  --b=\"$(date +%s)\"   # after\nx &\n```\n```text\nfire -t ARS_HOST:1\n```\n"
	want := []readmeBlock{
		{Line: 2, Lang: "sh", Cmds: []readmeCmd{
			{Line: 4, Cmd: `printf '%s\n' '#x'`, Comment: "says"},
			{Line: 6, Cmd: `kubectl a   --b="$(date +%s)"`, Comment: "after"},
			{Line: 8, Cmd: "x &"}}},
		{Line: 10, Lang: "text", Cmds: []readmeCmd{{Line: 11, Cmd: "fire -t ARS_HOST:1"}}},
	}
	if got := readmeBlocks(md); !reflect.DeepEqual(got, want) {
		t.Errorf("readmeBlocks:\n got %+v\nwant %+v", got, want)
	}
	if !(readmeCmd{Cmd: "x &"}).background() || (readmeCmd{Cmd: "a && b"}).background() {
		t.Error("background: a single trailing & only")
	}
	for _, c := range []struct {
		cmd, variant, added string
		ok                  bool
	}{
		{"rampctl --max-p99 2000ms", "rampctl --max-p99 2000ms --step-duration 2s", "--step-duration 2s", true},
		{"plan x --duration 2m | fire", "plan x --duration 2m --duration 3s | fire", "--duration 3s", true},
		{"rampctl --max-p99 2000ms", "rampctl --max-p99 1s", "", false},
		{"a b", "b a", "", false},
	} {
		added, ok := addedWords(c.cmd, c.variant)
		if ok != c.ok || (ok && strings.Join(added, " ") != c.added) {
			t.Errorf("addedWords(%q, %q) = %q, %v", c.cmd, c.variant, added, ok)
		}
	}
}
