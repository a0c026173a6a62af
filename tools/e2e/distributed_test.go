package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// The acceptance of issue 14's "many machines": four segments of one plan on
// four SSH test hosts against arssim, with the real fire and histo.

// samples reads the sample records of JSON-lines files.
func samples(t *testing.T, files ...string) []record.Sample {
	t.Helper()
	var out []record.Sample
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), `{"type":"sample"`) {
				var s record.Sample
				if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				out = append(out, s)
			}
		}
		fh.Close()
	}
	return out
}

// offsets: every sample's scheduled send, from the earliest, in µs, sorted.
func offsets(ss []record.Sample) []int64 {
	var first time.Time
	for _, s := range ss {
		if first.IsZero() || s.Scheduled.Before(first) {
			first = s.Scheduled
		}
	}
	var o []int64
	for _, s := range ss {
		o = append(o, s.Scheduled.Sub(first).Microseconds())
	}
	slices.Sort(o)
	return o
}

func segFiles(dir, pattern string, n int) []string {
	var f []string
	for i := 1; i <= n; i++ {
		f = append(f, filepath.Join(dir, strings.ReplaceAll(pattern, "I", itoa(i))))
	}
	return f
}

// Open model: the four segments send exactly the unsegmented run's schedule
// (the union of their scheduled sends is its schedule), and histo's merge of
// the four equals one histogram over all samples, and the merge of the four
// feedback files.
func TestDistributedOpenModelIsExact(t *testing.T) {
	t.Parallel()
	_, hosts := testHosts(t, 4)
	port := arssim(t, "--model", "none")
	dir := filepath.Join(t.TempDir(), "run")
	const planCmd = "plan constant --rate 200 --duration 2s"
	out, stderr, code := distributed(t, bin, nil, "--hosts", hosts, "--target", "127.0.0.1:"+port, "--plan", planCmd,
		"--format", "jsonl", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if m := readManifest(t, dir); m.Complete == nil || !*m.Complete || len(m.Segments) != 4 {
		t.Fatalf("manifest: %+v", m)
	}
	ref := t.TempDir()
	if _, e, c := sh(t, ref, planCmd+" | fire --target :"+port+" --format jsonl --progress 0 > ref.jsonl"); c != 0 {
		t.Fatalf("unsegmented fire: exit %d: %s", c, e)
	}
	seg := samples(t, segFiles(dir, "seg-I.jsonl", 4)...)
	one := samples(t, filepath.Join(ref, "ref.jsonl"))
	if len(one) != 400 || len(seg) != len(one) {
		t.Fatalf("segments sent %d, one fire %d: want the plan's 400 arrivals each", len(seg), len(one))
	}
	a, b := offsets(seg), offsets(one)
	for i := range a {
		if d := a[i] - b[i]; d > 1000 || d < -1000 {
			t.Fatalf("arrival %d: scheduled at +%d µs in the segments, +%d µs in one fire", i, a[i], b[i])
		}
	}
	// one histogram over all samples: histo over the samples alone, in one file
	// (without the segments' marks: an incomplete run to histo, allowed here)
	var all strings.Builder
	for _, f := range segFiles(dir, "seg-I.jsonl", 4) {
		b, _ := os.ReadFile(f)
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if strings.HasPrefix(l, `{"type":"sample"`) {
				all.WriteString(l)
			}
		}
	}
	os.WriteFile(filepath.Join(ref, "all.jsonl"), []byte(all.String()), 0o644)
	if _, e, c := sh(t, ref, "histo --allow-incomplete all.jsonl > all.stats && histo "+strings.Join(segFiles(dir, "seg-I.feedback.jsonl", 4), " ")+" > fb.stats"); c != 0 {
		t.Fatalf("histo: exit %d: %s", c, e)
	}
	merged, whole, fb := summary(t, filepath.Join(dir, "histo.jsonl")), summary(t, filepath.Join(ref, "all.stats")), summary(t, filepath.Join(ref, "fb.stats"))
	for _, k := range []string{"count", "errors", "p50_ms", "p99_ms", "max_ms"} {
		if merged[k] != whole[k] || fb[k] != whole[k] {
			t.Errorf("%s: histo over the 4 segments %v, over all samples in one file %v, over the 4 feedback files %v", k, merged[k], whole[k], fb[k])
		}
	}
	if merged["complete"] != true {
		t.Errorf("merged summary: complete = %v", merged["complete"])
	}
}

// Closed model: 8 users thinking 1 s for 2.5 s send 3 times each, 24 in all,
// split 2 users a segment — the same count as one unsegmented fire.
func TestDistributedClosedModelIsExact(t *testing.T) {
	t.Parallel()
	_, hosts := testHosts(t, 4)
	port := arssim(t, "--model", "none")
	dir := filepath.Join(t.TempDir(), "run")
	const planCmd = "plan constant --users 8 --think 1s --duration 2500ms"
	out, stderr, code := distributed(t, bin, nil, "--hosts", hosts, "--target", "127.0.0.1:"+port, "--plan", planCmd, "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var seg int
	for _, f := range segFiles(dir, "seg-I.log", 4) {
		b, _ := os.ReadFile(f)
		seg += len(times(string(b)))
	}
	ref := t.TempDir()
	if _, e, c := sh(t, ref, planCmd+" | fire --target :"+port+" --progress 0 > ref.log"); c != 0 {
		t.Fatalf("unsegmented fire: exit %d: %s", c, e)
	}
	b, _ := os.ReadFile(filepath.Join(ref, "ref.log"))
	if one := len(times(string(b))); seg != 24 || one != 24 {
		t.Fatalf("segments answered %d, one fire %d: want 8 users × 3 sends = 24", seg, one)
	}
	if s := summary(t, filepath.Join(dir, "histo.jsonl")); s["count"] != 24.0 || s["complete"] != true {
		t.Fatalf("merged summary: %v", s)
	}
}

// A segment killed mid-run: histo finds the merged run incomplete (exit 5),
// the pipeline exits non-zero and the manifest shows the segment.
func TestDistributedKilledSegmentIsFlagged(t *testing.T) {
	t.Parallel()
	c, hosts := testHosts(t, 4)
	port := arssim(t, "--model", "none")
	dir := filepath.Join(t.TempDir(), "run")
	kill := func(*exec.Cmd) {
		pids := waitPids(t, c.Hosts[2], "fire")
		time.Sleep(time.Second)
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	out, stderr, code := distributed(t, bin, kill, "--hosts", hosts, "--target", "127.0.0.1:"+port,
		"--plan", "plan constant --rate 100 --duration 6s", "--out", dir)
	if code != 5 || !strings.Contains(stderr, "INCOMPLETE RUN") {
		t.Fatalf("exit %d (want 5)\n%s\n%s", code, out, stderr)
	}
	m := readManifest(t, dir)
	if m.Complete == nil || *m.Complete || m.HistoExit == nil || *m.HistoExit != 5 || m.Segments[2].Exit != 137 || m.Segments[2].Status != "" {
		t.Fatalf("manifest: complete %v, histo_exit %v, segment 3 %+v", m.Complete, m.HistoExit, m.Segments[2])
	}
	if _, e, c := sh(t, dir, "histo seg-1.log seg-2.log seg-3.log seg-4.log > /dev/null"); c != 5 {
		t.Fatalf("histo over the segments: exit %d (want 5): %s", c, e)
	}
}
