// Package clitest runs a tool's Run in process against a data file of cases
// (arguments, files, stdin; expected stdout, stderr and exit code), as gojq's
// cli tests do: a case is data, not code.
//
// A case file holds cases, each starting with a "=== name" line, then
// "key: value" lines and "--- section" blocks:
//
//	=== histo: an empty input is an error
//	args: -q $DIR/empty.log
//	exit: 2
//	--- file empty.log
//	--- stdout
//	--- stderr
//	histo: $DIR/empty.log: no response-time line or record found
//
// Keys: args (split like a shell: '…' and "…" quote), exit (default 0).
// Sections: "file NAME" (written into the case's temporary $DIR first),
// stdin, stdout and stderr (the exact text, each line ending in a newline;
// an empty section means empty; trailing blank lines are not part of it),
// "stdout match" and "stderr match" (each line a regular expression that
// must match a line of the output, in order). An output with no section is
// not checked. $DIR and $SHARED (the repository's ../shared) are replaced in
// args, files, stdin and expectations. Lines starting with "#" before the
// first case are comments.
package clitest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/cli"
)

// Case is one parsed case.
type Case struct {
	Name     string
	Line     int // where the case starts in its file
	Args     string
	Exit     int
	Files    map[string]string
	Sections map[string]*string // stdin, stdout, stderr, stdout match, stderr match
}

// Run runs every case of the file at path against run, each as a subtest.
func Run(t *testing.T, path string, run cli.RunFunc) {
	t.Helper()
	cases, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s: no cases", path)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			c.check(t, path, run)
		})
	}
}

func (c *Case) check(t *testing.T, path string, run cli.RunFunc) {
	dir := t.TempDir()
	sub := strings.NewReplacer("$DIR", dir, "$SHARED", sharedDir()).Replace
	for name, body := range c.Files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(sub(body)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args, err := Split(sub(c.Args))
	if err != nil {
		t.Fatalf("%s:%d: args: %v", path, c.Line, err)
	}
	var stdin string
	if s := c.Sections["stdin"]; s != nil {
		stdin = sub(*s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb)
	where := fmt.Sprintf("%s:%d", path, c.Line)
	if code != c.Exit {
		t.Errorf("%s: exit %d, want %d\nstderr:\n%s", where, code, c.Exit, errb.String())
	}
	for _, o := range []struct {
		name string
		got  string
	}{{"stdout", out.String()}, {"stderr", errb.String()}} {
		if want := c.Sections[o.name]; want != nil && o.got != sub(*want) {
			t.Errorf("%s: %s:\n%s\nwant:\n%s", where, o.name, o.got, sub(*want))
		}
		if pats := c.Sections[o.name+" match"]; pats != nil {
			if err := matchLines(o.got, sub(*pats)); err != nil {
				t.Errorf("%s: %s: %v\ngot:\n%s", where, o.name, err, o.got)
			}
		}
	}
}

// matchLines checks that each pattern matches a line of got, in order.
func matchLines(got, pats string) error {
	lines := strings.Split(got, "\n")
	i := 0
	for _, p := range strings.Split(strings.TrimSuffix(pats, "\n"), "\n") {
		if p == "" {
			continue
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return fmt.Errorf("pattern %q: %v", p, err)
		}
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			return fmt.Errorf("no line (in order) matches %q", p)
		}
		i++
	}
	return nil
}

// Read parses a case file.
func Read(path string) ([]*Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cases []*Case
	var cur *Case
	var sec *strings.Builder
	var secName string
	endSection := func() {
		if sec != nil {
			s := strings.TrimRight(sec.String(), "\n") // blank lines between cases are not output
			if s != "" {
				s += "\n"
			}
			if strings.HasPrefix(secName, "file ") {
				cur.Files[strings.TrimPrefix(secName, "file ")] = s
			} else {
				cur.Sections[secName] = &s
			}
		}
		sec = nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== "):
			if cur != nil {
				endSection()
			}
			cur = &Case{Name: strings.TrimPrefix(line, "=== "), Line: n, Files: map[string]string{}, Sections: map[string]*string{}}
			cases = append(cases, cur)
		case cur == nil:
			if line != "" && !strings.HasPrefix(line, "#") {
				return nil, fmt.Errorf("%s:%d: expected \"=== name\" to start a case", path, n)
			}
		case strings.HasPrefix(line, "--- "):
			endSection()
			secName, sec = strings.TrimPrefix(line, "--- "), &strings.Builder{}
			if !validSection(secName) {
				return nil, fmt.Errorf("%s:%d: unknown section %q", path, n, secName)
			}
		case sec != nil:
			sec.WriteString(line + "\n")
		default:
			if err := cur.setKey(line); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, n, err)
			}
		}
	}
	if cur != nil {
		endSection()
	}
	return cases, sc.Err()
}

func validSection(s string) bool {
	switch s {
	case "stdin", "stdout", "stderr", "stdout match", "stderr match":
		return true
	}
	return strings.HasPrefix(s, "file ") && len(s) > 5
}

func (c *Case) setKey(line string) error {
	if strings.TrimSpace(line) == "" {
		return nil
	}
	k, v, ok := strings.Cut(line, ":")
	if !ok {
		return fmt.Errorf("expected \"key: value\", \"--- section\" or \"=== name\"")
	}
	v = strings.TrimSpace(v)
	switch k {
	case "args":
		c.Args = v
	case "exit":
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("exit: %v", err)
		}
		c.Exit = n
	default:
		return fmt.Errorf("unknown key %q", k)
	}
	return nil
}

// Split splits a command line like a shell: blanks separate words, '…'
// quotes literally, "…" quotes with \" and \\ escapes.
func Split(s string) ([]string, error) {
	var out []string
	var w strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == ' ' || ch == '\t':
			if in {
				out, in = append(out, w.String()), false
				w.Reset()
			}
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i, in = i+1+j, true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			in = true
		default:
			w.WriteByte(ch)
			in = true
		}
	}
	if in {
		out = append(out, w.String())
	}
	return out, nil
}

// sharedDir finds ../shared beside the repository (the domain data).
func sharedDir() string {
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared")
		}
	}
	return filepath.Join(dir, "shared")
}
