package plan

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
)

func decodeAll(t *testing.T, s string) ([]*record.Plan, error) {
	t.Helper()
	d := NewDecoder(strings.NewReader(s), "plan")
	var out []*record.Plan
	for {
		r, err := d.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

func TestDecoderErrorsNameLineAndExpectation(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"type":"plan","version":1}` + "\nnot json\n", "plan line 2: expected a JSON plan record"},
		{`{"type":"stage","users":1,"rate_rps":2}`, "plan line 1: expected a stage with exactly one of users or rate_rps"},
		{`{"type":"scenario","steps":[{"method":"GET","path":"x"}]}`, "plan line 1: step 1: expected a path starting with /"},
		{`{"type":"stage","at_ms":5,"users":1}` + "\n" + `{"type":"stage","at_ms":4,"users":1}`, "plan line 2: expected at_ms >= 5"},
		{`{"type":"bogus"}`, `plan line 1: expected type plan, scenario, stage or end, got "bogus"`},
		{`{"users":1}`, `plan line 1: expected a "type" field`},
		{`{"type":"plan","version":2}`, "plan line 1: expected plan format version 1"},
		{`{"type":"stage","users":1,"extra":true}`, `unknown field "extra"`},
		{`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"think_ms":20,"think_max_ms":10}`, "plan line 1: expected think_ms >= 0 and think_max_ms (if set) >= think_ms"},
		{`{"type":"stage","group":"devices","rate_rps":5}`, "plan line 1: expected no group on a rate_rps stage"},
	}
	for _, c := range cases {
		_, err := decodeAll(t, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.in, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
	}
}

func gen(t *testing.T, f func(e *Encoder) error) []*record.Plan {
	t.Helper()
	var b bytes.Buffer
	if err := f(NewEncoder(&b)); err != nil {
		t.Fatal(err)
	}
	recs, err := decodeAll(t, b.String())
	if err != nil {
		t.Fatalf("generated plan does not decode: %v\n%s", err, b.String())
	}
	return recs
}

func TestStepsPlan(t *testing.T) {
	sc := &record.Plan{Type: record.TypeScenario, Steps: []record.Request{AlarmStep}, ThinkMS: 1000}
	recs := gen(t, func(e *Encoder) error { return Steps(e, 42, sc, 1, 10, 2*time.Minute, 31) })
	var users []int
	var ats []float64
	for _, r := range recs {
		if r.Type == record.TypeStage {
			users = append(users, *r.Users)
			ats = append(ats, *r.AtMS)
		}
	}
	if want := []int{1, 11, 21, 31}; !equal(users, want) {
		t.Fatalf("users %v, want %v", users, want)
	}
	if ats[3] != 360000 || recs[len(recs)-1].Type != record.TypeEnd || *recs[len(recs)-1].AtMS != 480000 {
		t.Fatalf("times %v, end %+v", ats, recs[len(recs)-1])
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTraceGapsAndSpeedup(t *testing.T) {
	in := "2020-12-28 00:00:00\tRPS: 8/s\n2020-12-28 00:00:01\tRPS: 5/s\n2020-12-28 00:00:04\tRPS: 2/s\n" +
		"2020-12-28 00:00:05\tRPH: 15/h\nTotal count: 15\n"
	sc := &record.Plan{Type: record.TypeScenario, Steps: []record.Request{AlarmStep}}
	recs := gen(t, func(e *Encoder) error { return Trace(e, 42, sc, strings.NewReader(in), "t", 2, "", "") })
	type st struct{ at, rate float64 }
	var got []st
	for _, r := range recs {
		if r.Type == record.TypeStage {
			got = append(got, st{*r.AtMS, *r.RateRPS})
		}
	}
	want := []st{{0, 16}, {500, 10}, {1000, 0}, {2000, 4}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if end := recs[len(recs)-1]; end.Type != record.TypeEnd || *end.AtMS != 2500 {
		t.Fatalf("end %+v", end)
	}
	_, err := decodeAllTrace("2020-12-28 00:00:00\tRPS: x/s\n")
	if err == nil || !strings.Contains(err.Error(), "t line 1: expected a request count") {
		t.Fatalf("bad count: %v", err)
	}
}

func decodeAllTrace(in string) (string, error) {
	var b bytes.Buffer
	err := Trace(NewEncoder(&b), 1, &record.Plan{Type: record.TypeScenario, Steps: []record.Request{AlarmStep}}, strings.NewReader(in), "t", 1, "", "")
	return b.String(), err
}

// The real production trace of 2020-12-28 holds 709,561 requests.
func TestTraceRealDayTotal(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "gs-production-workload", "All_requests_per_time_unit_2020-12-28.log")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("real data missing (%v): ../shared/data is needed for this test", err)
	}
	defer f.Close()
	sc := &record.Plan{Type: record.TypeScenario, Steps: []record.Request{AlarmStep}}
	var b bytes.Buffer
	if err := Trace(NewEncoder(&b), 42, sc, f, path, 60, "", ""); err != nil {
		t.Fatal(err)
	}
	recs, err := decodeAll(t, b.String())
	if err != nil {
		t.Fatal(err)
	}
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

func TestProfile(t *testing.T) {
	in := "time_s,rps\n0.5,0.4\n1.5,1.25\n2.5,2\n"
	sc := &record.Plan{Type: record.TypeScenario, Steps: []record.Request{{Method: "GET", Path: "/"}}}
	recs := gen(t, func(e *Encoder) error { return Profile(e, 42, sc, strings.NewReader(in), "p.csv", false) })
	if len(recs) != 6 || *recs[2].AtMS != 0 || *recs[3].AtMS != 1500 || *recs[4].RateRPS != 2 || *recs[5].AtMS != 3500 {
		for _, r := range recs {
			t.Logf("%+v", *r)
		}
		t.Fatal("unexpected profile plan")
	}
	var b bytes.Buffer
	err := Profile(NewEncoder(&b), 1, sc, strings.NewReader("0,1\n1,x\n"), "p.csv", false)
	if err == nil || !strings.Contains(err.Error(), "p.csv line 2") {
		t.Fatalf("bad row: %v", err)
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add(`{"type":"plan","version":1}` + "\n" + `{"type":"stage","at_ms":1,"users":2}`)
	f.Add(`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"think_ms":5}`)
	f.Fuzz(func(t *testing.T, s string) {
		d := NewDecoder(strings.NewReader(s), "plan")
		for i := 0; i < 1000; i++ {
			r, err := d.Next()
			if err != nil {
				if err != io.EOF && !strings.HasPrefix(err.Error(), "plan line ") {
					t.Fatalf("error without line: %v", err)
				}
				return
			}
			if r.Type == record.TypeStage && (r.Users == nil) == (r.RateRPS == nil) {
				t.Fatal("invalid stage accepted")
			}
		}
	})
}

func FuzzTraceAndProfile(f *testing.F) {
	f.Add("2020-12-28 00:00:00\tRPS: 8/s\n2020-12-28 00:00:03\tRPS: 5/s\nTotal count: 13\n")
	f.Add("time_s,rps\n0.5,0.4\n1.5,1.25\n")
	f.Fuzz(func(t *testing.T, s string) {
		sc := &record.Plan{Type: record.TypeScenario, Steps: []record.Request{AlarmStep}}
		for _, gen := range []func(*Encoder) error{
			func(e *Encoder) error { return Trace(e, 1, sc, strings.NewReader(s), "in", 7, "", "") },
			func(e *Encoder) error { return Profile(e, 1, sc, strings.NewReader(s), "in", false) },
		} {
			var b bytes.Buffer
			if err := gen(NewEncoder(&b)); err != nil {
				if !strings.HasPrefix(err.Error(), "in") {
					t.Fatalf("error without the file's name: %v", err)
				}
				continue
			}
			// whatever a generator accepts, it writes as a valid plan
			if _, err := decodeAll(t, b.String()); err != nil {
				t.Fatalf("generated plan does not decode: %v", err)
			}
		}
	})
}
