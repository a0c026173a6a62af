package e2e

import (
	"encoding/csv"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// teasim starts the simulator on two free ports (WebUI, logs = WebUI + 1).
func teasim(t *testing.T, args ...string) string {
	t.Helper()
	var port int
	for i := 0; i < 20; i++ {
		p, _ := strconv.Atoi(freePort(t))
		if c, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+1)); err == nil {
			c.Close()
			port = p
			break
		}
	}
	cmd := exec.Command(filepath.Join(bin, "teasim"), append([]string{"--listen", "127.0.0.1:" + strconv.Itoa(port),
		"--logs-listen", "127.0.0.1:" + strconv.Itoa(port+1)}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	if !waitPort(strconv.Itoa(port)) {
		t.Fatal("teasim did not start")
	}
	return strconv.Itoa(port)
}

func TestFireRunsTeaStoreSessions(t *testing.T) {
	t.Parallel()
	port := teasim(t)
	out, stderr, code := sh(t, t.TempDir(), "plan teastore --users 8 --duration 3s --think 20ms | fire --format jsonl -t http://127.0.0.1:"+port+"/tools.descartes.teastore.webui")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	pages := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		i := strings.Index(l, `"name":"`)
		name := l[i+8:]
		pages[name[:strings.IndexByte(name, '"')]]++
		if !strings.Contains(l, `"status":200`) && !strings.Contains(l, `"status":302`) {
			t.Fatalf("sample %s", l)
		}
	}
	// a logged-in session sees its profile (200) and redirects were followed
	for _, p := range []string{"index", "login", "loginAction", "category", "product", "cartAction", "cart", "profile"} {
		if pages[p] == 0 {
			t.Fatalf("no %s requests: %v", p, pages)
		}
	}
	if !strings.Contains(out, `"name":"profile","latency_us"`) || strings.Contains(stderr, " errors,") && !strings.Contains(stderr, " 0 errors,") {
		t.Fatalf("stderr: %s", stderr)
	}
}

// A Locust test written for the real TeaStore runs unchanged against teasim
// with Debian's python3-locust: zero failures.
func TestLocustTeaStoreTestRunsAgainstTeasim(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("locust"); err != nil {
		t.Skip("locust is missing: apt-get install python3-locust (.ci/run installs it)")
	}
	port := teasim(t)
	dir := t.TempDir()
	locustfile, _ := filepath.Abs(filepath.Join("..", "..", "pipelines", "locust", "teastore.py"))
	_, stderr, code := sh(t, dir, "locust -f "+locustfile+
		" --headless -u 10 -r 10 -t 6s --host http://127.0.0.1:"+port+"/tools.descartes.teastore.webui --csv "+dir+"/tea --only-summary")
	if code != 0 && code != 1 {
		t.Fatalf("locust exit %d: %s", code, stderr)
	}
	f, err := os.Open(filepath.Join(dir, "tea_stats.csv"))
	if err != nil {
		t.Fatalf("no stats: %v\n%s", err, stderr)
	}
	rows, _ := csv.NewReader(f).ReadAll()
	f.Close()
	head := rows[0]
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %q", name)
		return 0
	}
	last := rows[len(rows)-1]
	reqs, _ := strconv.Atoi(last[col("Request Count")])
	fails, _ := strconv.Atoi(last[col("Failure Count")])
	if last[col("Name")] != "Aggregated" || reqs < 50 || fails != 0 {
		t.Fatalf("Locust against teasim: %d requests, %d failures\n%s", reqs, fails, stderr)
	}
	if !strings.Contains(stderr, "reset logs: 200") {
		t.Errorf("the log reset endpoint on port+1 was not answered: %s", stderr)
	}
}

func TestPipelineTeaStore(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(filepath.Join("..", "..", "..", "shared", "data", "teastore-profiles")); err != nil {
		t.Skip("../shared/data is missing: no TeaStore profile to replay")
	}
	var port int
	for {
		port, _ = strconv.Atoi(freePort(t))
		if c, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1)); err == nil {
			c.Close()
			break
		}
	}
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := pipeline(t, "teastore.sh", "--profile", "low", "--seconds", "8", "--port", strconv.Itoa(port), "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	checkRunDir(t, dir, "plan.jsonl", "locust_log.log", "histo.jsonl", "response-times.png", "teasim.log")
	if !strings.Contains(out, " 0 errors") {
		t.Fatalf("errors against teasim:\n%s", out)
	}
}
