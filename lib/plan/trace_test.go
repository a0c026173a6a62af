package plan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perflab/perflab/lib/record"
)

var bg = context.Background()

func trace(in string, speedup float64, from, to string) ([]*record.Plan, error) {
	var b bytes.Buffer
	if err := Trace(bg, NewEncoder(&b), 1, alarmScenario, strings.NewReader(in), "t.log", speedup, from, to); err != nil {
		return nil, err
	}
	return decode(b.String())
}

type rateAt struct{ at, rate float64 }

func rates(recs []*record.Plan) (got []rateAt) {
	for _, r := range recs {
		if r.Type == record.TypeStage {
			got = append(got, rateAt{*r.AtMS, *r.RateRPS})
		}
	}
	return got
}

func TestTraceGapsAndSpeedup(t *testing.T) {
	in := "2020-12-28 00:00:00\tRPS: 8/s\n2020-12-28 00:00:01\tRPS: 5/s\n2020-12-28 00:00:04\tRPS: 2/s\n" +
		"2020-12-28 00:00:05\tRPH: 15/h\nTotal count: 15\n"
	recs, err := trace(in, 2, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []rateAt{{0, 16}, {500, 10}, {1000, 0}, {2000, 4}}
	if got := rates(recs); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Fatalf("got %v, want %v", got, want)
	}
	if end := recs[len(recs)-1]; end.Type != record.TypeEnd || *end.AtMS != 2500 {
		t.Fatalf("end %+v", end)
	}
	// a time-of-day window
	recs, err = trace(in, 1, "00:00:01", "00:00:04")
	if got := rates(recs); err != nil || len(got) != 1 || got[0] != (rateAt{0, 5}) || *recs[len(recs)-1].AtMS != 1000 {
		t.Fatalf("window: %v %v", got, err)
	}
}

// Every error of a trace names the file and line (and the flag, when a flag
// makes a line's numbers too large).
func TestTraceErrors(t *testing.T) {
	const ok = "2020-12-28 00:00:00\tRPS: 8/s\n"
	cases := []struct {
		in      string
		speedup float64
		from    string
		want    string
	}{
		{ok + "2020-12-28 00:00:01\tRPS: x/s\n", 1, "", `t.log:2: expected a request count in "RPS: N/s", got "RPS: x/s"`},
		{ok + "2020-12-28 00:00:01\tRPS: NaN/s\n", 1, "", `t.log:2: expected a request count`},
		{ok + "2020-12-28 00:00:01\tRPS: -1/s\n", 1, "", `t.log:2: expected a request count`},
		{ok + "2020-12-28 00:00:01 RPS: 1/s\n", 1, "", `t.log:2: expected "YYYY-MM-DD HH:MM:SS<TAB>RPS: N/s"`},
		{ok + "2020-12-28 25:00:01\tRPS: 1/s\n", 1, "", `t.log:2: expected a timestamp YYYY-MM-DD HH:MM:SS, got "2020-12-28 25:00:01"`},
		{ok + "2020-12-28 00:00:01\tRPM: 1/m\n", 1, "", `t.log:2: expected "RPS: N/s", got "RPM: 1/m"`},
		{ok + ok, 1, "", "t.log:2: expected a time after 2020-12-28 00:00:00, got 2020-12-28 00:00:00"},
		{ok + "{\"type\":\"stage\"}\n", 1, "", "t.log:2: expected \"YYYY-MM-DD"},
		{ok + "2020-12-28 00:00:01\tRPS: 20000000/s\n", 1, "", "t.log:2: 20000000/s × --speedup 1: rate 20000000/s: expected 0 or 1e-06 to 10000000 per second"},
		{ok, 1e7, "", "t.log:1: 8/s × --speedup 1e+07: rate 80000000/s: expected 0 or 1e-06"},
		{ok, 1e-8, "", "t.log:1: 8/s × --speedup 1e-08: rate 8e-08/s: expected 0 or 1e-06"},
		{ok + "2120-12-28 00:00:01\tRPS: 1/s\n", 1, "", "t.log:2: --speedup 1: at_ms 3155673601000: expected 0 to 3153600000000 ms"},
		{ok + "2020-12-29 00:00:01\tRPS: 1/s\n", 1e-5, "", "t.log:2: --speedup 1e-05: at_ms 8.64e+12: expected 0 to"},
		{ok, 0, "", "--speedup 0: expected a number above 0"},
		{ok, 1, "9:00", `--from "9:00": expected a time of day HH:MM:SS`},
		{"", 1, "", `t.log: no "RPS:" lines in the selected time range`},
		{ok, 1, "23:00:00", `t.log: no "RPS:" lines in the selected time range`},
		{ok + strings.Repeat("x", record.MaxLine+10) + "\n", 1, "", "t.log:2: line longer than 1048576 bytes"},
	}
	for _, c := range cases {
		_, err := trace(c.in, c.speedup, c.from, "")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%.60q:\ngot  %v\nwant %s…", c.in, err, c.want)
		}
	}
}

