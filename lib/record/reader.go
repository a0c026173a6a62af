package record

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"
)

// MaxLine is the longest line a Reader accepts (1 MiB: a statistics record
// with a large encoded histogram fits many times over). A longer line is
// malformed, never silently dropped.
const MaxLine = 1 << 20

// Problems is the one policy for lines a tool cannot use: each is a
// warning naming file and line (at most Max of them, the rest counted), the
// count goes into the tool's output, and with Strict the first one is an
// error. One Problems is shared by every input of a run.
type Problems struct {
	Tool   string    // warning prefix, e.g. "histo"
	W      io.Writer // where warnings go (stderr); nil: nowhere
	Max    int       // warnings printed at most (0: 20)
	Strict bool      // the first malformed line is an error (--strict)

	mu    sync.Mutex
	count int64
}

// Malformed reports that line of file name could not be used because of
// err. It returns an error (naming file and line) only with Strict.
func (p *Problems) Malformed(name string, line int, err error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	msg := &MalformedError{Name: name, Line: line, Err: err}
	if p.Strict {
		return msg
	}
	max := p.Max
	if max == 0 {
		max = 20
	}
	if p.W != nil && p.count <= int64(max) {
		fmt.Fprintf(p.W, "%s: warning: %v\n", p.Tool, msg)
		if p.count == int64(max) {
			fmt.Fprintf(p.W, "%s: warning: further malformed lines are counted, not shown\n", p.Tool)
		}
	}
	return nil
}

// MalformedError is a line that could not be used: "file:line: why".
type MalformedError struct {
	Name string
	Line int
	Err  error
}

func (e *MalformedError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err) }
func (e *MalformedError) Unwrap() error { return e.Err }

// Count is the number of malformed lines so far.
func (p *Problems) Count() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// Reader reads one input line by line and tells JSON records (by their type)
// from text lines (Locust logs, the original executor's lines). Malformed
// lines go to its Problems. It stops when ctx is cancelled, even while
// blocked reading a pipe.
type Reader struct {
	name string
	br   *bufio.Reader
	p    *Problems
	line int
	raw  []byte
	typ  string
	err  error
	long []byte // the pieces of an over-long line
}

// NewReader reads r, named name in messages (a file name, or "stdin").
func NewReader(ctx context.Context, r io.Reader, name string, p *Problems) *Reader {
	if ctx != nil && ctx.Done() != nil {
		r = &ctxReader{ctx: ctx, r: r}
	}
	return &Reader{name: name, br: bufio.NewReaderSize(r, 64<<10), p: p}
}

// Next advances to the next non-empty line. It returns false at the end of
// the input, on a read error, on cancellation, or (Strict) on a malformed
// line; Err tells which.
func (r *Reader) Next() bool {
	for r.err == nil {
		b, err := r.readLine()
		if err != nil {
			if err != io.EOF {
				r.err = err
			}
			return false
		}
		if b == nil { // over-long, reported
			continue
		}
		b = trimEnd(b)
		if blank(b) {
			continue
		}
		r.raw, r.typ = b, ""
		if b[0] == '{' {
			t, ok := typeOf(b)
			if !ok {
				r.Malformed(errors.New("expected a JSON record with a \"type\""))
				continue
			}
			r.typ = t
		}
		return true
	}
	return false
}

// trimEnd cuts the line end and trailing blanks (bytes.TrimRight builds a
// set per call: a tenth of a log's reading time).
func trimEnd(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case '\r', '\n', ' ', '\t':
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}

// blank reports whether b holds only spaces and tabs.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// readLine returns the next line; nil for an over-long one (reported as
// malformed). A last line without a newline is returned as it is.
func (r *Reader) readLine() ([]byte, error) {
	for {
		b, err := r.br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			r.long = append(r.long, b...)
			if len(r.long) > MaxLine {
				r.skipRest()
				return nil, r.err
			}
			continue
		case len(b) == 0 && len(r.long) == 0 && err != nil:
			return nil, err
		}
		r.line++
		if r.long != nil {
			b = append(r.long, b...)
			r.long = nil
			if len(b) > MaxLine {
				r.Malformed(fmt.Errorf("line longer than %d bytes", MaxLine))
				return nil, nil
			}
		}
		if err != nil && err != io.EOF {
			r.err = err
		}
		return b, nil
	}
}

// skipRest discards the rest of an over-long line and reports it.
func (r *Reader) skipRest() {
	r.long = nil
	var err error = bufio.ErrBufferFull
	for err == bufio.ErrBufferFull {
		_, err = r.br.ReadSlice('\n')
	}
	r.line++
	r.Malformed(fmt.Errorf("line longer than %d bytes", MaxLine))
	if err != nil && err != io.EOF {
		r.err = err
	}
}

