// Package e2e runs the real binaries on loopback ports, as a user would.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/rtlog"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "perflab-e2e")
	if err != nil {
		panic(err)
	}
	bin = dir
	cmd := exec.Command("go", "build", "-o", dir+"/", "../plan", "../fire", "../histo", "../plotrt", "../rampctl", "../../sims/arssim", "../../sims/teasim")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the tools:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// arssim starts the simulator and waits until it answers.
func arssim(t *testing.T, args ...string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(filepath.Join(bin, "arssim"), append([]string{"--listen", "127.0.0.1:" + port}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	if !waitPort(port) {
		t.Fatalf("arssim did not start: %s", stderr.String())
	}
	return port
}

// waitPort waits up to 2 s for a server to answer on a loopback port.
func waitPort(port string) bool {
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// sh runs a shell pipeline with the tools on PATH.
func sh(t *testing.T, dir, script string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

var respLine = regexp.MustCompile(`Response time (\d+) ms`)

func times(log string) []int {
	var out []int
	for _, m := range respLine.FindAllStringSubmatch(log, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// The owner's example, against the paper's model: ~2000 ms per response.
func TestOwnersExampleMeasuresTwoSeconds(t *testing.T) {
	t.Parallel()
	port := arssim(t, "--model", "minimal", "--processing", "2s")
	dir := t.TempDir()
	_, stderr, code := sh(t, dir, "plan mascots --duration 3s | fire --target :"+port+" > locust_log.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "locust_log.log"))
	ts := times(string(b))
	if len(ts) < 1 {
		t.Fatalf("no responses: %q %s", b, stderr)
	}
	for _, ms := range ts {
		if ms < 1990 || ms > 2050 {
			t.Fatalf("response time %d ms, want ~2000", ms)
		}
	}
	// and the evaluator pipeline of the owner
	_, stderr, code = sh(t, dir, "histo < locust_log.log | plotrt -o out.png")
	if code != 0 {
		t.Fatalf("histo | plotrt: exit %d: %s", code, stderr)
	}
	if st, err := os.Stat(filepath.Join(dir, "out.png")); err != nil || st.Size() < 10000 {
		t.Fatalf("out.png: %v", err)
	}
}

// A fault makes one long response of about the outage: 29.5–37.5 s, here at
// time scale 0.01 (295–375 ms), the device's processing at 2 s × 0.01 and its
// think time scaled alike (10 ms). Faults come every 600 ms from arssim's
// start, so the 1.1 s run sees one or two of them, as arssim's events say.
func TestFaultShowsAsOneLongResponse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := arssim(t, "--model", "minimal", "--time-scale", "0.01", "--faults", "every:60s", "--events", filepath.Join(dir, "events.jsonl"))
	_, stderr, code := sh(t, dir, "plan constant --users 1 --think 10ms --repeat --method POST --path /fake_call --duration 1100ms | fire --target :"+port+" --feedback fb.jsonl > log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	long := 0
	for _, ms := range times(string(b)) { // bounds one-sided: the machine may be busy
		switch {
		case ms >= 250:
			long++
		case ms < 18:
			t.Errorf("response time %d ms: shorter than the 20 ms processing", ms)
		}
	}
	sure, possible := faultsDuring(t, filepath.Join(dir, "events.jsonl"), string(b))
	if long < sure || long > possible || sure == 0 {
		t.Fatalf("%d outage-long responses, want one per fault within the run's sends: at least %d (wholly within), at most %d (touching it):\n%s",
			long, sure, possible, b)
	}
	ev, _ := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	if !strings.Contains(string(ev), `"event":"fault"`) || !strings.Contains(string(ev), `"event":"recovered"`) {
		t.Fatalf("events: %s", ev)
	}
	// the study's statistics: no response above 10 s at this scale; histo reads it
	_, stderr, code = sh(t, dir, "histo --require study < log > stats.jsonl")
	if code != 0 || !strings.Contains(stderr, "responses above 30s: 0") {
		t.Fatalf("histo exit %d: %s", code, stderr)
	}
	_, stderr, code = sh(t, dir, "plotrt --events events.jsonl --fault-band 280ms-360ms -o fig.svg stats.jsonl")
	if code != 0 {
		t.Fatalf("plotrt: %s", stderr)
	}
}

func TestSIGINTLeavesCompleteLogAndSummary(t *testing.T) {
	t.Parallel()
	port := arssim(t, "--model", "minimal", "--processing", "10ms")
	dir := t.TempDir()
	sh(t, dir, "plan mascots --devices 20 > plan.jsonl")
	cmd := exec.Command(filepath.Join(bin, "fire"), "--target", ":"+port, "--feedback", "fb.jsonl", "plan.jsonl")
	cmd.Dir = dir
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fire after SIGINT: %v: %s", err, stderr.String())
	}
	s := out.String()
	n := strings.Count(s, "\n")
	if n < 20 || !strings.HasSuffix(s, "\n") || len(times(s)) != n {
		t.Fatalf("%d lines, complete: %v", n, strings.HasSuffix(s, "\n"))
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("fire: summary: %d responses", n)) {
		t.Fatalf("summary does not match the log's %d lines: %s", n, stderr.String())
	}
	fb, _ := os.ReadFile(filepath.Join(dir, "fb.jsonl"))
	if !strings.Contains(string(fb), `"type":"summary"`) {
		t.Fatal("no summary record in the feedback file")
	}
}

func TestClosedPipeEndsCleanly(t *testing.T) {
	t.Parallel()
	port := arssim(t, "--model", "none")
	_, stderr, code := sh(t, t.TempDir(), "plan constant --users 4 --duration 20s | fire --target :"+port+" | head -n 3 > /dev/null")
	if code != 0 || !strings.Contains(stderr, "fire: summary:") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestBadInputOneLineErrorsAndExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte(`{"type":"plan","version":1}`+"\n{oops\n"), 0o644)
	_, stderr, code := sh(t, dir, "fire --target :1 < bad.jsonl")
	if code != 2 || strings.TrimSpace(stderr) == "" || !strings.Contains(stderr, "fire: plan line 2: expected a JSON plan record") {
		t.Fatalf("fire bad plan: exit %d, %q", code, stderr)
	}
	_, stderr, code = sh(t, dir, "histo missing.log")
	if code != 2 || !strings.Contains(stderr, "missing.log") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("histo missing file: exit %d, %q", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "slow.log"), []byte("[2020-06-30 15:20:02,168] h/INFO/x: Response time 35000 ms\n[2020-06-30 15:20:03,168] h/INFO/x: Response time x ms\n"), 0o644)
	out, stderr, code := sh(t, dir, "histo --require study slow.log")
	if code != 1 || !strings.Contains(out, `"type":"verdict"`) || !strings.Contains(stderr, "slow.log:2") {
		t.Fatalf("histo requirement: exit %d, %q %q", code, out, stderr)
	}
	_, _, code = sh(t, dir, "fire --bogus-flag")
	if code != 2 {
		t.Fatalf("unknown flag: exit %d, want 2", code)
	}
}

// Lines must never be cut: read the log while fire writes it. An open-model
// plan is a fixed schedule, so fire sends every one of its arrivals however
// busy the machine is (late ones count as send lag): 3,000 exactly.
func TestLogLinesWhole(t *testing.T) {
	t.Parallel()
	port := arssim(t, "--model", "none")
	dir := t.TempDir()
	out, stderr, code := sh(t, dir, "plan constant --rate 3000 --duration 1s | fire --target :"+port+" --format jsonl --feedback fb.jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), `{"type":"sample"`) || !strings.HasSuffix(sc.Text(), "}") {
			t.Fatalf("line %q", sc.Text())
		}
		n++
	}
	sum := summaryOf(t, filepath.Join(dir, "fb.jsonl"))
	if sum.Count+sum.Errors+sum.Missed != 3000 || int64(n) != sum.Count+sum.Errors {
		t.Fatalf("%d samples, summary %d + %d errors + %d missed: want 3,000 arrivals, each a sample or missed", n, sum.Count, sum.Errors, sum.Missed)
	}
}

// faultsDuring counts the faults of an arssim events file against a
// closed-model run's log: sure are those wholly within the user's sends
// (from its first send to its last answer, 50 ms inside either end), each
// of which one response spans; possible are those touching that span at
// all (50 ms outside either end): a fault at an end may or may not meet a
// send, and one that began before the first send makes a shorter response.
// On a busy machine the run's start against arssim's fault clock varies,
// so the test bounds the long responses between the two.
func faultsDuring(t *testing.T, events, log string) (sure, possible int) {
	t.Helper()
	var first, last time.Time
	var p rtlog.Parser
	for _, l := range strings.Split(log, "\n") {
		e, err := p.Parse([]byte(l))
		if err != nil || e.Kind != rtlog.Response {
			continue
		}
		if sent := e.Time.Add(-time.Duration(e.MS) * time.Millisecond); first.IsZero() || sent.Before(first) {
			first = sent
		}
		if e.Time.After(last) {
			last = e.Time
		}
	}
	ev, _ := os.ReadFile(events)
	began, recovered := map[int]time.Time{}, map[int]time.Time{}
	for _, l := range strings.Split(string(ev), "\n") {
		var e struct {
			Event string
			TS    time.Time
			Fault int
		}
		if json.Unmarshal([]byte(l), &e) == nil && e.Event == "fault" {
			began[e.Fault] = e.TS
		} else if e.Event == "recovered" {
			recovered[e.Fault] = e.TS
		}
	}
	const m = 50 * time.Millisecond
	for f, at := range began {
		r, ok := recovered[f]
		if !ok {
			r = last.Add(time.Hour) // not over when arssim stopped
		}
		if !at.Before(first.Add(m)) && !r.After(last.Add(-m)) {
			sure++
		}
		if at.Before(last.Add(m)) && r.After(first.Add(-m)) {
			possible++
		}
	}
	return sure, possible
}

// summaryOf reads the summary record of a feedback file.
func summaryOf(t *testing.T, path string) (s struct{ Count, Errors, Missed int64 }) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `"type":"summary"`) {
			if err := json.Unmarshal([]byte(l), &s); err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	t.Fatalf("%s: no summary record", path)
	return s
}

func netDial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, time.Second) }

