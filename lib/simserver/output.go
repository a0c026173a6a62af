package simserver

import (
	"io"
	"sync/atomic"
	"time"
)

// Output is a simulator's log or event file (--log, --events) that never
// fails silently and never stops the simulator: a write that fails (a full
// disk, a closed pipe) is counted, its bytes counted as lost, and reported
// on stderr at most once per 10 s with the count of failures held back.
// Later writes are tried again, so the file resumes when space returns.
type Output struct {
	w    io.Writer
	flag string // "--log ars.log": how the report names the file
	log  *QuietLog

	errors atomic.Int64
	lost   atomic.Int64
}

// NewOutput wraps w, which the flag named; reports go to stderr prefixed with name.
func NewOutput(w io.Writer, flag string, stderr io.Writer, name string) *Output {
	return &Output{w: w, flag: flag, log: &QuietLog{W: stderr, Name: name, Every: 10 * time.Second}}
}

// Write writes p; on an error it counts and reports it and claims success,
// so a buffered writer in front keeps working instead of sticking on it.
func (o *Output) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil {
		o.errors.Add(1)
		o.lost.Add(int64(len(p) - n))
		o.log.Printf("%s: write failed: %v (%d failed writes, %d bytes lost so far)", o.flag, err, o.errors.Load(), o.lost.Load())
	}
	return len(p), nil
}

// Errors is the number of failed writes.
func (o *Output) Errors() int64 {
	if o == nil {
		return 0
	}
	return o.errors.Load()
}

// Lost is the number of bytes that could not be written.
func (o *Output) Lost() int64 {
	if o == nil {
		return 0
	}
	return o.lost.Load()
}
