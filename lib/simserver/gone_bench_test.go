package simserver

import (
	"net"
	"testing"
)

// The cost of watching a waiting request's client (two epoll_ctl calls).
func BenchmarkWatchConn(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, _ := net.Dial("tcp", ln.Addr().String())
		defer c.Close()
		select {}
	}()
	c, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for b.Loop() {
		_, stop := watchConn(c)
		stop()
	}
}