func itoa(n int) string { return strconv.Itoa(n) }

// arssim's JSON config sets any flag; the command line wins.
func TestArssimConfigFileAndFlagsWin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ars.json")
	os.WriteFile(cfg, []byte(`{"model":"none","processing":"300ms","faults":"every:1h"}`), 0o644)
	port := arssim(t, "--config", cfg, "--model", "minimal") // minimal from the flag, 300 ms from the file
	out, _, _ := sh(t, dir, "t0=$(date +%s%N); curl -s -X POST 127.0.0.1:"+port+"/fake_call; echo $(( ($(date +%s%N) - t0) / 1000000 ))")
	ms, _ := strconv.Atoi(strings.TrimSpace(out))
	if ms < 290 || ms > 600 {
		t.Fatalf("a POST took %d ms, want ~300 (model minimal from the flag, processing from the file)", ms)
	}
}

// histo's summary gives the original evaluator's numbers on the same log:
// its own parsing code (bench/orig_parse.py, as in loadtest_plotter.py) is run beside.
func TestHistoAgreesWithTheOriginalEvaluator(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is missing: the original evaluator cannot run")
	}
	dir := t.TempDir()
	gen, _ := filepath.Abs(filepath.Join("..", "..", "bench", "genlog.go"))
	orig, _ := filepath.Abs(filepath.Join("..", "..", "bench", "orig_parse.py"))
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	if _, stderr, code := sh(t, dir, "(cd "+root+" && go run "+gen+" 120000) > locust_log.log"); code != 0 {
		t.Fatal(stderr)
	}
	po, stderr, code := sh(t, dir, "python3 "+orig+" locust_log.log")
	if code != 0 {
		t.Fatal(stderr)
	}
	var n, over30 int
	var minS float64
	fmt.Sscanf(po, "responses %d min %f over 30s %d", &n, &minS, &over30)
	_, hs, code := sh(t, dir, "histo --interval 0 locust_log.log > /dev/null")
	want := fmt.Sprintf("histo: %d responses, 0 errors, min %.3f s", n, minS)
	if code != 0 || n != 120000 || !strings.Contains(hs, want) || !strings.Contains(hs, fmt.Sprintf("responses above 30s: %d\n", over30)) {
		t.Fatalf("original: %q\nhisto: %q (want %q)", po, hs, want)
	}
}

