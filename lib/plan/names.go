package plan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perflab/perflab/lib/record"
)

// MaxNames is the most request names a list may hold: each becomes a step of
// one scenario record, and that record must stay one line a reader takes
// (MaxLine).
const MaxNames = 100_000

// RequestNames reads a request-name list (All_Request_Names.log: one name a
// line) into POST steps, leaving out the names in skip. Errors name the
// file (and line).
func RequestNames(path string, skip ...string) ([]record.Request, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %v", path, pe.Err)
		}
		return nil, err
	}
	defer f.Close()
	return ReadRequestNames(context.Background(), f, path, skip...)
}

// ReadRequestNames reads a request-name list from r (name is for errors).
// A name becomes the path /NAME, so it must be a plain path segment:
// letters, digits, "-", ".", "_" and "~".
func ReadRequestNames(ctx context.Context, r io.Reader, name string, skip ...string) ([]record.Request, error) {
	rd := inputReader(ctx, r, name)
	var steps []record.Request
	for rd.Next() {
		n := strings.TrimSpace(string(rd.Bytes()))
		if !plainSegment(n) {
			return nil, lineError(rd, "request name %s: expected one plain path segment (letters, digits, - . _ ~)", short(n))
		}
		if slices.Contains(skip, n) {
			continue
		}
		if len(steps) == MaxNames {
			return nil, lineError(rd, "expected at most %d request names", MaxNames)
		}
		steps = append(steps, record.Request{Name: n, Method: "POST", Path: "/" + n, Body: `{"id":"070010"}`,
			Headers: map[string]string{"Content-Type": "application/json"}})
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("%s: no request names", name)
	}
	return steps, nil
}

// plainSegment reports whether s is a non-empty path segment of unreserved
// characters only (RFC 3986), safe in a path without escaping.
func plainSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return false
		}
	}
	return true
}

// NamesBeside returns the All_Request_Names.log next to a trace file, if any.
func NamesBeside(trace string) string {
	p := filepath.Join(filepath.Dir(trace), "All_Request_Names.log")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}
