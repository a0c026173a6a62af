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
// max(service, users × service − think), user j's j × spread more, so a
// level's numbers are known to the microsecond.
//
// With --segment I/N it is one segment of a distributed run as rampctl
// --workers assumes fire --segment to be: of each stage's users it runs
// those with index j mod N = I−1 (so N segments run every user once), the
// server's latency stays that of all the stage's users, its interval
// records carry "run" and "segment" and its own users, and it writes them
// where --feedback says ("-": stdout).
//
// Its behaviour comes from --target, "key=value,…":
//
//	service=DUR   the server's time per request (default 1ms)
//	spread=DUR    user j's responses take j × DUR longer (default 0)
//	count=K       responses per user in a level's record (default 10)
//	realtime      an interval record every --interval, as fire does, instead
//	              of one record spanning the level at once
//	exit=N        exit with code N after the plan header ("fake fire: exit N" on stderr)
//	die=U         exit 1 when a level of at least U users starts
//	dieseg=I      only segment I dies so
//	garbage       write a malformed line to the feedback first
//
// Without realtime, a level's one record spans [now+12h, now+24h]: it lies
// after any warm-up and ends after any level's deadline, so the level is
// measured at once and the test does not depend on the clock.
const fakeFireEnv = "RAMPCTL_TEST_FAKE_FIRE"

type fakeSpec struct {
	service, spread time.Duration
	count           int
	realtime        bool
	exit            int
	die, dieseg     int
	garbage         bool
}

func parseFakeSpec(s string) (fakeSpec, error) {
	sp := fakeSpec{service: time.Millisecond, count: 10, exit: -1}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "service":
			sp.service, err = time.ParseDuration(v)
		case "spread":
			sp.spread, err = time.ParseDuration(v)
		case "count":
			sp.count, err = strconv.Atoi(v)
		case "realtime":
			sp.realtime = true
		case "exit":
			sp.exit, err = strconv.Atoi(v)
		case "die":
			sp.die, err = strconv.Atoi(v)
		case "dieseg":
			sp.dieseg, err = strconv.Atoi(v)
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
	target, feedback, segment, run, startAt string
	interval                                time.Duration
	seg, segs                               int // segment I of N (1 of 1 without --segment)
}

func parseFakeArgs(args []string) (fakeArgs, error) {
	a := fakeArgs{feedback: "/dev/fd/3", interval: time.Second, seg: 1, segs: 1}
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
		case "--start-at":
			a.startAt = v
		case "--interval":
			a.interval, _ = time.ParseDuration(v)
		}
	}
	if a.segment == "" {
		return a, nil
	}
	var err error
	if a.seg, a.segs, err = record.ParseSegmentID(a.segment); err != nil {
		return a, err
	}
	if !record.ValidRunName(a.run) || a.run == "" {
		return a, fmt.Errorf("--run %q: not a run name", a.run)
	}
	if _, err := time.Parse(time.RFC3339Nano, a.startAt); err != nil {
		return a, fmt.Errorf("--start-at: %v", err)
	}
	return a, nil
}

// fakeFire is the fake fire's main.
func fakeFire(args []string) int {
	a, err := parseFakeArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake fire:", err)
		return 2
	}
	sp, err := parseFakeSpec(a.target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake fire:", err)
		return 2
	}
	fb := os.Stdout
	if a.feedback != "-" {
		if fb, err = os.OpenFile(a.feedback, os.O_WRONLY, 0); err != nil {
			fmt.Fprintln(os.Stderr, "fake fire:", err)
			return 2
		}
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
	users map[string]int           // each group's users (all segments')
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
			f.wait(r.AtMS)
			if code, ok := f.stage(r); !ok {
				return code
			}
		case record.TypeEnd:
			return 0
		}
	}
}

// wait waits until at_ms on the plan clock (--start-at; without it, a
// stage applies when read).
func (f *fakeRun) wait(at *float64) {
	t0, err := time.Parse(time.RFC3339Nano, f.a.startAt)
	if at == nil || err != nil {
		return
	}
	time.Sleep(time.Until(t0.Add(time.Duration(*at * float64(time.Millisecond)))))
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
	if f.sp.die > 0 && total >= f.sp.die && (f.sp.dieseg == 0 || f.sp.dieseg == f.a.seg) {
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
	f.interval(now.Add(12*time.Hour), now.Add(24*time.Hour))
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

// mine lists the users this segment runs: j mod N = I−1.
func (f *fakeRun) mine() []int {
	var js []int
	for j := f.a.seg - 1; j < f.total(); j += f.a.segs {
		js = append(js, j)
	}
	return js
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
			f.interval(from, now)
			from = now
		}
	}
}

// interval writes one interval record: count responses of each user of
// this segment.
func (f *fakeRun) interval(from, to time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acc := hist.NewAcc()
	base := f.latency()
	js := f.mine()
	for _, j := range js {
		us := (base + time.Duration(j)*f.sp.spread).Microseconds()
		for range f.sp.count {
			acc.Add(to, us, false)
		}
	}
	acc.Span(from)
	s := acc.Stats(record.TypeInterval, true)
	s.Stage, s.Users, s.Run, s.Segment = f.label, len(js), f.a.run, f.a.segment
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
