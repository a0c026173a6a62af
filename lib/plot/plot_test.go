package plot

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	charts "github.com/vicanso/go-charts/v2"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/jsonl"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The clock labels are local time; the golden files are drawn in UTC.
func init() { time.Local = time.UTC }

// fixture: one minute of a Tests-under-Fault run with one outage, as histo
// and arssim would write it.
func fixture(t *testing.T) []*Data {
	t.Helper()
	t0 := time.Date(2020, 6, 30, 15, 20, 0, 0, time.UTC)
	var b strings.Builder
	for i := 0; i < 60; i++ {
		a := hist.NewAcc()
		ms := int64(2000 + i%7)
		if i == 40 {
			ms = 33250
		}
		a.Add(t0.Add(time.Duration(i)*time.Second), ms*1000, false)
		a.Start, a.End = t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+1)*time.Second)
		s := a.Stats(record.TypeInterval, false)
		writeJSON(t, &b, s)
	}
	b.WriteString(`{"type":"event","event":"fault","ts":"2020-06-30T15:20:07Z","fault":1}` + "\n")
	b.WriteString(`{"type":"event","event":"recovered","ts":"2020-06-30T15:20:40Z","fault":1}` + "\n")
	b.WriteString(`{"type":"verdict","requirement":"mean<=10s,max<=30s","pass":false}` + "\n")
	d, err := Read(context.Background(), strings.NewReader(b.String()), "fixture", &record.Problems{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	return []*Data{d}
}

func writeJSON(t *testing.T, b *strings.Builder, s record.Stats) {
	t.Helper()
	s.Hist = ""
	out, err := jsonl.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	b.Write(out)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./lib/plot -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Fatalf("%s differs from the golden file (see %s.got; go test ./lib/plot -update accepts it)", name, path)
	}
}

func TestResponseTimeSVG(t *testing.T) {
	data := fixture(t)
	if len(data[0].Intervals) != 60 || len(data[0].Events) != 2 ||
		len(data[0].Checks) != 2 || data[0].Checks[1] != (requirement.Check{Metric: "max", Limit: 30000}) {
		t.Fatalf("read: %d intervals, %d events, checks %v", len(data[0].Intervals), len(data[0].Events), data[0].Checks)
	}
	fig, err := ResponseTime(data, RTOptions{Title: "Tests under Fault", FaultBand: true, BandLow: 28, BandHigh: 36,
		ShowMinimum: true, Limits: []HLine{{Name: "Maximum time allowed (30 s)", Y: 30, Color: Red}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Bands) != 2 || !fig.Bands[1].Vertical || fig.Bands[1].X1-fig.Bands[1].X0 != 33 {
		t.Fatalf("bands %+v: want the fault band and one 33 s fault window", fig.Bands)
	}
	svg, err := fig.Render("svg")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "response-time.svg", svg)
}

func TestLoadSVGFromLegacyLog(t *testing.T) {
	log := "2023-04-21 10:01:31,932 Clients: 200: avg: 0.149s, max: 10.217s\n2023-04-21 10:01:31,932 --> True\n" +
		"2023-04-21 10:12:35,511 Clients: 400: avg: 0.169s, max: 20.475s\n2023-04-21 10:12:35,511 --> True\n" +
		"2023-04-21 10:23:35,511 Clients: 600: avg: 12.5s, max: 31.2s\nFinished performance test. System failed at 600\n"
	d, err := Read(context.Background(), strings.NewReader(log), "legacy", &record.Problems{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Steps) != 3 || d.Steps[2].Users != 600 || d.Steps[2].MeanMS != 12500 || d.Steps[1].MaxMS != 20475 {
		t.Fatalf("steps %+v", d.Steps)
	}
	fig, err := Load([]*Data{d}, LoadOptions{Title: "Saturation", Limits: []HLine{{Name: "Average time allowed (10 s)", Y: 10, Color: Yellow, Dash: true}}})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := fig.Render("svg")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "load.svg", svg)
}

func TestBadInputNamesTheLine(t *testing.T) {
	in := "{\"type\":\"interval\"}\n{oops\n"
	_, err := Read(context.Background(), strings.NewReader(in), "in.jsonl", &record.Problems{Strict: true})
	if err == nil || !strings.HasPrefix(err.Error(), "in.jsonl:2: expected a JSON record") {
		t.Fatalf("%v", err)
	}
	var warn strings.Builder
	p := &record.Problems{Tool: "plotrt", W: &warn}
	if _, err := Read(context.Background(), strings.NewReader(in), "in.jsonl", p); err != nil || p.Count() != 1 ||
		warn.String() != "plotrt: warning: in.jsonl:2: expected a JSON record with a \"type\"\n" {
		t.Fatalf("without --strict: %v, %d malformed, warned %q", err, p.Count(), warn.String())
	}
	if _, err := ResponseTime([]*Data{{Name: "x"}}, RTOptions{}); err == nil {
		t.Fatal("a figure without data")
	}
}

func TestThinKeepsExtremes(t *testing.T) {
	var pts []charts.Point
	for i := 0; i < 50000; i++ {
		y := 500
		if i == 31337 {
			y = 3 // one spike (small y is high on screen)
		}
		pts = append(pts, charts.Point{X: i % 1000, Y: y})
	}
	out := thin(pts)
	if len(out) >= len(pts) || len(out) > 2*1000 {
		t.Fatalf("thinned to %d points", len(out))
	}
	found := false
	for _, p := range out {
		found = found || p.Y == 3
	}
	if !found {
		t.Fatal("the spike was thinned away")
	}
}

func FuzzRead(f *testing.F) {
	f.Add("{\"type\":\"interval\",\"start\":\"2020-06-30T15:20:00Z\",\"count\":1,\"max_ms\":2}\nClients: 5: avg: 1s, max: 2s\n")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Read(context.Background(), strings.NewReader(s), "f", &record.Problems{Strict: true})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f") {
				t.Fatalf("error without the input's name: %v", err)
			}
			return
		}
		for _, st := range d.Steps {
			_ = st.Users
		}
	})
}
