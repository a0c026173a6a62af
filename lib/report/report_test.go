package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/golden"
	"github.com/perflab/perflab/lib/record"
)

func init() { time.Local = time.UTC }

func write(t *testing.T, dir, base string) []byte {
	t.Helper()
	r, err := Load(context.Background(), dir, base, &record.Problems{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var fontData = regexp.MustCompile(`base64,[A-Za-z0-9+/=]+\)`)

// The report of a run directory is one stable page: the golden file holds
// it with the embedded font left out (it is the same in every report).
func TestReportGolden(t *testing.T) {
	page := write(t, "testdata/run", "testdata/run")
	if !bytes.Equal(page, write(t, "testdata/run", "testdata/run")) {
		t.Fatal("two reports of the same run differ")
	}
	if !bytes.Contains(page, []byte("font/ttf;base64,AAEAAA")) {
		t.Fatal("the figures' font is not embedded")
	}
	golden.Check(t, "run.html", fontData.ReplaceAll(page, []byte("base64,FONT)")))
}

// What a reader looks for is on the page, with the numbers of the records.
func TestReportContent(t *testing.T) {
	page := string(write(t, "testdata/run", "testdata/run"))
	for _, want := range []string{
		`<span class="badge fail">FAIL</span>`,
		`<td>max</td><td>30s</td><td>37.5 s</td><td>-7.5 s</td><td>125 %</td><td class="fail">FAIL</td>`,
		`<td>mean</td><td>10s</td><td>2.813 s</td><td>&#43;7.187 s</td><td>28 %</td><td class="pass">pass</td>`,
		`<h3>Per request name</h3>`,
		`<td>fake_call</td><td>300</td><td>0</td><td>4.9</td><td>2 s</td><td>2.021 s</td><td>2.021 s</td><td>2.03 s</td><td>33.423 s</td><td>37.5 s</td><td>37.5 s</td><td>model (×0.05)</td>`,
		`<td>500</td><td>0</td><td>2</td>`,
		`<strong>77 users pass, 79 fail</strong>`,
		`<td>fault</td><td>1</td><td>37.49 s</td><td>35.99 s</td>`,
		`<a href="histo.jsonl">histo.jsonl</a>`,
		`<dt>seed</dt><dd>42</dd>`,
		`Response time over the run`, `Throughput and errors over the run`, `Distribution of response times`, `Latency against load`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "http://") && !strings.Contains(page, `xmlns="http://www.w3.org/2000/svg"`) || strings.Contains(page, "https://") || strings.Contains(page, "<script") {
		t.Error("the page refers to the network or runs a script")
	}
}

// Without per-group records the tables come from the summaries, p95 from
// the histogram; links are relative to where the report goes.
func TestReportWithoutGroups(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"histo.jsonl", "manifest.json"} {
		b, err := os.ReadFile(filepath.Join("testdata/run", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	page := string(write(t, dir, filepath.Dir(dir)))
	for _, want := range []string{
		`<td>histo.jsonl</td><td>321</td><td>0</td><td>5.247</td><td>2 s</td><td>2.021 s</td><td>2.021 s</td><td>2.081 s</td><td>33.423 s</td>`,
		`<td>answered (2xx, 3xx)</td><td>321</td><td>0</td>`,
		`<a href="` + filepath.Base(dir) + `/histo.jsonl">histo.jsonl</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "Latency against load") || strings.Contains(page, "Fault events") {
		t.Error("sections without data are drawn")
	}
}

func TestLoadErrorsNameTheDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(context.Background(), dir, dir, &record.Problems{}); err == nil || !strings.Contains(err.Error(), dir+": not a run directory") {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{nope"), 0o644)
	if _, err := Load(context.Background(), dir, dir, &record.Problems{}); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "manifest.json")+": ") {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"type":"manifest"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "histo.jsonl"), []byte("{\"type\":\"summary\",\"count\":-1}\n"), 0o644)
	_, err := Load(context.Background(), dir, dir, &record.Problems{Strict: true})
	if err == nil || err.Error() != filepath.Join(dir, "histo.jsonl")+":1: negative count or errors" {
		t.Fatal(err)
	}
}