// Bytes is the current line without its line end; valid until Next.
func (r *Reader) Bytes() []byte { return r.raw }

// Type is the current line's record type, "" for a line that is not a JSON
// object (a Locust log line, say).
func (r *Reader) Type() string { return r.typ }

// Line is the current line's number, from 1.
func (r *Reader) Line() int { return r.line }

// Name is the input's name.
func (r *Reader) Name() string { return r.name }

// Decode decodes the current line into v. A line that does not decode is
// reported as malformed and Decode returns false; so is one whose decoded
// "type" is not the one it was read as (a second "type" key, say), so a
// record is never used as another type.
func (r *Reader) Decode(v any) bool {
	if err := json.Unmarshal(r.raw, v); err != nil {
		r.Malformed(fmt.Errorf("bad %s record: %v", r.typ, err))
		return false
	}
	if t, ok := typeField(v); ok && t != r.typ {
		r.Malformed(fmt.Errorf("bad %s record: it also says \"type\":%q", r.typ, t))
		return false
	}
	return true
}

// typeField returns the Type field of a pointer to a record struct.
func typeField(v any) (string, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return "", false
	}
	f := rv.Elem().FieldByName("Type")
	if !f.IsValid() || f.Kind() != reflect.String {
		return "", false
	}
	return f.String(), true
}

// Malformed reports the current line as unusable (a warning, counted; with
// Strict it ends the input with that error).
func (r *Reader) Malformed(err error) {
	if e := r.p.Malformed(r.name, r.line, err); e != nil && r.err == nil {
		r.err = e
	}
}

// Err is why Next returned false: nil at the end of the input, else a read
// error (naming the input), the context's error, or (Strict) the first
// malformed line.
func (r *Reader) Err() error {
	var me *MalformedError
	switch {
	case r.err == nil, errors.As(r.err, &me):
		return r.err
	case errors.Is(r.err, context.Canceled), errors.Is(r.err, context.DeadlineExceeded):
		return r.err
	}
	return fmt.Errorf("reading %s: %v", r.name, r.err)
}

// typeOf finds the "type" of a JSON object line without decoding all of it:
// readers skip most records, and a full decode of each would be most of
// their time. A type hidden in a nested object is not the record's, so the
// fast path only takes a "type" key at the top level before any nesting.
func typeOf(b []byte) (string, bool) {
	if i := bytes.Index(b, []byte(`"type":"`)); i > 0 && !bytes.ContainsAny(b[1:i], "{[") {
		rest := b[i+8:]
		if j := bytes.IndexByte(rest, '"'); j >= 0 && bytes.IndexByte(rest[:j], '\\') < 0 {
			return string(rest[:j]), true
		}
	}
	var t struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(b, &t) != nil || t.Type == "" {
		return "", false
	}
	return t.Type, true
}

// ctxReader makes a blocking Read return when ctx is cancelled (the read
// itself is left to finish in the background: the process is stopping).
// Bytes a read has already taken from the input are never dropped: a stop
// delivers them first.
type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	res     chan readResult
	busy    bool
	buf     []byte
	pending []byte // read, not yet delivered (a later Read asked for less)
	pendErr error  // the error that came with pending, after it
}

type readResult struct {
	n   int
	err error
}

// stopGrace is how long a cancelled Read waits for a read in flight that
// may have just returned (the goroutine between its system call and its
// result): long enough for that, short for a stop.
const stopGrace = 50 * time.Millisecond

func (c *ctxReader) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		if c.pending = c.pending[n:]; len(c.pending) == 0 {
			return n, c.pendErr
		}
		return n, nil
	}
	if !c.busy {
		if err := c.ctx.Err(); err != nil {
			return 0, err
		}
		if c.res == nil {
			c.res = make(chan readResult, 1)
		}
		if cap(c.buf) < len(p) {
			c.buf = make([]byte, len(p))
		}
		buf := c.buf[:len(p)]
		c.busy = true
		go func() {
			n, err := c.r.Read(buf)
			c.res <- readResult{n, err}
		}()
	}
	select {
	case res := <-c.res:
		return c.deliver(p, res)
	case <-c.ctx.Done():
	}
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case res := <-c.res:
		return c.deliver(p, res)
	case <-t.C:
		return 0, c.ctx.Err()
	}
}

func (c *ctxReader) deliver(p []byte, res readResult) (int, error) {
	c.busy = false
	n := copy(p, c.buf[:res.n])
	if n < res.n {
		c.pending, c.pendErr = append(c.pending[:0], c.buf[n:res.n]...), res.err
		return n, nil
	}
	return n, res.err
}
