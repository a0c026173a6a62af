package plot

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	charts "github.com/vicanso/go-charts/v2"

	"github.com/perflab/perflab/lib/golden"
	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/jsonl"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// The clock labels are local time; the golden files are drawn in UTC.
func init() { time.Local = time.UTC }

// tufInput is one minute of a Tests-under-Fault run with one outage, as
// histo and arssim write it; scale ≠ 1 makes it a time-scaled run (the
// latencies model time, the instants real).
func tufInput(t *testing.T, scale float64, withHist bool) string {
	t.Helper()
	t0 := time.Date(2020, 6, 30, 15, 20, 0, 0, time.UTC)
	var b strings.Builder
	all := hist.NewAcc()
	all.SetScale(scale)
	for i := 0; i < 60; i++ {
		a := hist.NewAcc()
		a.SetScale(scale)
		ms := int64(2000 + i%7)
		if i == 40 {
			ms = 33250
		}
		at := t0.Add(time.Duration(i) * time.Second)
		us := int64(float64(ms*1000) * scale)
		a.Add(at, us, false)
		all.Add(at, us, false)
		a.Start, a.End = at, at.Add(time.Second)
		writeJSON(t, &b, a.Stats(record.TypeInterval, false))
	}
	if withHist {
		writeJSON(t, &b, all.Stats(record.TypeSummary, true))
	}
	b.WriteString(`{"type":"event","event":"fault","ts":"2020-06-30T15:20:07Z","fault":1}` + "\n")
	b.WriteString(`{"type":"event","event":"recovered","ts":"2020-06-30T15:20:40Z","fault":1}` + "\n")
	b.WriteString(`{"type":"verdict","requirement":"mean<=10s,max<=30s","pass":false,"checks":[` +
		`{"metric":"mean","limit":"10s","value":2500,"limit_value":10000,"pass":true},` +
		`{"metric":"max","limit":"30s","value":33250,"limit_value":30000,"pass":false}]}` + "\n")
	return b.String()
}

// rampInput is a rampctl search under p99 <= 2 s: 40 users pass, 50 fail.
const rampInput = `{"type":"step","users":10,"offered_rps":10,"achieved_rps":10,"count":600,"mean_ms":210,"p50_ms":200,"p99_ms":400,"max_ms":900,"pass":true,"headroom":0.2}
{"type":"step","users":40,"offered_rps":40,"achieved_rps":39,"count":2340,"mean_ms":900,"p50_ms":850,"p99_ms":1900,"max_ms":5200,"pass":true,"headroom":0.95}
{"type":"step","users":50,"offered_rps":50,"achieved_rps":41,"count":2460,"mean_ms":1500,"p50_ms":1400,"p99_ms":2600,"max_ms":7100,"pass":false,"headroom":1.3}
{"type":"step","users":160,"offered_rps":160,"achieved_rps":42,"count":2500,"mean_ms":9000,"p50_ms":8800,"p99_ms":14000,"max_ms":16000,"pass":false,"headroom":7,"early_stop":true}
{"type":"result","found":true,"saturation_users":40,"first_fail_users":50,"requirement":"p99<=2s","search":"fast","steps":4,"wall_s":480}
`

const legacyLog = "2023-04-21 10:01:31,932 Clients: 200: avg: 0.149s, max: 10.217s\n2023-04-21 10:01:31,932 --> True\n" +
	"2023-04-21 10:12:35,511 Clients: 400: avg: 0.169s, max: 20.475s\n2023-04-21 10:12:35,511 --> True\n" +
	"2023-04-21 10:23:35,511 Clients: 600: avg: 12.5s, max: 31.2s\n2023-04-21 10:23:35,511 --> False\nFinished performance test. System failed at 600\n"

