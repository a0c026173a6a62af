package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/simserver"
)

// sim is a simulator started by a test, its stderr kept.
type sim struct {
	name, port, logsPort, statePath string
	cmd                             *exec.Cmd
	mu                              sync.Mutex
	stderr                          bytes.Buffer
}

func (s *sim) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.Write(p)
}

func (s *sim) errors() string { s.mu.Lock(); defer s.mu.Unlock(); return s.stderr.String() }

func (s *sim) addr() string { return "127.0.0.1:" + s.port }

// startSim starts arssim or teasim on free ports, under `ulimit -n nofile`
// when nofile > 0 (set in its own shell, which then execs the simulator).
func startSim(t *testing.T, name string, nofile int, args ...string) *sim {
	t.Helper()
	s := &sim{name: name, port: freePort(t), statePath: "/_arssim/state"}
	args = append([]string{"--listen", s.addr()}, args...)
	if name == "teasim" {
		s.statePath, s.logsPort = "/_teasim/state", freePort(t)
		args = append(args, "--logs-listen", "127.0.0.1:"+s.logsPort)
	}
	script := `exec "$0" "$@"`
	if nofile > 0 {
		script = "ulimit -n " + strconv.Itoa(nofile) + "; " + script
	}
	s.cmd = exec.Command("bash", append([]string{"-c", script, filepath.Join(bin, name)}, args...)...)
	s.cmd.Stderr = s
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Signal(syscall.SIGTERM); s.cmd.Wait() })
	if !waitPort(s.port) {
		t.Fatalf("%s did not start: %s", name, s.errors())
	}
	return s
}

// alive reports whether the simulator still runs.
func (s *sim) alive() bool {
	return s.cmd.Process.Signal(syscall.Signal(0)) == nil && s.cmd.ProcessState == nil
}

// state reads the simulator's state endpoint.
func (s *sim) state(t *testing.T) map[string]float64 {
	t.Helper()
	st, err := s.tryState()
	if err != nil {
		t.Fatalf("%s state: %v\n%s", s.name, err, s.errors())
	}
	return st
}

// tryState reads the state, or fails as any request may while every
// descriptor is busy (it is refused with a 503 then).
func (s *sim) tryState() (map[string]float64, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + s.addr() + s.statePath)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var st map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for k, v := range st {
		if f, ok := v.(float64); ok {
			out[k] = f
		}
	}
	return out, nil
}

// request sends one request on a new connection and times it.
func (s *sim) request(t *testing.T, method, path string) (int, time.Duration) {
	t.Helper()
	c := http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest(method, "http://"+s.addr()+path, strings.NewReader(`{"id":"070010","body":"alarm"}`))
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, s.errors())
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(t0)
}

func (s *sim) waitState(t *testing.T, what string, cond func(map[string]float64) bool) map[string]float64 {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st, err := s.tryState()
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(end) {
			t.Fatalf("%s: timed out waiting for %s: %v", s.name, what, st)
		}
	}
}

// dialMany opens n connections that say nothing (or send req).
func dialMany(t *testing.T, addr string, n int, req string) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if req != "" {
			c.Write([]byte(req))
		}
		conns = append(conns, c)
	}
	return conns
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

const alarm = "POST /fake_call HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"

// With 1,024 descriptors, 1,100 idle connections neither end a simulator
// nor keep a good client out: it sheds idle ones, says so once, counts it,
// and answers normally once the clients let go.
func TestSimsSurviveDescriptorExhaustion(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, path string
		args       []string
	}{{"arssim", "/fake_call", []string{"--processing", "100ms"}}, {"teasim", "/tools.descartes.teastore.webui/product?id=42", nil}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, c.name, 1024, c.args...)
			t0 := time.Now()
			idle := dialMany(t, s.addr(), 1100, "")
			defer closeAll(idle)
			time.Sleep(2 * simserver.MinIdle) // quiet long enough to be shed
			code, d := s.request(t, "POST", c.path)
			if code != 200 || d > 3*time.Second || !s.alive() {
				t.Fatalf("a good request among 1,100 idle connections: %d after %v (alive %v)\n%s", code, d, s.alive(), s.errors())
			}
			st := s.state(t)
			if st["fd_exhausted"] < 1 || st["conns_shed"] < 1 || st["conns"] > 1024 {
				t.Fatalf("state %v: want the exhaustion and the shedding counted", st)
			}
			if n := strings.Count(s.errors(), "out of file descriptors"); n < 1 || n > 1+int(time.Since(t0)/(10*time.Second)) {
				t.Fatalf("%d stderr lines about descriptors in %v, want one per 10 s (rate-limited):\n%s", n, time.Since(t0), s.errors())
			}
			closeAll(idle)
			s.waitState(t, "the idle connections to go", func(st map[string]float64) bool { return st["conns"] < 10 })
			if code, d := s.request(t, "POST", c.path); code != 200 || (c.name == "arssim" && !onTime(d, 100*time.Millisecond)) {
				t.Fatalf("after the clients let go: %d after %v", code, d)
			}
		})
	}
}

