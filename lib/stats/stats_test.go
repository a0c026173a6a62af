package stats

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
)

var study = []hist.Threshold{{Label: "10s", D: 10 * time.Second}, {Label: "30s", D: 30 * time.Second}}

// studyLog writes a Locust log like the study's Tests under Fault run: one
// device, ~2 s responses, and two outages of about 30 s; it returns what the
// original evaluator would report.
func studyLog() (log string, responses, above10, above30 int, minMS int64) {
	var b []byte
	t := time.Date(2020, 6, 30, 15, 20, 0, 147e6, time.UTC)
	b = append(rtlog.AppendTimestamp(b, t), " h/INFO/locust.runners: Hatching and swarming 1 clients at the rate 1 clients/s...\n"...)
	minMS = 1 << 62
	for i := 0; i < 600; i++ {
		ms := int64(2000 + (i*37)%40)
		switch i {
		case 100:
			ms = 31250 // an outage, longer than 30 s
		case 300:
			ms = 29800 // shorter than 30 s but a "fault" (> 10 s)
		case 400:
			ms = 10000 // exactly 10 s: not above
		}
		t = t.Add(time.Duration(ms)*time.Millisecond + time.Second)
		b = append(rtlog.AppendTimestamp(b, t), " h/INFO/RepeatingHttpClient: Sending to http://localhost:1337/fake_call\n"...)
		b = rtlog.AppendResponse(b, t, "Juris-MBP.fritz.box", "RepeatingHttpClient", ms)
		responses++
		if ms > 10000 {
			above10++
		}
		if ms > 30000 {
			above30++
		}
		minMS = min(minMS, ms)
	}
	return string(b), responses, above10, above30, minMS
}

func run(t *testing.T, opts Options, inputs ...string) ([]record.Stats, *Result) {
	t.Helper()
	var ins []Input
	for i, s := range inputs {
		ins = append(ins, Input{Name: fmt.Sprintf("in%d", i), R: strings.NewReader(s)})
	}
	if opts.Loc == nil {
		opts.Loc = time.UTC
	}
	var out bytes.Buffer
	res, err := Run(context.Background(), opts, ins, &out)
	if err != nil {
		t.Fatal(err)
	}
	var recs []record.Stats
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s record.Stats
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		recs = append(recs, s)
	}
	return recs, res
}

func TestStudyNumbers(t *testing.T) {
	log, n, a10, a30, minMS := studyLog()
	recs, res := run(t, Options{Interval: time.Second, Exceed: study}, log)
	s := res.Summary
	if s.Count != int64(n) || s.Exceed["10s"] != int64(a10) || s.Exceed["30s"] != int64(a30) || s.MinMS != float64(minMS) {
		t.Fatalf("summary %d responses, >10s %d, >30s %d, min %v; want %d, %d, %d, %d",
			s.Count, s.Exceed["10s"], s.Exceed["30s"], s.MinMS, n, a10, a30, minMS)
	}
	if s.MaxMS != 31250 {
		t.Fatalf("max %v, want 31250", s.MaxMS)
	}
	last := recs[len(recs)-1]
	if last.Type != record.TypeSummary {
		t.Fatalf("last record is %q", last.Type)
	}
	var sum int64
	for _, r := range recs[:len(recs)-1] {
		if r.Type != record.TypeInterval || r.End.Sub(r.Start) != time.Second {
			t.Fatalf("bad interval %+v", r)
		}
		sum += r.Count
	}
	if sum != int64(n) {
		t.Fatalf("intervals hold %d responses, want %d", sum, n)
	}
}

