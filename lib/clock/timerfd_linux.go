package clock

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

type timerfd struct {
	f   *os.File
	buf [8]byte
}

func newKernelTimer() (kernelTimer, bool) {
	const tfdNonblock, tfdCloexec = 0x800, 0x80000
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, 1 /* CLOCK_MONOTONIC */, tfdNonblock|tfdCloexec, 0)
	if errno != 0 {
		return nil, false
	}
	// a non-blocking fd: os.File reads it through Go's poller
	return &timerfd{f: os.NewFile(fd, "timerfd")}, true
}

func (t *timerfd) set(d time.Duration) {
	spec := [2]syscall.Timespec{{}, syscall.NsecToTimespec(int64(d))} // one-shot: interval 0, value d
	syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, t.f.Fd(), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
}

func (t *timerfd) wait() { t.f.Read(t.buf[:]) }
