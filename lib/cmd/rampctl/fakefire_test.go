package rampctl

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/jsonl"
	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
)

// The test binary doubles as a fake fire (TestMain runs fakeFire when
// fakeFireEnv is set, which the tests set for their children): a closed
// system of one FIFO server whose every response takes exactly
// max(service, users × service − think), so a level's numbers are known to
// the microsecond. Its behaviour comes from --target, "key=value,…":
//
//	service=DUR   the server's time per request (default 1ms)
//	count=N       responses in a level's interval record (default 1000)
//	realtime      send an interval record every --interval, as fire does,
//	              instead of one record spanning the level at once
//	exit=N        exit with code N after the plan header ("fake fire: exit N" on stderr)
//	die=U         exit 1 when a level of at least U users starts
//	garbage       write a malformed line to the feedback first
//
// Without realtime, a level's one record spans [now+12h, now+24h]: it lies
// after any warm-up and ends after any level's deadline, so the level is
// measured at once and the test does not depend on the clock.
const fakeFireEnv = "RAMPCTL_TEST_FAKE_FIRE"

type fakeSpec struct {
	service  time.Duration
	count    int
	realtime bool
	exit     int
	die      int
	garbage  bool
}

func parseFakeSpec(s string) (fakeSpec, error) {
	sp := fakeSpec{service: time.Millisecond, count: 1000, exit: -1}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "service":
			sp.service, err = time.ParseDuration(v)
		case "count":
			sp.count, err = strconv.Atoi(v)
		case "realtime":
			sp.realtime = true
		case "exit":
			sp.exit, err = strconv.Atoi(v)
		case "die":
			sp.die, err = strconv.Atoi(v)
		case "garbage":
			sp.garbage = true
		case "", ":1337":
		default:
			err = fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return sp, fmt.Errorf("--target %q: %v", s, err)
		}
	}
	return sp, nil
}

// fakeArgs are the fire flags the fake reads.
type fakeArgs struct {
	target, feedback, segment, run string
	interval                       time.Duration
}

func parseFakeArgs(args []string) fakeArgs {
	a := fakeArgs{feedback: "/dev/fd/3", interval: time.Second}
	for i := 0; i+1 < len(args); i++ {
		v := args[i+1]
		switch args[i] {
		case "--target":
			a.target = v
		case "--feedback":
			a.feedback = v
		case "--segment":
			a.segment = v
		case "--run":
			a.run = v
		case "--interval":
			a.interval, _ = time.ParseDuration(v)
		}
	}
	return a
}

// fakeFire is the fake fire's main.
func fakeFire(args []string) int {
	a := parseFakeArgs(args)
	sp, err := parseFakeSpec(a.target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake fire:", err)
		return 2
	}
	fb, err := os.OpenFile(a.feedback, os.O_WRONLY, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake fire:", err)
		return 2
	}
	f := &fakeRun{sp: sp, a: a, fb: bufio.NewWriter(fb), think: map[string]time.Duration{}, users: map[string]int{}}
	if sp.garbage {
		f.write([]byte("{\"type\":\"interval\",\"count\":\n"))
	}
	return f.run(os.Stdin)
}

type fakeRun struct {
	sp    fakeSpec
	a     fakeArgs
	mu    sync.Mutex
	fb    *bufio.Writer
	think map[string]time.Duration // each group's think
	users map[string]int           // each group's users
	label string
	stop  chan struct{} // ends the realtime ticker of the current level
}

func (f *fakeRun) run(in io.Reader) int {
	dec := plan.NewDecoder(in, "stdin")
	for {
		r, err := dec.Next()
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake fire:", err)
			return 2
		}
		switch r.Type {
		case record.TypePlan:
			if f.sp.exit >= 0 {
				fmt.Fprintf(os.Stderr, "fake fire: exit %d\n", f.sp.exit)
				return f.sp.exit
			}
		case record.TypeScenario:
			f.think[r.Group] = time.Duration(r.ThinkMS * float64(time.Millisecond))
		case record.TypeStage:
			if code, ok := f.stage(r); !ok {
				return code
			}
		case record.TypeEnd:
			return 0
		}
	}
}

// stage applies a stage; a level's stages all carry its label.
func (f *fakeRun) stage(r *record.Plan) (int, bool) {
	if r.Users == nil {
		return 0, true // an open-model rate: not modelled
	}
	f.mu.Lock()
	f.users[r.Group] = *r.Users
	f.label = r.Label
	total := f.total()
	f.mu.Unlock()
	if f.sp.die > 0 && total >= f.sp.die {
		fmt.Fprintf(os.Stderr, "fake fire: dying at %d users\n", total)
		return 1, false
	}
	if r.Label == "pause" {
		return 0, true
	}
	if f.stop != nil {
		close(f.stop)
		f.stop = nil
	}
	if f.sp.realtime {
		f.stop = make(chan struct{})
		go f.tick(f.stop)
		return 0, true
	}
	now := time.Now()
	f.interval(now.Add(12*time.Hour), now.Add(24*time.Hour), f.sp.count)
	return 0, true
}

func (f *fakeRun) total() int {
	n := 0
	for _, u := range f.users {
		n += u
	}
	return n
}

// latency: every response of a closed system of one FIFO server.
func (f *fakeRun) latency() time.Duration {
	return max(f.sp.service, time.Duration(f.total())*f.sp.service-f.think[""])
}

func (f *fakeRun) tick(stop chan struct{}) {
	t := time.NewTicker(f.a.interval)
	defer t.Stop()
	from := time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			f.interval(from, now, f.sp.count)
			from = now
		}
	}
}

// interval writes one interval record of n responses.
func (f *fakeRun) interval(from, to time.Time, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acc := hist.NewAcc()
	us := f.latency().Microseconds()
	for range n {
		acc.Add(to, us, false)
	}
	acc.Span(from)
	s := acc.Stats(record.TypeInterval, true)
	s.Stage, s.Users, s.Run, s.Segment = f.label, f.total(), f.a.run, f.a.segment
	b, _ := jsonl.Marshal(&s)
	f.writeLocked(b)
}

func (f *fakeRun) write(b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeLocked(b)
}

func (f *fakeRun) writeLocked(b []byte) {
	f.fb.Write(b)
	f.fb.Flush()
}
