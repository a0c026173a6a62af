package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

type readLine struct {
	line int
	typ  string
	text string
}

// readAll reads every line of in and returns what Next yielded and the
// warnings.
func readAll(t *testing.T, in string, strict bool) ([]readLine, string, error) {
	t.Helper()
	var warn bytes.Buffer
	p := &Problems{Tool: "tool", W: &warn, Max: 1 << 30, Strict: strict}
	r := NewReader(context.Background(), strings.NewReader(in), "in.log", p)
	var got []readLine
	for r.Next() {
		got = append(got, readLine{r.Line(), r.Type(), string(r.Bytes())})
	}
	return got, warn.String(), r.Err()
}

func TestReaderLines(t *testing.T) {
	long := strings.Repeat("x", MaxLine+1)
	cases := []struct {
		name, in string
		want     []readLine
		warn     string // a regexp the warnings must match ("" : none)
	}{
		{"text and records", "[ts] a\n{\"type\":\"sample\",\"x\":1}\n", []readLine{{1, "", "[ts] a"}, {2, "sample", `{"type":"sample","x":1}`}}, ""},
		{"blank lines and CRLF are skipped, numbers kept", "\r\n  \nabc\r\n\n{\"type\":\"end\"}", []readLine{{3, "", "abc"}, {5, "end", `{"type":"end"}`}}, ""},
		{"a record without a type is malformed", "{\"name\":\"x\"}\nok\n", []readLine{{2, "", "ok"}}, `^tool: warning: in.log:1: expected a JSON record with a "type"\n$`},
		{"broken JSON is malformed", "{\"type\":\n", nil, `in.log:1: expected a JSON record`},
		{"a type hidden in a nested object is not the record's", `{"a":{"type":"sample"}}` + "\n", nil, `in.log:1:`},
		{"an over-long line is malformed, the next one read", long + "\nnext\n", []readLine{{2, "", "next"}}, `in.log:1: line longer than 1048576 bytes`},
		{"an over-long last line without a newline", "a\n" + long, []readLine{{1, "", "a"}}, `in.log:2: line longer than`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, warn, err := readAll(t, c.in, false)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %v\nwant %v", got, c.want)
			}
			if c.warn == "" && warn != "" || c.warn != "" && !regexp.MustCompile(c.warn).MatchString(warn) {
				t.Errorf("warnings %q, want /%s/", warn, c.warn)
			}
		})
	}
}

func TestReaderStrictStopsAtTheFirstMalformedLine(t *testing.T) {
	got, warn, err := readAll(t, "a\n{}\nb\n", true)
	if len(got) != 1 || warn != "" {
		t.Fatalf("got %v, warnings %q", got, warn)
	}
	var me *MalformedError
	if !errors.As(err, &me) || err.Error() != `in.log:2: expected a JSON record with a "type"` {
		t.Fatalf("err %v", err)
	}
}

func TestProblemsShowsTwentyThenCounts(t *testing.T) {
	var in strings.Builder
	for i := 0; i < 30; i++ {
		in.WriteString("{}\n")
	}
	var warn bytes.Buffer
	p := &Problems{Tool: "t", W: &warn}
	r := NewReader(context.Background(), strings.NewReader(in.String()), "f", p)
	for r.Next() {
	}
	if p.Count() != 30 || strings.Count(warn.String(), "\n") != 21 ||
		!strings.HasSuffix(warn.String(), "t: warning: further malformed lines are counted, not shown\n") {
		t.Fatalf("count %d, warnings:\n%s", p.Count(), warn.String())
	}
}

// A record is never used as another type than the one it was read as.
func TestDecodeRefusesASecondType(t *testing.T) {
	var warn bytes.Buffer
	r := NewReader(context.Background(), strings.NewReader(`{"type":"interval","count":1,"type":"summary"}`+"\n"), "f", &Problems{Tool: "t", W: &warn})
	if !r.Next() || r.Type() != TypeInterval {
		t.Fatalf("type %q", r.Type())
	}
	var s Stats
	if r.Decode(&s) || !strings.Contains(warn.String(), `f:1: bad interval record: it also says "type":"summary"`) {
		t.Fatalf("decoded as %q; warnings %q", s.Type, warn.String())
	}
}

