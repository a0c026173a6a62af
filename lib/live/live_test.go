package live

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
)

func interval(i int, count int64) string {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second)
	return fmt.Sprintf(`{"type":"interval","start":%q,"end":%q,"users":5,"count":%d,"errors":1,"rps":%d,"min_ms":100,"mean_ms":120,"p50_ms":110,"p90_ms":150,"p99_ms":190,"p999_ms":199,"max_ms":200}`+"\n",
		t.Format(time.RFC3339), t.Add(time.Second).Format(time.RFC3339), count, count+1)
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
}

// poll reads the file once (as Follow does every Poll) and waits until the
// reader goroutine has taken every complete line.
func poll(t *testing.T, f *follower) {
	t.Helper()
	f.poll(context.Background())
	if f.pw != nil {
		f.closePipe() // the reader drains the pipe and stops; the next feed starts another
	}
}

// A follower takes complete lines only, reads a truncated or replaced file
// again from its start, and keeps at most Keep intervals.
func TestFollowerGrowTruncateRotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feedback.jsonl")
	appendTo(t, path, interval(0, 7)+interval(1, 8)[:40]) // the second line is not complete yet
	f := newFollower(path, &record.Problems{})
	poll(t, f)
	d, _, _ := f.snapshot()
	if len(d.Intervals) != 1 || d.Intervals[0].Count != 7 {
		t.Fatalf("after a partial line: %d intervals", len(d.Intervals))
	}
	appendTo(t, path, interval(1, 8)[40:])
	poll(t, f)
	if d, _, _ = f.snapshot(); len(d.Intervals) != 2 || d.Intervals[1].Count != 8 {
		t.Fatalf("the completed line: %d intervals", len(d.Intervals))
	}
	os.WriteFile(path, []byte(interval(5, 42)), 0o644) // truncated and rewritten
	poll(t, f)
	d, restarts, _ := f.snapshot()
	if len(d.Intervals) != 1 || d.Intervals[0].Count != 42 || restarts != 1 {
		t.Fatalf("after truncation: %d intervals, %d restarts", len(d.Intervals), restarts)
	}
	os.Rename(path, path+".1") // rotated: a new file under the old name, longer than the old one
	appendTo(t, path, interval(6, 1)+interval(7, 2)+interval(8, 3))
	poll(t, f)
	if d, restarts, _ = f.snapshot(); len(d.Intervals) != 3 || d.Intervals[0].Count != 1 || restarts != 2 {
		t.Fatalf("after rotation: %d intervals, %d restarts", len(d.Intervals), restarts)
	}
	var b strings.Builder
	for i := 0; i < Keep+100; i++ {
		b.WriteString(interval(10+i, int64(i)))
	}
	appendTo(t, path, b.String())
	for i := 0; i < 3; i++ {
		poll(t, f)
	}
	if d, _, _ = f.snapshot(); len(d.Intervals) != Keep || d.Intervals[Keep-1].Count != Keep+99 {
		t.Fatalf("bounded: %d intervals, want %d", len(d.Intervals), Keep)
	}
}

func TestMalformedLinesAreWarnedNotFatal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.jsonl")
	appendTo(t, path, "{oops\n"+interval(0, 3))
	var warn strings.Builder
	f := newFollower(path, &record.Problems{Tool: "plotrt", W: &warn})
	poll(t, f)
	if d, _, _ := f.snapshot(); len(d.Intervals) != 1 || warn.String() != "plotrt: warning: "+path+":1: expected a JSON record with a \"type\"\n" {
		t.Fatalf("%d intervals, warned %q", len(d.Intervals), warn.String())
	}
}

func get(t *testing.T, url string, host string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if host != "" {
		req.Host = host
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

// The state follows the file; many clients at once get one rendering.
func TestServerStateAndFigures(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.jsonl")
	appendTo(t, path, interval(0, 3)+`{"type":"verdict","requirement":"p99<=1s","pass":true,"checks":[]}`+"\n")
	s := New([]string{path}, "", &record.Problems{})
	poll(t, s.files[0])
	s.version.Add(1)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	code, body := get(t, ts.URL+"/state.json", "")
	var st state
	if code != 200 || json.Unmarshal([]byte(body), &st) != nil || st.Latest == nil || st.Latest.Count != 3 ||
		st.Latest.P99 != "190 ms" || st.Pass == nil || !*st.Pass || st.Verdict != "PASS — requirement p99<=1s" {
		t.Fatalf("%d %s", code, body)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, body := get(t, ts.URL+"/figure/rt.png", ""); code != 200 || !strings.HasPrefix(body, "\x89PNG") {
				t.Errorf("figure: %d", code)
			}
		}()
	}
	wg.Wait()
	if code, _ := get(t, ts.URL+"/figure/load.png", ""); code != 404 {
		t.Errorf("a load figure without steps: %d", code)
	}
	if code, body := get(t, ts.URL+"/", ""); code != 200 || !strings.Contains(body, "perflab live view") || strings.Contains(body, "https://") {
		t.Errorf("page: %d", code)
	}
}

func TestTokenAndHost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.jsonl")
	ts := httptest.NewServer(New([]string{path}, "s3cret", &record.Problems{}).Handler())
	defer ts.Close()
	if code, _ := get(t, ts.URL+"/state.json", ""); code != 403 {
		t.Errorf("without the token: %d", code)
	}
	if code, _ := get(t, ts.URL+"/state.json?token=wrong", ""); code != 403 {
		t.Errorf("a wrong token: %d", code)
	}
	if code, body := get(t, ts.URL+"/?token=s3cret", "example.org"); code != 200 || !strings.Contains(body, `const token = "s3cret"`) {
		t.Errorf("with the token: %d", code)
	}
	open := httptest.NewServer(New([]string{path}, "", &record.Problems{}).Handler())
	defer open.Close()
	if code, _ := get(t, open.URL+"/state.json", "evil.example:80"); code != 403 {
		t.Errorf("a foreign Host without a token: %d", code)
	}
	for addr, ok := range map[string]bool{"127.0.0.1:8090": true, "localhost:1": true, "[::1]:2": true, "0.0.0.0:8090": false, "10.1.2.3:80": false} {
		if err := CheckAddr(addr, ""); (err == nil) != ok {
			t.Errorf("%s: %v", addr, err)
		}
	}
	if err := CheckAddr("0.0.0.0:8090", "t"); err != nil {
		t.Error(err)
	}
}
