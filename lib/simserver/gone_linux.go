package simserver

import (
	"sync"
	"syscall"
)

// goneWatcher keeps one epoll set of the descriptors of connections whose
// request waits in the model, asking only for the peer's hang-up
// (EPOLLRDHUP), and closes a request's channel when it comes. One
// goroutine serves every waiting request: a watch costs two epoll_ctl
// calls, not a goroutine or a read.
type goneWatcher struct {
	epfd int
	mu   sync.Mutex
	next uint64
	wait map[uint64]chan struct{}
}

var watcher = sync.OnceValue(func() *goneWatcher {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil // no epoll: requests are not watched
	}
	w := &goneWatcher{epfd: fd, wait: map[uint64]chan struct{}{}}
	go w.loop()
	return w
})

func (w *goneWatcher) watch(rc syscall.RawConn) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	w.mu.Lock()
	w.next++
	tok := w.next
	w.wait[tok] = ch
	w.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(tok), Pad: int32(tok >> 32)}
	var cerr error
	err := rc.Control(func(fd uintptr) { cerr = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev) })
	if err != nil || cerr != nil {
		w.forget(tok)
		return nil, noop
	}
	return ch, func() {
		w.forget(tok)
		// the connection is still open: its worker closes it only after
		// the handler returns, so the descriptor is still this one
		rc.Control(func(fd uintptr) { syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil) })
	}
}

func (w *goneWatcher) forget(tok uint64) {
	w.mu.Lock()
	delete(w.wait, tok)
	w.mu.Unlock()
}

func (w *goneWatcher) loop() {
	evs := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(w.epfd, evs, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		w.mu.Lock()
		for _, ev := range evs[:n] {
			tok := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if ch, ok := w.wait[tok]; ok {
				delete(w.wait, tok)
				close(ch)
			}
		}
		w.mu.Unlock()
	}
}
