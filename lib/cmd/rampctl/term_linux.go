package rampctl

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// isTerminal: w is a terminal (not merely a character device: /dev/null
// is one too, and a run with 2>/dev/null is not watched).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}
