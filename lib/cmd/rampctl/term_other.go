//go:build !linux

package rampctl

import (
	"io"
	"os"
)

// isTerminal: w is a character device (a terminal, most likely).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
