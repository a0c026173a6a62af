// Command soak keeps arssim and teasim busy at once with a mix of clients
// for a while — good ones that must each be answered at the model's time,
// slow ones (a header byte every few seconds), aborted ones (gone before
// their answer), malformed ones (garbage, a body over the limit) and silent
// ones — and checks that the simulators' memory (RSS) and goroutines stay
// flat, that every good request was answered at the model's time, and that
// aborted requests left no backlog. bench/run.sh soak runs it; exit 1 if a
// check fails.
//
//	go run ./bench/soak -seconds 600 -arssim bin/arssim -teasim bin/teasim
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	secs := flag.Int("seconds", 600, "length of the soak")
	ars := flag.String("arssim", "bin/arssim", "arssim binary")
	tea := flag.String("teasim", "bin/teasim", "teasim binary")
	model := flag.String("model-file", "bench/constant-2s.json", "arssim's lr model: a constant time, so every good request has the same model time")
	asProbe := flag.Bool("probe", false, "be the noise probe (internal)")
	flag.Parse()
	if *asProbe {
		probe()
		return
	}
	dur := time.Duration(*secs) * time.Second
	every := max(dur/20, 5*time.Second)
	sims := []*target{
		{name: "arssim", bin: *ars, args: []string{"--model", "lr", "--model-file", *model, "--time-scale", "0.05"},
			good: arssimGood, users: 40, path: "/fake_call", method: "POST", watched: true},
		// teasim's model takes 10–40 ms: under WatchAfter, its aborted requests run out their time
		{name: "teasim", bin: *tea, good: teasimGood, users: 20, path: "/tools.descartes.teastore.webui/product?id=42", method: "GET"},
	}
	for _, s := range sims {
		if err := s.start(); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			stopAll(sims)
			os.Exit(2)
		}
	}
	fmt.Printf("soak: %v; per simulator: good users (arssim 40 POSTs, 100 ms model each; teasim 20 browsing), 100 slow, 100 silent,\n"+
		"      an aborted request and a malformed one every 25 ms; a sample every %v\n", dur, every)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range sims {
		s.run(stop, &wg)
	}
	noise := probeNoise(stop, &wg)
	tick := time.NewTicker(every)
	end := time.After(dur)
	t0 := time.Now()
loop:
	for {
		select {
		case <-tick.C:
			for _, s := range sims {
				s.sample(time.Since(t0))
			}
		case <-end:
			break loop
		}
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // the aborted clients' last requests leave the model
	floor := noise()
	fmt.Printf("machine noise floor: a 10 ms sleep in an idle process beside them overslept %.3f ms at p99, %.3f ms at most\n", ms(quantile(floor, 0.99)), ms(quantile(floor, 1)))
	ok := true
	for _, s := range sims {
		ok = s.verdict(quantile(floor, 0.99)) && ok
	}
	stopAll(sims)
	if !ok {
		fmt.Println("soak: FAIL")
		os.Exit(1)
	}
	fmt.Println("soak: PASS")
}

func (s *target) start() error {
	s.port = freePort()
	args := append([]string{"--listen", "127.0.0.1:" + s.port}, s.args...)
	if s.name == "teasim" {
		args = append(args, "--logs-listen", "127.0.0.1:"+freePort())
	}
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		if _, err := s.state(); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not start: %s", s.name, s.stderr.String())
}

func stopAll(sims []*target) {
	for _, s := range sims {
		if s.cmd != nil && s.cmd.Process != nil {
			s.cmd.Process.Signal(os.Interrupt)
			s.cmd.Wait()
		}
	}
}

// probeNoise measures how late this machine wakes a sleeping process while
// the soak runs (other processes share its cores): the floor the
// simulators' lateness is judged against. The probe is this program run
// again as a child (-probe), mostly asleep like a simulator waiting for
// its requests' instants. The returned function ends it and gives its
// oversleeps, sorted.
func probeNoise(stop chan struct{}, wg *sync.WaitGroup) func() []time.Duration {
	cmd := exec.Command(os.Args[0], "-probe")
	in, _ := cmd.StdinPipe()
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "soak: noise probe:", err)
		return func() []time.Duration { return nil }
	}
	return func() []time.Duration {
		in.Close()
		cmd.Wait()
		var over []time.Duration
		for _, f := range strings.Fields(out.String()) {
			if n, err := strconv.ParseInt(f, 10, 64); err == nil {
				over = append(over, time.Duration(n))
			}
		}
		slices.Sort(over)
		return over
	}
}

// probe sleeps 10 ms at a time until stdin closes, then prints each
// oversleep in nanoseconds.
func probe() {
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	var over []time.Duration
	for {
		select {
		case <-done:
			for _, o := range over {
				fmt.Println(int64(o))
			}
			return
		default:
		}
		t := time.Now()
		time.Sleep(10 * time.Millisecond)
		over = append(over, time.Since(t)-10*time.Millisecond)
	}
}
