package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/sshtest"
)

// rampctl --workers over real ssh, with the real fire, against the
// acceptance system of TestRampctlFindsKnownCapacity (p99 ≤ 200 ms, think
// 100 ms, one server at 1 ms: 300 devices). First on bare test hosts (fire
// shipped there): a worker whose fire is killed mid-run makes rampctl exit
// 2 naming it, the levels before kept and nothing left on the hosts. Then
// --resume, with a fire on the hosts that keeps a copy of its feedback,
// finishes the search: the answer is the model's within the precision, as
// one fire's is, and every measured level is exactly its workers' shares:
// their users add up to the level, and its count, percentiles and
// histogram are those of one histogram over the intervals the workers
// sent for the same stretch of time.
func TestRampctlWorkersOverSSH(t *testing.T) {
	t.Parallel()
	const n = 3
	c := sshtest.New(t, n, sshtest.Options{})
	port := arssim(t, "--model", "minimal", "--processing", "1ms")
	dir := t.TempDir()
	lines := []string{"# the test hosts, as GNU parallel's --sshloginfile"}
	for _, h := range c.Hosts {
		lines = append(lines, "1/"+h.Login)
	}
	workers := filepath.Join(dir, "workers")
	if err := os.WriteFile(workers, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	search := []string{"--workers", workers, "--target", "127.0.0.1:" + port, "--max-p99", "200ms", "--think", "100ms",
		"--step-duration", "1500ms", "--warmup", "600ms", "--progress", "0"}

	kept := killedWorker(t, c, dir, append(search, "-o", "steps.jsonl"))
	noWorkDirsLeft(t, c)

	wrapper := filepath.Join(dir, "fire-keeping-feedback")
	script := "#!/bin/sh\n# fire, with a copy of its feedback (stdout) in the login directory, named after its segment\n" +
		"seg=; prev=; for a; do [ \"$prev\" = --segment ] && seg=$a; prev=$a; done\n" +
		"'" + filepath.Join(bin, "fire") + "' \"$@\" | tee \"feedback-$(echo \"$seg\" | tr / -).jsonl\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runRampctl(t, dir, append(search, "--fire", wrapper, "--resume", "steps.jsonl"), nil)
	if code != 0 || strings.Count(out, `"resumed":true`) != kept {
		t.Fatalf("resumed: exit %d, want 0 with %d levels resumed\n%s\n%s", code, kept, out, stderr)
	}
	checkAnswer(t, out, 200, 0.05)
	var fbs [][]record.Stats
	for i, h := range c.Hosts {
		fbs = append(fbs, intervals(t, filepath.Join(h.Home, "feedback-"+itoa(i+1)+"-"+itoa(n)+".jsonl")))
	}
	measured := 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var st record.Step
		if json.Unmarshal([]byte(l), &st) != nil || st.Type != record.TypeStep || st.Resumed {
			continue
		}
		checkShares(t, st, fbs)
		measured++
	}
	if measured < 2 {
		t.Fatalf("%d levels measured after the resume\n%s", measured, out)
	}
}

// killedWorker runs the search, kills worker 2's fire on its host once two
// levels are recorded, and checks that rampctl exits 2 naming the worker
// and keeps the levels before. It returns how many it kept.
func killedWorker(t *testing.T, c *sshtest.Cluster, dir string, args []string) int {
	t.Helper()
	records := filepath.Join(dir, "steps.jsonl")
	killed := 0
	kill := func(done <-chan struct{}) {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			select {
			case <-done:
				return
			default:
			}
			if b, _ := os.ReadFile(records); bytes.Count(b, []byte("\n")) < 2 {
				continue
			}
			for _, p := range c.Hosts[1].Pids("fire") {
				if syscall.Kill(p, syscall.SIGKILL) == nil {
					killed++
				}
			}
			if killed > 0 {
				return
			}
		}
	}
	out, stderr, code := runRampctl(t, dir, args, kill)
	b, _ := os.ReadFile(records)
	kept := len(rampSteps(string(b)))
	want := "rampctl: worker 2 of 3 (" + c.Hosts[1].Login + ") exited: exit status 137 (killed by signal 9?): " +
		"the level is invalid (its load was incomplete) and not recorded (after " + itoa(kept) + " levels: continue with --resume steps.jsonl)\n"
	if killed != 1 || code != 2 || !strings.HasSuffix(stderr, want) || out != "" {
		t.Fatalf("killed %d fires; exit %d (want 2), stdout %q, stderr:\n%s\nwant it to end:\n%s", killed, code, out, stderr, want)
	}
	if !strings.Contains(stderr, "rampctl: fire ("+filepath.Join(bin, "fire")+", shipped) on 3 workers") {
		t.Errorf("fire was not shipped to the bare hosts:\n%s", stderr)
	}
	if kept < 2 || strings.Contains(string(b), `"type":"result"`) {
		t.Fatalf("records kept:\n%s", b)
	}
	return kept
}