func onTime(d, want time.Duration) bool { return d >= want && d < want+500*time.Millisecond }

// With 256 descriptors all holding requests in the model (a minute each,
// none frees one), a new client is refused at once with a 503, and served
// once the others leave.
func TestArssimRefusesWhenEveryDescriptorIsBusy(t *testing.T) {
	t.Parallel()
	s := startSim(t, "arssim", 256, "--processing", "60s")
	busy := dialMany(t, s.addr(), 300, alarm)
	defer closeAll(busy)
	code, d := s.request(t, "POST", "/fake_call") // the state endpoint cannot answer now either
	if code != 503 || d > 3*time.Second {
		t.Fatalf("a client while every descriptor is busy: %d after %v, want 503 at once\n%s", code, d, s.errors())
	}
	closeAll(busy)
	st := s.waitState(t, "the queue to empty", func(st map[string]float64) bool { return st["inflight"] == 0 })
	if st["conns_refused"] < 1 || st["abandoned"] < 200 {
		t.Fatalf("state %v: want refusals and the abandoned requests counted", st)
	}
	if code, d := s.request(t, "GET", "/status"); code != 200 || d > time.Second {
		t.Fatalf("after the clients let go: %d after %v", code, d)
	}
}

// The run: fire killed with thousands of POSTs queued in the paper's
// 2 s FIFO. The queue empties at once and the next request takes 2 s.
func TestArssimAbortedRunLeavesNoBacklog(t *testing.T) {
	t.Parallel()
	s := startSim(t, "arssim", 0, "--model", "minimal", "--processing", "2s")
	dir := t.TempDir()
	sh(t, dir, "plan constant --rate 3000 --duration 10s --method POST --path /fake_call | timeout -s KILL 1.5 fire --target "+s.addr()+" --connections 2000 >/dev/null 2>&1")
	st := s.waitState(t, "the queue to empty", func(st map[string]float64) bool { return st["inflight"] == 0 })
	if st["abandoned"] < 1000 {
		t.Fatalf("state %v: want the killed run's requests counted as abandoned", st)
	}
	code, d := s.request(t, "POST", "/fake_call")
	if code != 200 || !onTime(d, 2*time.Second) {
		t.Fatalf("the next run's first request: %d after %v, want 200 after 2 s", code, d)
	}
	if !strings.Contains(s.errors(), "listening") || strings.Contains(s.errors(), "panic") {
		t.Fatalf("stderr: %s", s.errors())
	}
}

