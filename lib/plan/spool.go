package plan

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// SpoolMemory is how much of a plan a Spool holds in memory before it moves
// to a temporary file (a day-long trace played as a plan is about 6 MB).
const SpoolMemory = 16 << 20

// Spool holds a plan until it is complete, so that a plan read from a file
// (a trace, a profile) is written whole or not at all: a bad line near the
// end of a day-long trace must not leave fire running the part before it.
// Up to SpoolMemory bytes stay in memory, the rest goes to a temporary file
// that is unlinked at once (nothing is left behind, even after a kill).
type Spool struct {
	mem bytes.Buffer
	f   *os.File
	err error
}

// Write adds p to the spool.
func (s *Spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.f == nil && s.mem.Len()+len(p) <= SpoolMemory {
		return s.mem.Write(p)
	}
	if s.f == nil {
		if s.f, s.err = os.CreateTemp("", "plan-spool-*"); s.err != nil {
			s.err = fmt.Errorf("spooling the plan: %v", s.err)
			return 0, s.err
		}
		os.Remove(s.f.Name()) // the open file stays readable
		if _, s.err = s.mem.WriteTo(s.f); s.err != nil {
			return 0, s.spoolErr()
		}
	}
	n, err := s.f.Write(p)
	if err != nil {
		s.err = err
		return n, s.spoolErr()
	}
	return n, nil
}

func (s *Spool) spoolErr() error {
	s.err = fmt.Errorf("spooling the plan in %s: %v", s.f.Name(), s.err)
	return s.err
}

// WriteTo writes the whole spooled plan to w.
func (s *Spool) WriteTo(w io.Writer) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.f == nil {
		return s.mem.WriteTo(w)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		s.err = err
		return 0, s.spoolErr()
	}
	return copyOut(w, s.f)
}

// copyOut copies r to w, telling a failed write (w's error, returned as it
// is) from a failed read of the spool.
func copyOut(w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var total int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, fmt.Errorf("reading the spooled plan: %v", rerr)
		}
	}
}

// Close releases the spool (its file, if any).
func (s *Spool) Close() error {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	s.mem.Reset()
	return nil
}
