package live

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/plot"
	"github.com/perflab/perflab/lib/record"
)

// Keep is how many intervals, steps and events a followed file holds at
// most (the oldest go first), so a long run's view needs bounded memory.
const Keep = 3600

// chunk is how much of a file one poll reads at most.
const chunk = 1 << 20

// follower follows one growing file: it reads what was appended since the
// last poll, passes complete lines to a record reader and keeps what they
// hold in data. A file that shrinks or is replaced (truncated, rotated) is
// read again from its start.
type follower struct {
	path string
	p    *record.Problems

	mu       sync.Mutex
	data     *plot.Data
	restarts int // times the file was truncated or replaced
	err      string

	off     int64
	ino     uint64
	pending []byte // a last line not yet complete
	pw      *io.PipeWriter
	done    chan struct{}
}

func newFollower(path string, p *record.Problems) *follower {
	return &follower{path: path, p: p, data: &plot.Data{Name: path, File: path}}
}

// run polls the file every interval until ctx ends.
func (f *follower) run(ctx context.Context, every time.Duration, changed func()) {
	defer f.closePipe()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if f.poll(ctx) {
			changed()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll reads what is new; it reports whether anything was.
func (f *follower) poll(ctx context.Context) bool {
	fh, err := os.Open(f.path)
	if err != nil {
		f.setErr(err.Error())
		return false
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		f.setErr(err.Error())
		return false
	}
	f.setErr("")
	if ino := inode(st); st.Size() < f.off || f.ino != 0 && ino != f.ino {
		f.restart(ctx)
	}
	f.ino = inode(st)
	if st.Size() == f.off {
		return false
	}
	buf := make([]byte, min(st.Size()-f.off, chunk))
	n, err := fh.ReadAt(buf, f.off)
	if err != nil && !errors.Is(err, io.EOF) {
		f.setErr(err.Error())
	}
	f.off += int64(n)
	f.feed(ctx, buf[:n])
	return n > 0
}

// feed passes the complete lines of b to the reader and keeps the rest.
func (f *follower) feed(ctx context.Context, b []byte) {
	f.pending = append(f.pending, b...)
	i := bytes.LastIndexByte(f.pending, '\n')
	if i < 0 && len(f.pending) <= record.MaxLine {
		return
	}
	if i < 0 { // over-long: the reader reports it as malformed
		f.pending = append(f.pending, '\n')
		i = len(f.pending) - 1
	}
	if f.pw == nil {
		f.startReader(ctx)
	}
	f.pw.Write(f.pending[:i+1])
	f.pending = append(f.pending[:0], f.pending[i+1:]...)
}

// startReader starts the goroutine that decodes the lines fed to the pipe.
func (f *follower) startReader(ctx context.Context) {
	pr, pw := io.Pipe()
	f.pw, f.done = pw, make(chan struct{})
	rd := record.NewReader(ctx, pr, f.path, f.p)
	data, done := f.data, f.done
	go func() {
		defer close(done)
		for rd.Next() {
			f.mu.Lock()
			data.Take(rd)
			data.Trim(Keep)
			f.mu.Unlock()
		}
		pr.CloseWithError(io.EOF)
	}()
}

// restart forgets the file's old content: it was truncated or replaced.
func (f *follower) restart(ctx context.Context) {
	f.closePipe()
	f.mu.Lock()
	f.data = &plot.Data{Name: f.path, File: f.path}
	f.restarts++
	f.mu.Unlock()
	f.off, f.pending = 0, f.pending[:0]
}

func (f *follower) closePipe() {
	if f.pw != nil {
		f.pw.Close()
		<-f.done
		f.pw = nil
	}
}

func (f *follower) setErr(s string) {
	f.mu.Lock()
	f.err = s
	f.mu.Unlock()
}

// snapshot copies what the file holds now.
func (f *follower) snapshot() (d plot.Data, restarts int, err string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d = *f.data
	d.Intervals = append([]record.Stats(nil), d.Intervals...)
	d.Steps = append([]record.Step(nil), d.Steps...)
	d.Events = append([]record.Event(nil), d.Events...)
	return d, f.restarts, f.err
}