func read(t *testing.T, in, name string) *Data {
	t.Helper()
	d, err := Read(context.Background(), strings.NewReader(in), name, &record.Problems{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func writeJSON(t *testing.T, b *strings.Builder, s record.Stats) {
	t.Helper()
	out, err := jsonl.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	b.Write(out)
}

func render(t *testing.T, fig *Figure, err error, format string) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	b, err := fig.Render(format)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestResponseTimeSVG(t *testing.T) {
	d := read(t, tufInput(t, 1, false), "fixture")
	if len(d.Intervals) != 60 || len(d.Events) != 2 ||
		len(d.Checks) != 2 || d.Checks[1] != (requirement.Check{Metric: "max", Limit: 30000}) {
		t.Fatalf("read: %d intervals, %d events, checks %v", len(d.Intervals), len(d.Events), d.Checks)
	}
	fig, err := ResponseTime([]*Data{d}, RTOptions{Title: "Tests under Fault", FaultBand: true, BandLow: 28, BandHigh: 36,
		ShowMinimum: true, MinusMin: true, Limits: LimitLines(d.Checks, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Bands) != 2 || !fig.Bands[1].Vertical || fig.Bands[1].X1-fig.Bands[1].X0 != 33 || !fig.XTime {
		t.Fatalf("bands %+v: want the fault band and one 33 s fault window on a clock axis", fig.Bands)
	}
	golden.Check(t, "response-time.svg", render(t, fig, err, "svg"))
}

// A time-scaled run is drawn in model time on both axes: the 33 s real
// outage at scale 0.05 spans 660 model seconds.
func TestResponseTimeModelTime(t *testing.T) {
	d := read(t, tufInput(t, 0.05, true), "model")
	fig, err := ResponseTime([]*Data{d}, RTOptions{Title: "Model time", ShowMinimum: true, Limits: LimitLines(d.Checks, nil)})
	if err != nil {
		t.Fatal(err)
	}
	w := fig.Bands[0]
	if !fig.XElapsed || fig.XTime || w.X0 != 140 || w.X1 != 800 || fig.Series[0].X[59] != 1180 || fig.Series[0].Y[40] != 33.25 {
		t.Fatalf("model axis: elapsed %v, window %g–%g, last x %g, y %g", fig.XElapsed, w.X0, w.X1, fig.Series[0].X[59], fig.Series[0].Y[40])
	}
	if !strings.Contains(fig.XLabel, "Model time") || !strings.Contains(fig.YLabel, "model time") {
		t.Fatalf("labels %q, %q", fig.XLabel, fig.YLabel)
	}
	golden.Check(t, "response-time-model.svg", render(t, fig, err, "svg"))
	fig, err = ResponseTime([]*Data{d}, RTOptions{Title: "Model clock", ClockStart: 10 * 3600})
	ticks := fig.xTicks(&frame{x0: 0, x1: 1180})
	if err != nil || ticks[0].Label != "10:00" || ticks[1].Label != "10:02" {
		t.Fatalf("model clock ticks %v (%v)", ticks, err)
	}
}

// The load chart draws what the requirement checks (p99), rings the failed
// levels where they broke it and marks the saturation point.
func TestLoadDrawsTheCheckedMetric(t *testing.T) {
	d := read(t, rampInput, "ramp")
	metrics := LoadMetrics([]*Data{d})
	if len(metrics) != 1 || metrics[0] != "p99" {
		t.Fatalf("metrics %v, want [p99]", metrics)
	}
	fig, err := Load([]*Data{d}, LoadOptions{Title: "Saturation", Limits: LimitLines(d.Checks, metrics)})
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Series) != 2 || fig.Series[0].Name != "p99 response time" || fig.Series[0].Y[2] != 2.6 ||
		fig.Series[1].Mark != Rings || len(fig.Series[1].X) != 2 || fig.Series[1].X[0] != 50 {
		t.Fatalf("series %+v", fig.Series)
	}
	if len(fig.VLines) != 1 || fig.VLines[0].X != 40 || !strings.Contains(fig.VLines[0].Name, "40 users (50 failed)") ||
		len(fig.HLines) != 1 || fig.HLines[0].Y != 2 {
		t.Fatalf("saturation %+v, limits %+v", fig.VLines, fig.HLines)
	}
	golden.Check(t, "load-p99.svg", render(t, fig, err, "svg"))
}

func TestLoadFromLegacyLog(t *testing.T) {
	d := read(t, legacyLog, "legacy")
	if len(d.Steps) != 3 || d.Steps[2].Users != 600 || d.Steps[2].MeanMS != 12500 || d.Steps[1].MaxMS != 20475 ||
		!d.Steps[1].Pass || d.Steps[2].Pass || d.Result == nil || d.Result.SaturationUsers != 400 {
		t.Fatalf("steps %+v, result %+v", d.Steps, d.Result)
	}
	fig, err := Load([]*Data{d}, LoadOptions{Title: "Saturation", Limits: LimitLines(requirement.Study().Checks, nil)})
	golden.Check(t, "load-legacy.svg", render(t, fig, err, "svg"))
}

// The distribution runs from the exact minimum at 0 % to the exact maximum
// at 100 %, in model time, and is named after the run.
func TestDistribution(t *testing.T) {
	d := read(t, tufInput(t, 0.05, true), "run-1")
	fig, err := Distribution([]*Data{d}, "Distribution")
	if err != nil {
		t.Fatal(err)
	}
	s := fig.Series[0]
	last := len(s.X) - 1
	if s.Name != "run-1" || s.X[0] != 1 || s.Y[0] != 2 || s.Y[last] != 33.25 || s.X[last] != 60 ||
		fig.XTicks[len(fig.XTicks)-1] != (Tick{60, "100%"}) || fig.YLabel != "Response time (s, model time)" {
		t.Fatalf("curve %v → %v (%q), ticks %v", s.X, s.Y, s.Name, fig.XTicks)
	}
	golden.Check(t, "distribution.svg", render(t, fig, err, "svg"))
}

// Every figure kind, PNG and SVG, with events, bands and several inputs,
// rendered twice gives the same bytes.
func TestRenderingIsDeterministic(t *testing.T) {
	a, b := read(t, tufInput(t, 1, true), "a"), read(t, tufInput(t, 0.5, true), "b")
	r1, r2 := read(t, rampInput, "r1"), read(t, legacyLog, "r2")
	figs := map[string]func() (*Figure, error){
		"rt": func() (*Figure, error) {
			return ResponseTime([]*Data{a, a}, RTOptions{FaultBand: true, BandLow: 28, BandHigh: 36, MinusMin: true, ShowMinimum: true, Limits: LimitLines(a.Checks, nil)})
		},
		"rt-model": func() (*Figure, error) { return ResponseTime([]*Data{b}, RTOptions{ClockStart: 3600}) },
		"load":     func() (*Figure, error) { return Load([]*Data{r1, r2}, LoadOptions{XRate: true}) },
		"dist":     func() (*Figure, error) { return Distribution([]*Data{a, b}, "d") },
	}
	for _, kind := range []string{"rt", "rt-model", "load", "dist"} {
		for _, format := range []string{"png", "svg"} {
			f1, err1 := figs[kind]()
			f2, err2 := figs[kind]()
			if !bytes.Equal(render(t, f1, err1, format), render(t, f2, err2, format)) {
				t.Errorf("%s %s: two renderings differ", kind, format)
			}
		}
	}
}

// A legend name never runs into the next column: columns are as wide as
// the longest name measured in the font.
func TestLegendFits(t *testing.T) {
	p, err := charts.NewPainter(charts.PainterOptions{Type: "svg", Width: 1200, Height: 720})
	if err != nil {
		t.Fatal(err)
	}
	fig := &Figure{Width: 1200, Height: 720, HLines: []HLine{{Name: "Minimum response time measured (2 s)"}, {Name: "b"}, {Name: "c"},
		{Name: strings.Repeat("a very long name ", 20)}}}
	lg := fig.legendLayout(p, 1000)
	p.SetTextStyle(charts.Style{FontSize: legendFont})
	for _, it := range lg.items {
		if w := p.MeasureText(it.name).Width(); 38+w > lg.colW {
			t.Errorf("%q is %d px wide in a %d px column", it.name, w, lg.colW)
		}
	}
	if lg.cols != 1 || !strings.HasSuffix(lg.items[3].name, "…") {
		t.Fatalf("%d columns, last item %q", lg.cols, lg.items[3].name)
	}
}

func TestBadInputNamesTheLine(t *testing.T) {
	in := "{\"type\":\"interval\"}\n{oops\n"
	_, err := Read(context.Background(), strings.NewReader(in), "in.jsonl", &record.Problems{Strict: true})
	if err == nil || !strings.HasPrefix(err.Error(), "in.jsonl:2: expected a JSON record") {
		t.Fatalf("%v", err)
	}
	var warn strings.Builder
	p := &record.Problems{Tool: "plotrt", W: &warn}
	if d, err := Read(context.Background(), strings.NewReader(in), "in.jsonl", p); err != nil || p.Count() != 1 || d.Malformed != 1 ||
		warn.String() != "plotrt: warning: in.jsonl:2: expected a JSON record with a \"type\"\n" {
		t.Fatalf("without --strict: %v, %d malformed, warned %q", err, p.Count(), warn.String())
	}
	for _, bad := range []string{
		`{"type":"summary","count":1,"min_ms":-5,"max_ms":3}`,
		`{"type":"summary","count":2,"min_ms":5,"max_ms":3}`,
		`{"type":"summary","count":1,"min_ms":1,"max_ms":3,"hist":"HISTFAAAAnonsense"}`,
		`{"type":"step","users":-3}`,
		`Clients: 5: avg: NaNs, max: 2s`,
	} {
		_, err := Read(context.Background(), strings.NewReader("\n"+bad+"\n"), "x", &record.Problems{Strict: true})
		if err == nil || !strings.HasPrefix(err.Error(), "x:2: ") {
			t.Errorf("%s: %v, want an error naming x:2", bad, err)
		}
	}
	if _, err := ResponseTime([]*Data{{Name: "x"}}, RTOptions{}); err == nil {
		t.Fatal("a figure without data")
	}
}

func TestSizeBounds(t *testing.T) {
	if err := CheckSize(100000, 720); err == nil || err.Error() != "--width 100000: expected 400 to 8000 pixels" {
		t.Fatal(err)
	}
	if _, err := (&Figure{Width: 1200, Height: 100000}).Render("png"); err == nil || !strings.HasPrefix(err.Error(), "--height") {
		t.Fatal(err)
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
	f.Add("{\"type\":\"interval\",\"start\":\"2020-06-30T15:20:00Z\",\"count\":1,\"max_ms\":2}\nClients: 5: avg: 1s, max: 2s\n--> True\n")
	f.Add(rampInput)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Read(context.Background(), strings.NewReader(s), "f", &record.Problems{Strict: true})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f:") {
				t.Fatalf("error without the input's name and line: %v", err)
			}
			return
		}
		for _, iv := range append(d.Intervals, d.Groups...) {
			if iv.Count > 0 && (iv.MinMS > iv.MaxMS || iv.MinMS < 0) {
				t.Fatalf("impossible record accepted: %+v", iv)
			}
		}
	})
}
