package stats

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
)

// mixedRun is a log of two requests, alarm (≈2 s) and status (≈50 ms),
// with failures of both kinds (a status, a transport error), and samples of
// the same run.
func mixedRun() (log, samples string) {
	var b []byte
	var s strings.Builder
	t := time.Date(2020, 12, 28, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 3000; i++ {
		t = t.Add(7 * time.Millisecond)
		name, ms := "alarm", int64(2000+i%97)
		if i%3 == 0 {
			name, ms = "status", int64(50+i%13)
		}
		switch {
		case i%101 == 0:
			b = rtlog.AppendFailure(b, t, "h", "fire."+name, ms, "status 503")
			fmt.Fprintf(&s, `{"type":"sample","ts":%q,"name":%q,"latency_us":%d,"status":503,"tries":1}`+"\n", t.Format(time.RFC3339Nano), name, ms*1000)
		case i%211 == 0:
			b = rtlog.AppendFailure(b, t, "h", "fire."+name, ms, "dial tcp: connection refused")
			fmt.Fprintf(&s, `{"type":"sample","ts":%q,"name":%q,"latency_us":%d,"status":0,"tries":1,"error":"refused"}`+"\n", t.Format(time.RFC3339Nano), name, ms*1000)
		default:
			b = rtlog.AppendResponse(b, t, "h", "fire."+name, ms)
			fmt.Fprintf(&s, `{"type":"sample","ts":%q,"name":%q,"latency_us":%d,"status":200,"tries":1}`+"\n", t.Format(time.RFC3339Nano), name, ms*1000)
		}
	}
	return string(b), s.String()
}

func byGroup(recs []record.Stats) (map[string]record.Stats, map[string]int64, record.Stats) {
	sums, ivCounts := map[string]record.Stats{}, map[string]int64{}
	var all record.Stats
	for _, r := range recs {
		switch {
		case r.Type == record.TypeSummary && r.Group == "":
			all = r
		case r.Type == record.TypeSummary:
			sums[r.Group] = r
		default:
			ivCounts[r.Group] += r.Count + r.Errors
		}
	}
	return sums, ivCounts, all
}

// Each name's statistics are exactly those of that name alone (--name), the
// groups add up to every request's, and their intervals to their summaries.
func TestByName(t *testing.T) {
	log, samples := mixedRun()
	for _, in := range []string{log, samples} {
		recs, res := run(t, Options{Interval: time.Second, By: record.ByName, Exceed: study}, in)
		sums, ivs, all := byGroup(recs)
		if len(sums) != 2 || all.Count != res.Summary.Count || recs[len(recs)-1].Group != "" {
			t.Fatalf("groups %v, last record %+v", sums, recs[len(recs)-1])
		}
		var n, e int64
		for name, g := range sums {
			_, alone := run(t, Options{Name: name, Exceed: study}, in)
			a := alone.Summary
			if g.By != record.ByName || g.Count != a.Count || g.Errors != a.Errors || g.MinMS != a.MinMS || g.MeanMS != a.MeanMS ||
				g.P50MS != a.P50MS || g.P95MS != a.P95MS || g.P99MS != a.P99MS || g.MaxMS != a.MaxMS || !sameHist(t, g.Hist, a.Hist) {
				t.Errorf("group %s: %+v\n--name %s: %+v", name, g, name, a)
			}
			if ivs[name] != g.Count+g.Errors {
				t.Errorf("group %s: intervals hold %d sends, its summary %d", name, ivs[name], g.Count+g.Errors)
			}
			n, e = n+g.Count, e+g.Errors
		}
		if n != all.Count || e != all.Errors || ivs[""] != all.Count+all.Errors {
			t.Errorf("groups hold %d responses and %d errors, every request's %d and %d", n, e, all.Count, all.Errors)
		}
	}
}

func TestByStatus(t *testing.T) {
	log, samples := mixedRun()
	for _, c := range []struct {
		in   string
		want map[string][2]int64 // group → count, errors
	}{
		{log, map[string][2]int64{"ok": {2956, 0}, "503": {0, 30}, "error": {0, 14}}},
		{samples, map[string][2]int64{"200": {2956, 0}, "503": {0, 30}, "error": {0, 14}}},
	} {
		recs, _ := run(t, Options{Interval: time.Second, By: record.ByStatus}, c.in)
		sums, _, all := byGroup(recs)
		if len(sums) != len(c.want) || all.Count != 2956 || all.Errors != 44 {
			t.Fatalf("groups %v, all %d/%d", sums, all.Count, all.Errors)
		}
		for g, w := range c.want {
			if s := sums[g]; s.By != record.ByStatus || s.Count != w[0] || s.Errors != w[1] {
				t.Errorf("group %s: %d responses, %d errors; want %d, %d", g, s.Count, s.Errors, w[0], w[1])
			}
		}
	}
}

// histo --by's own output reads back: with --by the same groups, without
// it every request's statistics, never counted twice; and it is the same
// bytes every run.
func TestByOutputReadsBackWithoutDoubleCounting(t *testing.T) {
	log, _ := mixedRun()
	opts := Options{Interval: time.Second, By: record.ByName, Exceed: study, Loc: time.UTC}
	var out, again bytes.Buffer
	for _, b := range []*bytes.Buffer{&out, &again} {
		if _, err := Run(context.Background(), opts, []Input{{"log", strings.NewReader(log)}}, b); err != nil {
			t.Fatal(err)
		}
	}
	if out.String() != again.String() {
		t.Fatal("two runs over the same input wrote different bytes")
	}
	first, _, firstAll := byGroup(decodeAll(t, out.String()))
	recs, _ := run(t, Options{By: record.ByName, Exceed: study}, out.String())
	sums, _, all := byGroup(recs)
	for name, g := range first {
		if s := sums[name]; s.Count != g.Count || s.Errors != g.Errors || s.P99MS != g.P99MS || s.MaxMS != g.MaxMS || s.Exceed["10s"] != g.Exceed["10s"] {
			t.Errorf("group %s read back: %+v\nwritten: %+v", name, s, g)
		}
	}
	_, plain := run(t, Options{Exceed: study}, out.String())
	for _, s := range []record.Stats{all, plain.Summary} {
		if s.Count != firstAll.Count || s.Errors != firstAll.Errors || s.P99MS != firstAll.P99MS {
			t.Errorf("every request's read back: %d/%d p99 %v, written %d/%d p99 %v", s.Count, s.Errors, s.P99MS, firstAll.Count, firstAll.Errors, firstAll.P99MS)
		}
	}
}

func TestByKeepsGroupsFew(t *testing.T) {
	var b []byte
	t0 := time.Date(2020, 12, 28, 10, 0, 0, 0, time.UTC)
	for i := 0; i < MaxGroups+50; i++ {
		b = rtlog.AppendResponse(b, t0, "h", fmt.Sprintf("fire.n%d", i), 5)
	}
	var warn bytes.Buffer
	_, res := run(t, Options{By: record.ByName, Warn: &warn}, string(b))
	if len(res.Groups) != MaxGroups+1 || res.Groups[0].Group != "(other)" || res.Groups[0].Count != 50 ||
		strings.Count(warn.String(), "more than 1000 groups") != 1 {
		t.Fatalf("%d groups, first %+v; warnings %q", len(res.Groups), res.Groups[0], warn.String())
	}
}
