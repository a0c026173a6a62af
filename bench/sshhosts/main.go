// Command sshhosts starts throwaway SSH test hosts (lib/sshtest) for the
// distributed benchmark and for trying pipelines/distributed.sh by hand:
// it writes their sshlogin file to -o, prints its path, and tears the hosts
// down on SIGINT, SIGTERM or when its stdin closes.
//
//	go run ./bench/sshhosts -n 4 -o hosts.txt &
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/perflab/perflab/lib/sshtest"
)

func main() {
	n := flag.Int("n", 4, "number of hosts (127.0.0.2, …)")
	out := flag.String("o", "hosts.txt", "write the sshlogin file here")
	noMux := flag.Bool("no-multiplex", false, "no ssh connection sharing: every connection pays a full login")
	stdin := flag.Bool("stdin", false, "also stop when stdin closes")
	flag.Parse()
	c, err := sshtest.Start(*n, sshtest.Options{NoMultiplex: *noMux})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sshhosts:", err)
		os.Exit(2)
	}
	defer c.Close()
	f, err := c.SSHLoginFile()
	if err == nil {
		var b []byte
		// whole or not at all: whoever waits for the file reads every host
		if b, err = os.ReadFile(f); err == nil {
			if err = os.WriteFile(*out+".tmp", b, 0o644); err == nil {
				err = os.Rename(*out+".tmp", *out)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sshhosts:", err)
		c.Close()
		os.Exit(2)
	}
	fmt.Println(*out)
	fmt.Fprintf(os.Stderr, "sshhosts: %s; Ctrl-C stops them\n", c)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	if *stdin {
		go func() { io.Copy(io.Discard, os.Stdin); stop <- syscall.SIGHUP }()
	}
	<-stop
}
