package requirement

import (
	"strings"
	"testing"

	"github.com/perflab/perflab/lib/record"
)

func TestParse(t *testing.T) {
	r, err := Parse("p99<=2s, errors<=1%,mean<=10s")
	if err != nil {
		t.Fatal(err)
	}
	want := []Check{{Metric: "p99", Limit: 2000}, {Metric: "errors", Limit: 0.01}, {Metric: "mean", Limit: 10000}}
	if len(r.Checks) != 3 {
		t.Fatalf("got %v", r.Checks)
	}
	for i := range want {
		if r.Checks[i] != want[i] {
			t.Fatalf("got %v, want %v", r.Checks, want)
		}
	}
	for _, bad := range []string{"p99<2s", "p77<=1s", "mean<=ten", "errors<=x"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if s, _ := Parse("study"); s.String() != "mean<=10s,max<=30s" {
		t.Fatalf("study preset: %q", s.String())
	}
}

func TestEvaluateStudyRule(t *testing.T) {
	cases := []struct {
		mean, max   float64
		pass, v2020 bool
	}{
		{5000, 20000, true, true},
		{5000, 35000, false, true}, // the 2020 script let this level pass
		{12000, 20000, false, true},
		{12000, 35000, false, false},
	}
	for _, c := range cases {
		s := &record.Stats{Count: 10, MeanMS: c.mean, MaxMS: c.max}
		r := Study()
		if v := r.Evaluate(s); v.Pass != c.pass {
			t.Errorf("mean %v max %v: pass %v, want %v", c.mean, c.max, v.Pass, c.pass)
		}
		r.Legacy2020 = true
		if v := r.Evaluate(s); v.Pass != c.v2020 {
			t.Errorf("legacy: mean %v max %v: pass %v, want %v", c.mean, c.max, v.Pass, c.v2020)
		}
	}
}

func TestErrorsAndEmpty(t *testing.T) {
	r, _ := Parse("errors<=1%,p99<=2s")
	if v := r.Evaluate(&record.Stats{Count: 98, Errors: 2, P99MS: 100}); v.Pass || v.Checks[0].Pass || !v.Checks[1].Pass {
		t.Fatalf("2%% errors must fail: %+v", v)
	}
	if v := r.Evaluate(&record.Stats{}); v.Pass {
		t.Fatal("no responses at all must not pass a latency requirement")
	}
}

func FuzzRequirement(f *testing.F) {
	f.Add("mean<=10s,max<=30s")
	f.Add("errors<=1%,p99.9<=1ms")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatal("multi-line error")
			}
			return
		}
		// the printed form parses back to the same checks
		r2, err := Parse(r.String())
		if err != nil || len(r2.Checks) != len(r.Checks) {
			t.Fatalf("%q -> %q -> %v %v", s, r.String(), r2, err)
		}
	})
}

func TestHeadroom(t *testing.T) {
	r, _ := Parse("mean<=10s,max<=30s")
	if h := r.Headroom(&record.Stats{Count: 5, MeanMS: 5000, MaxMS: 27000}); h != 0.9 {
		t.Fatalf("headroom %v, want 0.9 (the max uses 90 %% of its limit)", h)
	}
	if h := r.Headroom(&record.Stats{}); h < 1e9 {
		t.Fatal("no responses: no headroom")
	}
}