// The reader stops on cancellation even while blocked on a pipe that
// never delivers.
func TestReaderStopsWhenCancelledWhileBlocked(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r := NewReader(ctx, pr, "stdin", &Problems{})
	done := make(chan bool)
	go func() { done <- r.Next() }()
	pw.Write([]byte("first\n"))
	if !<-done || string(r.Bytes()) != "first" {
		t.Fatal("first line not read")
	}
	go func() { done <- r.Next() }()
	cancel()
	select {
	case ok := <-done:
		if ok || !errors.Is(r.Err(), context.Canceled) {
			t.Fatalf("Next %v, Err %v", ok, r.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next still blocked 10 s after cancel")
	}
}

// gatedReader's Read returns its data only when the gate opens.
type gatedReader struct {
	in, gate chan struct{}
	data     []byte
}

func (g *gatedReader) Read(p []byte) (int, error) {
	select {
	case g.in <- struct{}{}: // the first read is in flight
	default:
	}
	<-g.gate
	if len(g.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.data)
	g.data = g.data[n:]
	return n, nil
}

// Bytes a read took from the input just as the stop came are delivered,
// not dropped: what was read is measured.
func TestReaderDeliversWhatWasReadWhenStopped(t *testing.T) {
	for i := 0; i < 20; i++ {
		g := &gatedReader{in: make(chan struct{}, 1), gate: make(chan struct{}), data: []byte("a\nb\n")}
		ctx, cancel := context.WithCancel(context.Background())
		r := NewReader(ctx, g, "stdin", &Problems{})
		done := make(chan []string)
		go func() {
			var got []string
			for r.Next() {
				got = append(got, string(r.Bytes()))
			}
			done <- got
		}()
		<-g.in
		cancel()
		close(g.gate) // the read in flight returns its bytes just after the stop
		if got := <-done; len(got) != 2 {
			t.Fatalf("round %d: read %q, want both lines", i, got)
		}
	}
}

func TestReadErrorNamesTheInput(t *testing.T) {
	r := NewReader(context.Background(), io.MultiReader(strings.NewReader("a\n"), iotestErr{}), "big.log", &Problems{})
	for r.Next() {
	}
	if r.Err() == nil || r.Err().Error() != "reading big.log: disk on fire" {
		t.Fatalf("err %v", r.Err())
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

var warnLine = regexp.MustCompile(`^t: warning: f:(\d+): `)

// Every non-blank line is accounted for exactly once: yielded with its
// number, or reported malformed with its number; a yielded line is whole
// (no line end, at most MaxLine bytes); a decoded record keeps its type.
func FuzzReader(f *testing.F) {
	f.Add([]byte("[2020-06-30 15:20:02,168] h/INFO/x: Response time 2020 ms\n{\"type\":\"sample\"}\r\n\n{}\n"))
	f.Add([]byte(`{"type":"interval","type":"summary"}` + "\n" + `{"a":{"type":"x"}}`))
	f.Add([]byte("  {\"type\":\"x\"}\n\t\r\n{\"type\":\"a\\\"b\"}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var warn bytes.Buffer
		p := &Problems{Tool: "t", W: &warn, Max: 1 << 30}
		r := NewReader(context.Background(), bytes.NewReader(in), "f", p)
		seen := map[int]bool{}
		last := 0
		for r.Next() {
			b := r.Bytes()
			if r.Line() <= last || len(b) == 0 || len(b) > MaxLine || bytes.ContainsAny(b, "\n") {
				t.Fatalf("line %d after %d: %q", r.Line(), last, b)
			}
			last = r.Line()
			seen[r.Line()] = true
			if r.Type() != "" {
				if b[0] != '{' {
					t.Fatalf("type %q for a line not starting with {: %q", r.Type(), b)
				}
				v := New(r.Type())
				if v == nil {
					v = &struct{ Type string }{}
				}
				if r.Decode(v) {
					if typ, _ := typeField(v); typ != r.Type() {
						t.Fatalf("read as %q, decoded as %q: %q", r.Type(), typ, b)
					}
				}
			}
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		for _, w := range strings.Split(strings.TrimSuffix(warn.String(), "\n"), "\n") {
			if m := warnLine.FindStringSubmatch(w); m != nil {
				n, _ := strconv.Atoi(m[1])
				seen[n] = true
			}
		}
		for i, l := range bytes.Split(in, []byte("\n")) {
			blank := len(bytes.Trim(l, "\r\n \t")) == 0
			if !blank && !seen[i+1] {
				t.Fatalf("line %d (%q) neither read nor reported", i+1, l)
			}
		}
	})
}
