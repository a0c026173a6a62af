package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// DisplayName is how a path appears in messages: "-" is "stdin".
func DisplayName(path string) string {
	if path == "" || path == "-" {
		return "stdin"
	}
	return path
}

// OpenIn opens path for reading; "-" or "" is stdin. The error names the file.
func OpenIn(path string, stdin io.Reader) (io.ReadCloser, error) {
	if path == "" || path == "-" {
		return io.NopCloser(stdin), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, Usage(unwrapPath(path, err))
	}
	return f, nil
}

// Output is a file or stdout that remembers its first write error, named
// after the file, so no failed write goes unnoticed: check Err or Close.
type Output struct {
	// Name is how the output appears in messages ("stdout" for "-").
	Name string
	w    io.Writer
	f    *os.File // nil for stdout
	err  error
}

// CreateOut creates path for writing; "-" or "" is stdout. The error names
// the file.
func CreateOut(path string, stdout io.Writer) (*Output, error) {
	if path == "" || path == "-" {
		return &Output{Name: "stdout", w: stdout}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, Usage(unwrapPath(path, err))
	}
	return &Output{Name: path, w: f, f: f}, nil
}

// Write writes p, or returns the first error seen, "writing NAME: …".
func (o *Output) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err != nil {
		var pe *os.PathError // "write /dev/full: no space left on device" says the name twice
		if errors.As(err, &pe) {
			err = pe.Err
		}
		o.err = fmt.Errorf("writing %s: %w", o.Name, err)
	}
	return n, o.err
}

// Err is the first write error (nil if none).
func (o *Output) Err() error { return o.err }

// Close closes a file (never stdout) and returns the first error of the
// output's life.
func (o *Output) Close() error {
	if o.f != nil {
		if err := o.f.Close(); err != nil && o.err == nil {
			o.err = fmt.Errorf("writing %s: %w", o.Name, err)
		}
		o.f = nil
	}
	return o.err
}

// unwrapPath turns "open x: no such file" into "x: no such file or directory".
func unwrapPath(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", path, pe.Err)
	}
	return err
}