// The real production trace of 2020-12-28 holds 709,561 requests.
func TestTraceRealDayTotal(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "gs-production-workload", "All_requests_per_time_unit_2020-12-28.log")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("real data missing (%v): ../shared/data is needed for this test", err)
	}
	defer f.Close()
	recs := gen(t, func(e *Encoder) error { return Trace(bg, e, 42, alarmScenario, f, path, 60, "", "") })
	// integrate rate over time: sum of rate × duration until the next stage
	var total, peak float64
	for i, r := range recs {
		if r.Type != record.TypeStage {
			continue
		}
		next := recs[i+1]
		total += *r.RateRPS * (*next.AtMS - *r.AtMS) / 1000
		peak = max(peak, *r.RateRPS/60)
	}
	if total < 709561-1 || total > 709561+1 || peak != 62 {
		t.Fatalf("replayed %.1f requests, peak %.0f/s; want 709,561 and 62/s", total, peak)
	}
}

var getScenario = &record.Plan{Type: record.TypeScenario, Steps: []record.Request{{Method: "GET", Path: "/"}}}

func profile(in string, asUsers bool) ([]*record.Plan, error) {
	var b bytes.Buffer
	if err := Profile(bg, NewEncoder(&b), 1, getScenario, strings.NewReader(in), "p.csv", asUsers); err != nil {
		return nil, err
	}
	return decode(b.String())
}

func TestProfile(t *testing.T) {
	recs, err := profile("time_s,rps\n0.5,0.4\n1.5,1.25\n2.5,2\n", false)
	if err != nil || len(recs) != 6 || *recs[2].AtMS != 0 || *recs[3].AtMS != 1500 || *recs[4].RateRPS != 2 || *recs[5].AtMS != 3500 {
		t.Fatalf("%v: %+v", err, recs)
	}
	recs, err = profile("0,0.4\n1,2.5\n", true)
	if err != nil || *recs[2].Users != 1 || *recs[3].Users != 3 || recs[3].SpawnRate != 100 || *recs[4].AtMS != 2000 {
		t.Fatalf("as users: %v: %+v", err, recs)
	}
}

func TestProfileErrors(t *testing.T) {
	cases := []struct {
		in      string
		asUsers bool
		want    string
	}{
		{"0,1\n1,x\n", false, `p.csv:2: expected two numbers "time_s,rps", neither negative, got "1,x"`},
		{"0,1\n1,2,3\n", false, `p.csv:2: expected "time_s,rps"`},
		{"0,1\n1,-2\n", false, `p.csv:2: expected two numbers`},
		{"0,1\nInf,2\n", false, `p.csv:2: expected two numbers`},
		{"0,1\n1,NaN\n", false, `p.csv:2: expected two numbers`},
		{"0,1\n2,1\n1,1\n", false, "p.csv:3: time_s 1: expected more than the row before's 2"},
		{"0,1e-11\n", false, "p.csv:1: rate 1e-11/s: expected 0 or 1e-06 to 10000000 per second"},
		{"0,1\n1,1e8\n", false, "p.csv:2: rate 100000000/s: expected 0 or 1e-06"},
		{"0,1\n1,2e7\n", true, "p.csv:2: rps 20000000 as users: expected at most 10000000 (plan.MaxUsers)"},
		{"0,1\n1e30,1\n", false, "p.csv:2: time_s × 1000 2e+33: expected 0 to 3153600000000 ms"},
		{"0,1\n3000000000,1\n", false, "p.csv:2: time_s × 1000 6000000000000: expected 0 to"},
		{"time_s,rps\n", false, `p.csv: expected at least one "time_s,rps" row`},
	}
	for _, c := range cases {
		_, err := profile(c.in, c.asUsers)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q:\ngot  %v\nwant %s…", c.in, err, c.want)
		}
	}
}

func FuzzTraceAndProfile(f *testing.F) {
	f.Add("2020-12-28 00:00:00\tRPS: 8/s\n2020-12-28 00:00:03\tRPS: 5/s\nTotal count: 13\n", 7.0)
	f.Add("time_s,rps\n0.5,0.4\n1.5,1.25\n", 1.0)
	f.Add("2020-12-28 00:00:00\tRPS: 8/s\n2120-12-28 00:00:03\tRPS: 5e9/s\n", 1e-300)
	f.Fuzz(func(t *testing.T, s string, speedup float64) {
		for _, gen := range []func(*Encoder) error{
			func(e *Encoder) error {
				return Trace(bg, e, 1, alarmScenario, strings.NewReader(s), "in", speedup, "", "")
			},
			func(e *Encoder) error { return Profile(bg, e, 1, alarmScenario, strings.NewReader(s), "in", false) },
			func(e *Encoder) error { return Profile(bg, e, 1, alarmScenario, strings.NewReader(s), "in", true) },
		} {
			var b bytes.Buffer
			if err := gen(NewEncoder(&b)); err != nil {
				if !strings.HasPrefix(err.Error(), "in") && !strings.HasPrefix(err.Error(), "--speedup") || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error is not one line naming the file (or flag): %v", err)
				}
				continue
			}
			// whatever a generator accepts, it writes as a valid plan that
			// overflows nothing in fire
			recs, err := decodeAll(t, b.String())
			if err != nil {
				t.Fatalf("generated plan does not decode: %v", err)
			}
			for _, r := range recs {
				checkNoOverflow(t, r)
			}
		}
	})
}
