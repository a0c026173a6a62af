//go:build !linux

package simserver

import "syscall"

type goneWatcher struct{}

// watcher is nil without epoll: requests are not watched.
func watcher() *goneWatcher { return nil }

func (w *goneWatcher) watch(syscall.RawConn) (<-chan struct{}, func()) { return nil, noop }