// Absurd parameters: exit 2, one line on stderr naming the flag or file,
// nothing on stdout.
func TestSimsRefuseAbsurdParameters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	huge, never := write("huge.json", `{"intercept":1e10}`), write("never.json", `{"intercept":-1}`)
	cases := []struct {
		sim  string
		args []string
		want string
	}{
		{"arssim", []string{"--time-scale", "NaN"}, "--time-scale NaN: expected a finite number > 0"},
		{"arssim", []string{"--time-scale", "Inf"}, "--time-scale +Inf"},
		{"arssim", []string{"--time-scale=-0.5"}, "--time-scale -0.5: expected a finite number > 0"},
		{"arssim", []string{"--time-scale", "1e300"}, "× --time-scale 1e+300: over 100 years"},
		{"arssim", []string{"--processing=-2s"}, "--processing -2s: expected a duration >= 0"},
		{"arssim", []string{"--faults", "every:1us"}, "would make the fault loop spin"},
		{"arssim", []string{"--faults", "mascots", "--time-scale", "1e-8"}, "would make the fault loop spin"},
		{"arssim", []string{"--model", "lr", "--model-file", huge}, huge + ": the coefficients give times up to 1e+10 s"},
		{"arssim", []string{"--model", "lr", "--model-file", never}, never + ": the coefficients give no positive time"},
		{"teasim", []string{"--time-scale", "NaN"}, "--time-scale NaN"},
		{"teasim", []string{"--model-file", huge}, huge + ": the coefficients give times up to"},
	}
	for _, c := range cases {
		args := []string{"--listen", "127.0.0.1:0"}
		if c.sim == "teasim" {
			args = append(args, "--logs-listen", "127.0.0.1:0")
		}
		cmd := exec.Command(filepath.Join(bin, c.sim), append(args, c.args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 || out.Len() != 0 || strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%s %v: %v, stdout %q, stderr %q; want exit 2 and one line with %q", c.sim, c.args, err, out.String(), errb.String(), c.want)
		}
	}
}

// Config files with an unknown key, empty or malformed are refused naming
// the file (and the key or line), exit 2.
func TestSimsRefuseBadConfigFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for content, want := range map[string]string{
		`{"model":"none","procesing":"1s"}`: `unknown key "procesing"`,
		``:                                  "empty: expected a JSON object",
		"{\n  \"model\": none\n}":           "line 2: malformed JSON",
	} {
		for _, name := range []string{"arssim", "teasim"} {
			p := filepath.Join(dir, fmt.Sprintf("%s-%d.json", name, len(content)))
			os.WriteFile(p, []byte(content), 0o644)
			cmd := exec.Command(filepath.Join(bin, name), "--listen", "127.0.0.1:0", "--config", p)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(errb.String(), p+": ") && !strings.Contains(errb.String(), p+" line") ||
				!strings.Contains(errb.String(), want) {
				if !(name == "teasim" && strings.Contains(want, "procesing")) { // teasim has no --processing: any unknown key will do
					t.Errorf("%s --config %q: %v, stderr %q; want exit 2 naming %s with %q", name, content, err, errb.String(), p, want)
				}
			}
		}
	}
}

// A full disk under --log and --events: reported on stderr once per
// output (rate-limited), counted in the state, the simulator answers on.
func TestSimsReportWriteErrors(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	for _, name := range []string{"arssim", "teasim"} {
		args := []string{"--log", "/dev/full", "--events", "/dev/full"}
		method, path := "POST", "/tools.descartes.teastore.webui/product?id=7"
		if name == "arssim" { // faults every 60 ms (1 min × 0.001) write events; GETs are answered while faulted
			args = append(args, "--model", "none", "--faults", "every:1m", "--time-scale", "0.001")
			method, path = "GET", "/fake_call"
		}
		s := startSim(t, name, 0, args...)
		if name == "teasim" && !waitPort(s.logsPort) { // GET /logs/reset writes an event
			t.Fatalf("no log endpoint: %s", s.errors())
		} else if name == "teasim" {
			resp, err := http.Get("http://127.0.0.1:" + s.logsPort + "/logs/reset")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		for t0 := time.Now(); time.Since(t0) < 1500*time.Millisecond; time.Sleep(50 * time.Millisecond) { // the log is flushed each second
			if code, _ := s.request(t, method, path); code != 200 {
				t.Fatalf("%s answered %d with a full disk", name, code)
			}
		}
		st := s.waitState(t, "the write errors counted", func(st map[string]float64) bool {
			return st["log_write_errors"] > 0 && st["events_write_errors"] > 0 && st["log_bytes_lost"] > 0
		})
		e := s.errors()
		if !strings.Contains(e, name+": --log /dev/full: write failed: write /dev/full: no space left on device") ||
			!strings.Contains(e, name+": --events /dev/full: write failed") || strings.Count(e, "write failed") > 2 {
			t.Fatalf("%s stderr (want one line per output):\n%s\nstate %v", name, e, st)
		}
	}
}