func TestMergeTwoHalvesEqualsWhole(t *testing.T) {
	log, _, _, _, _ := studyLog()
	lines := strings.SplitAfter(log, "\n")
	var a, b strings.Builder
	for i, l := range lines {
		if i%2 == 0 {
			a.WriteString(l)
		} else {
			b.WriteString(l)
		}
	}
	_, whole := run(t, Options{Interval: time.Second, Exceed: study}, log)
	_, merged := run(t, Options{Interval: time.Second, Exceed: study}, a.String(), b.String())
	w, m := whole.Summary, merged.Summary
	if w.Count != m.Count || w.P99MS != m.P99MS || w.MeanMS != m.MeanMS || w.Hist != m.Hist || w.Exceed["30s"] != m.Exceed["30s"] {
		t.Fatalf("merged %+v\nwhole %+v", m, w)
	}
	// and histo's own interval output, read back, gives the same summary
	var halfOut [2]bytes.Buffer
	for i, s := range []string{a.String(), b.String()} {
		if _, err := Run(context.Background(), Options{Interval: time.Second, Exceed: study, Loc: time.UTC}, []Input{{"x", strings.NewReader(s)}}, &halfOut[i]); err != nil {
			t.Fatal(err)
		}
	}
	_, again := run(t, Options{Interval: 0, Exceed: study}, halfOut[0].String(), halfOut[1].String())
	if again.Summary.Count != w.Count || !sameHist(t, again.Summary.Hist, w.Hist) || again.Summary.MinMS != w.MinMS || again.Summary.Exceed["10s"] != w.Exceed["10s"] {
		t.Fatalf("re-read intervals: %+v\nwant %+v", again.Summary, w)
	}
}

func TestMalformedCountedWithFileAndLine(t *testing.T) {
	in := "[2020-06-30 15:20:02,168] h/INFO/x: Response time 2020 ms\n" +
		"[2020-06-30 15:20:03,168] h/INFO/x: Response time soon ms\n" +
		`{"type":"sample","ts":"2020-06-30T15:20:04Z","name":"a","latency_us":1000,"status":200,"tries":1}` + "\n" +
		`{"type":"sample","ts":` + "\n"
	var warn bytes.Buffer
	_, res := run(t, Options{Warn: &warn}, in)
	if res.Summary.Count != 2 || res.Summary.Malformed != 2 {
		t.Fatalf("count %d malformed %d", res.Summary.Count, res.Summary.Malformed)
	}
	if !strings.Contains(warn.String(), "histo: warning: in0:2: malformed response line") || !strings.Contains(warn.String(), "in0:4:") {
		t.Fatalf("warnings: %q", warn.String())
	}
}

func TestSamplesAndFailures(t *testing.T) {
	in := `{"type":"sample","ts":"2020-06-30T15:20:04Z","name":"a","latency_us":1500,"status":200,"tries":1}
{"type":"sample","ts":"2020-06-30T15:20:04.5Z","name":"a","latency_us":900,"status":500,"tries":1}
[2020-06-30 15:20:05,000] h/WARNING/x: Request failed after 3 ms: status 500
`
	_, res := run(t, Options{Interval: time.Second}, in)
	if s := res.Summary; s.Count != 1 || s.Errors != 2 || s.MinMS != 1.5 {
		t.Fatalf("%+v", s)
	}
}