// runRampctl runs rampctl in dir with the tools on PATH; during, if set,
// runs beside it until it ends.
func runRampctl(t *testing.T, dir string, args []string, during func(done <-chan struct{})) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "rampctl"), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	if during != nil {
		go func() { during(done); close(finished) }()
	} else {
		close(finished)
	}
	err := cmd.Wait()
	close(done)
	<-finished
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// intervals reads the interval records of a worker's feedback.
func intervals(t *testing.T, path string) []record.Stats {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ivs []record.Stats
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s record.Stats
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if s.Type == record.TypeInterval {
			ivs = append(ivs, s)
		}
	}
	return ivs
}

// checkShares checks a measured level against its workers' feedback: the
// intervals of its stage within its measured stretch come from every
// worker, their users are the level split as evenly as can be, and one
// histogram over them is the level's record.
func checkShares(t *testing.T, st record.Step, fbs [][]record.Stats) {
	t.Helper()
	label := "users=" + strconv.Itoa(st.Users)
	acc := hist.NewAcc()
	users, lo, hi := 0, st.Users, 0
	for w, ivs := range fbs {
		own, mine := -1, 0
		for i := range ivs {
			iv := &ivs[i]
			if iv.Stage != label || iv.Start.Before(st.Start) || iv.End.After(st.End) {
				continue
			}
			if iv.Segment != itoa(w+1)+"/"+itoa(len(fbs)) || !strings.HasPrefix(iv.Run, "rampctl-") {
				t.Fatalf("%d users: worker %d's interval names run %q, segment %q", st.Users, w+1, iv.Run, iv.Segment)
			}
			if err := acc.AddStats(iv); err != nil {
				t.Fatal(err)
			}
			own, mine = iv.Users, mine+1
		}
		if mine == 0 {
			t.Fatalf("%d users: no interval of worker %d in the level's measured stretch %v–%v", st.Users, w+1, st.Start, st.End)
		}
		users, lo, hi = users+own, min(lo, own), max(hi, own)
	}
	s := acc.Stats(record.TypeInterval, true)
	if users != st.Users || hi-lo > 1 {
		t.Errorf("%d users: the workers ran %d users, shares from %d to %d", st.Users, users, lo, hi)
	}
	if s.Count != st.Count || s.Errors != st.Errors || s.P50MS != st.P50MS || s.P99MS != st.P99MS || s.MaxMS != st.MaxMS ||
		s.Hist != st.Hist || !s.Start.Equal(st.Start) || !s.End.Equal(st.End) {
		t.Errorf("%d users: the workers' intervals merge to count %d, p50 %v, p99 %v, max %v over %v–%v; the level says %d, %v, %v, %v over %v–%v",
			st.Users, s.Count, s.P50MS, s.P99MS, s.MaxMS, s.Start, s.End, st.Count, st.P50MS, st.P99MS, st.MaxMS, st.Start, st.End)
	}
	// no user sends more than once per think (100 ms) and answer: a worker
	// that ran more than its share would show here
	if secs := st.End.Sub(st.Start).Seconds(); float64(st.Count) > float64(st.Users)*(secs/0.1+1) {
		t.Errorf("%d users: %d answers in %.2f s, more than the users can send", st.Users, st.Count, secs)
	}
}
