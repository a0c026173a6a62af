package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser starts Debian's headless chromium with a fresh profile and no
// background networking, and records console errors and every request
// that leaves loopback. It skips the test when chromium is missing.
type browser struct {
	ctx     context.Context
	mu      sync.Mutex
	errors  []string
	foreign []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is missing (apt-get install chromium; .ci/run installs it): the browser tests skipped")
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true)}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	b := &browser{ctx: ctx}
	// the first call starts the browser and must not carry a timeout (it
	// would stop the browser); a loaded 2-core machine can take seconds
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	_, err1 := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	_, err2 := chromedp.Call(ctx, log.Enable, cdp.Empty{})
	_, err3 := chromedp.Call(ctx, runtime.Enable, cdp.Empty{})
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return b
}

func (b *browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			b.errors = append(b.errors, fmt.Sprintf("console.error %v", e.Args))
		}
	case *runtime.EventExceptionThrown:
		b.errors = append(b.errors, "exception: "+e.ExceptionDetails.Text)
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			b.errors = append(b.errors, e.Entry.Text+" "+e.Entry.URL)
		}
	case *network.EventRequestWillBeSent:
		if !local(e.Request.URL) {
			b.foreign = append(b.foreign, e.Request.URL)
		}
	}
}

// local: a file, inline data, or loopback.
func local(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "file", "data", "about":
		return true
	case "http", "https", "ws":
		h := u.Hostname()
		return h == "127.0.0.1" || h == "localhost" || h == "::1"
	}
	return false
}

func (b *browser) do(t *testing.T, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func value[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (b *browser) check(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		t.Errorf("console errors: %q", b.errors)
	}
	if len(b.foreign) > 0 {
		t.Errorf("requests outside loopback: %q", b.foreign)
	}
}

// The report of a run renders offline without errors and shows the verdict,
// the tables and the figures.
func TestBrowserReport(t *testing.T) {
	b := newBrowser(t)
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if out, err := exec.Command("cp", "-r", "../../lib/report/testdata/run", run).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if _, stderr, code := sh(t, dir, "plotrt -o run/report.html run"); code != 0 {
		t.Fatalf("plotrt: %s", stderr)
	}
	b.do(t, 30*time.Second, chromedp.Navigate("file://"+filepath.Join(run, "report.html")), chromedp.WaitVisible(chromedp.ID("verdict")))
	verdict := value(t, b, chromedp.Text(chromedp.CSS(".badge")))
	checks := value(t, b, chromedp.Evaluate[int](`document.querySelectorAll("table.checks tr").length`))
	stats := value(t, b, chromedp.Evaluate[int](`document.querySelectorAll("table.stats tr").length`))
	figures := value(t, b, chromedp.Evaluate[int](`document.querySelectorAll("figure svg").length`))
	width := value(t, b, chromedp.Evaluate[float64](`document.querySelector("figure svg").getBoundingClientRect().width`))
	if verdict != "FAIL" || checks != 3 || stats != 6 || figures != 4 || width < 600 {
		t.Errorf("verdict %q, %d check rows, %d statistics rows, %d figures %g px wide", verdict, checks, stats, figures, width)
	}
	b.check(t)
}

// The live view shows a record appended to its file within two seconds.
func TestBrowserLiveView(t *testing.T) {
	b := newBrowser(t)
	dir := t.TempDir()
	feedback := filepath.Join(dir, "feedback.jsonl")
	var lines strings.Builder
	for i := 0; i < 20; i++ {
		lines.WriteString(liveInterval(i, 100+int64(i)))
	}
	os.WriteFile(feedback, []byte(lines.String()), 0o644)
	port := freePort(t)
	cmd := exec.Command(filepath.Join(bin, "plotrt"), "--live", "127.0.0.1:"+port, feedback)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	if !waitPort(port) {
		t.Fatalf("plotrt --live did not start: %s", stderr.String())
	}
	b.do(t, 30*time.Second, chromedp.Navigate("http://127.0.0.1:"+port+"/"), chromedp.WaitVisible(chromedp.CSS("#fig-rt img")))
	count := value(t, b, chromedp.Text(chromedp.ID("count")))
	if count != "119" {
		t.Fatalf("the page shows %q answered in the last interval, want 119", count)
	}
	f, err := os.OpenFile(feedback, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(liveInterval(20, 4242))
	f.Close()
	appended := time.Now()
	value(t, b, chromedp.Poll[bool](`document.getElementById("count").textContent === "4242"`, chromedp.WithPollingInterval(50*time.Millisecond)))
	if took := time.Since(appended); took > 2*time.Second {
		t.Errorf("the appended record appeared after %v, want within 2 s", took)
	}
	b.check(t)
}

func liveInterval(i int, count int64) string {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second)
	return fmt.Sprintf(`{"type":"interval","start":%q,"end":%q,"users":5,"count":%d,"errors":0,"rps":%d,"min_ms":100,"mean_ms":120,"p50_ms":110,"p90_ms":150,"p99_ms":190,"p999_ms":199,"max_ms":200}`+"\n",
		t.Format(time.RFC3339), t.Add(time.Second).Format(time.RFC3339), count, count)
}