// --name keeps one request's responses out of a mixed log: fire's lines,
// Locust lines with the name as logger, samples; statistics records (no
// names) are left out with one note.
func TestNameKeepsOneRequest(t *testing.T) {
	in := `[2020-12-28 10:00:00,000] h/INFO/fire.ID_REQ_KC_STORE7D3BPACKET: Response time 30 ms
[2020-12-28 10:00:00,100] h/INFO/fire.ID_REQ_OTHER: Response time 5 ms
[2020-12-28 10:00:00,200] h/INFO/ID_REQ_KC_STORE7D3BPACKET: Response time 40 ms
[2020-12-28 10:00:00,300] h/WARNING/fire.ID_REQ_KC_STORE7D3BPACKET: Request failed after 60000 ms: status 500
[2020-12-28 10:00:00,400] h/INFO/fire.XID_REQ_KC_STORE7D3BPACKET: Response time 7 ms
{"type":"sample","ts":"2020-12-28T10:00:00.5Z","name":"ID_REQ_KC_STORE7D3BPACKET","latency_us":50000,"status":200,"tries":1}
{"type":"sample","ts":"2020-12-28T10:00:00.6Z","name":"ID_REQ_OTHER","latency_us":1000,"status":200,"tries":1}
{"type":"interval","start":"2020-12-28T10:00:01Z","end":"2020-12-28T10:00:02Z","count":0,"errors":0}
`
	var warn bytes.Buffer
	_, res := run(t, Options{Name: "ID_REQ_KC_STORE7D3BPACKET", Warn: &warn}, in, in)
	if s := res.Summary; s.Count != 6 || s.Errors != 2 || s.MinMS != 30 || s.MaxMS != 50 {
		t.Fatalf("%+v", s)
	}
	if n := strings.Count(warn.String(), "statistics records carry no request names"); n != 1 {
		t.Fatalf("notes: %q", warn.String())
	}
	_, all := run(t, Options{}, in)
	if all.Summary.Count != 6 || all.Summary.Errors != 1 {
		t.Fatalf("without --name: %+v", all.Summary)
	}
}

func sameHist(t *testing.T, a, b string) bool {
	t.Helper()
	ha, err1 := hist.Decode(a)
	hb, err2 := hist.Decode(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("decode: %v %v", err1, err2)
	}
	return ha.Count() == hb.Count() && ha.Quantile(0.5) == hb.Quantile(0.5) && ha.Quantile(0.99) == hb.Quantile(0.99) && ha.MaxUS() == hb.MaxUS()
}

// Model time is one concept: a log and that log's own interval records give
// the same statistics at any --time-scale (the histogram stays real time).
func TestTimeScaleLogAndRecordsAgree(t *testing.T) {
	var log strings.Builder
	maxMS := 0
	for i := 0; i < 3000; i++ {
		ms := 180 + (i*7919)%2900 // 0.18–3.08 s: some above the model's 10 s at scale 0.1
		maxMS = max(maxMS, ms)
		fmt.Fprintf(&log, "[2020-06-30 15:%02d:%02d,%03d] h/INFO/x: Response time %d ms\n", 20+i/600, (i/10)%60, (i%10)*100, ms)
	}
	study := []hist.Threshold{{Label: "10s", D: 10 * time.Second}, {Label: "30s", D: 30 * time.Second}}
	var records bytes.Buffer
	if _, err := Run(context.Background(), Options{Interval: time.Second, Exceed: study, Loc: time.UTC},
		[]Input{{"log", strings.NewReader(log.String())}}, &records); err != nil {
		t.Fatal(err)
	}
	for _, scale := range []float64{1, 0.1, 0.05, 3} {
		opts := Options{Exceed: study, Loc: time.UTC, TimeScale: scale}
		_, fromLog := run(t, opts, log.String())
		_, fromRecords := run(t, opts, records.String())
		a, b := fromLog.Summary, fromRecords.Summary
		if a.Count != 3000 || a.Count != b.Count || a.MinMS != b.MinMS || a.MaxMS != b.MaxMS ||
			a.P50MS != b.P50MS || a.P99MS != b.P99MS || a.P999MS != b.P999MS ||
			math.Abs(a.MeanMS-b.MeanMS) > 0.001 || a.Exceed["10s"] != b.Exceed["10s"] || a.Exceed["30s"] != b.Exceed["30s"] {
			t.Errorf("scale %g: from the log %+v\nfrom its records %+v", scale, a, b)
		}
		if want := math.Round(float64(maxMS)/scale*1000) / 1000; a.MaxMS != want {
			t.Errorf("scale %g: max %g ms, want %g", scale, a.MaxMS, want)
		}
		if scale != 1 && a.TimeScale != scale {
			t.Errorf("scale %g: record says time_scale %g", scale, a.TimeScale)
		}
	}
}
