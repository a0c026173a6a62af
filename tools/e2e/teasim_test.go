package e2e

import (
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
	// one row per page (name=), not one per URL
	pages := map[string]bool{"index": true, "login": true, "loginAction": true, "category": true, "product": true, "cartAction": true, "profile": true}
	for _, r := range rows[1 : len(rows)-1] {
		if !pages[r[col("Name")]] {
			t.Errorf("a statistics row %q: want the requests named by page", r[col("Name")])
		}
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

// TeaStore's own load profile (its HTTP Load Generator's teastore_browse.lua)
// against the real binary: the calls in order, each page read with the
// profile's line-based rules (lines trimmed, a regex matching a whole line),
// as the generator does between calls. Its extractions find teasim's
// categories, products and pages; every call answers 200.
func TestTeasimServesTheLoadGeneratorProfile(t *testing.T) {
	t.Parallel()
	base := "http://127.0.0.1:" + teasim(t) + "/tools.descartes.teastore.webui/"
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	call := func(method, uri string) string {
		t.Helper()
		resp, err := c.Do(must(http.NewRequest(method, base+uri, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d", method, uri, resp.StatusCode)
		}
		return string(b)
	}
	for cycle := 0; cycle < 3; cycle++ {
		index := call("GET", "")
		cats := extractMatches(call("GET", "login"), `href=.*category.*?category=`, `\d+`, `&page=1.`)
		if fmt.Sprint(cats) != "[2 3 4 5 6]" || !strings.Contains(index, "category?category=2&page=1") {
			t.Fatalf("category ids %v, want [2 3 4 5 6]", cats)
		}
		cat := cats[cycle]
		call("POST", "loginAction?username=user"+strconv.Itoa(cycle+1)+"&password=password")
		page := call("POST", "category?page=1&category="+cat+"&number=30")
		prods := extractMatches(page, `href=.*product.*?id=`, `\d+`, `. ><img`)
		pages := len(getMatches(page, `.*href=.*category.*?category=\d+&page=\d+.>\d+</a></li>.*`))
		if len(prods) != 30 || pages != 4 {
			t.Fatalf("category %s at 30 a page: %d product ids, %d pages; want 30 and 4", cat, len(prods), pages)
		}
		call("GET", "product?id="+prods[cycle])
		call("POST", "cartAction?addToCart=&productid="+prods[cycle])
		call("GET", "category?page=1&category="+cat)
		page = call("GET", "category?page="+strconv.Itoa(pages)+"&category="+cat)
		if last := extractMatches(page, `href=.*product.*?id=`, `\d+`, `. ><img`); len(last) != 10 { // 100 products: 30+30+30+10
			t.Fatalf("last page: %d product ids, want 10", len(last))
		}
		call("POST", "cartAction?addToCart=&productid="+prods[0])
		if p := call("GET", "profile"); !strings.Contains(p, "<td>user"+strconv.Itoa(cycle+1)+"</td>") {
			t.Fatal("the profile does not show the user")
		}
		call("POST", "loginAction?logout=")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// getMatches and extractMatches are the HTTP Load Generator's html
// helpers: a page split into trimmed lines, a regex matching a whole line;
// the text between a line's first prefix match and the postfix after it.
func getMatches(page, re string) []string {
	whole := regexp.MustCompile(`^(?:` + re + `)$`)
	var out []string
	for _, l := range strings.Split(page, "\n") {
		if l = strings.TrimSpace(l); whole.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

func extractMatches(page, prefix, match, postfix string) []string {
	pre, post := regexp.MustCompile(prefix), regexp.MustCompile(postfix)
	var out []string
	for _, l := range getMatches(page, ".*"+prefix+match+postfix+".*") {
		l = l[pre.FindStringIndex(l)[1]:]
		out = append(out, l[:post.FindStringIndex(l)[0]])
	}
	return out
}