// plan production | fire: the production ARS's workload, users and alarm
// devices side by side, against arssim (domain.md §3).
func TestProductionWorkload(t *testing.T) {
	t.Parallel()
	names, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data", "gs-production-workload", "All_Request_Names.log"))
	if _, err := os.Stat(names); err != nil {
		t.Skip("../shared/data is missing: no request names")
	}
	port := arssim(t, "--model", "none")
	dir := t.TempDir()
	out, stderr, code := sh(t, dir, "plan production --names "+names+" --users 20 --devices 10 --duration 3s "+
		"--device-think-min 500ms --device-think-max 1500ms | fire -t :"+port+" --progress 0 | tee run.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	alarms := strings.Count(out, "fire."+"ID_REQ_KC_STORE7D3BPACKET: Response time")
	lines := strings.Count(out, ": Response time ")
	// users: 20 × ~3 s at 1 s think ≈ 60; devices: 10 started over 0.5 s, a send every ~1 s ≈ 30
	if others := lines - alarms; others < 45 || others > 70 || alarms < 18 || alarms > 45 {
		t.Fatalf("%d alarms and %d other requests in 3 s, want ~30 and ~60:\n%s", alarms, others, stderr)
	}
	if strings.Count(out, "Request failed") > 0 {
		t.Fatalf("failures:\n%s", out)
	}
	// histo --name judges the alarms alone
	st, _, code := sh(t, dir, "histo -q --interval 0 --name ID_REQ_KC_STORE7D3BPACKET --require study run.log")
	if code != 0 || !strings.Contains(st, `"count":`+strconv.Itoa(alarms)+`,`) {
		t.Fatalf("histo --name: exit %d, want count %d:\n%s", code, alarms, st)
	}
}
