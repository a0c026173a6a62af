package regress

import (
	"math"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/simserver"
)

func near(d, want, tol time.Duration) bool { return d >= want-tol && d <= want+tol }

// onTime: a wall-clock wait never ends early and ends late only by the
// machine's noise (CI runs these under -race beside other packages; a 3 ms
// bound failed there). The model's own number is checked exactly apart.
func onTime(d, want time.Duration) bool { return d >= want && d <= want+40*time.Millisecond }

func rast(t *testing.T) *LR {
	t.Helper()
	m, err := LoadLR(filepath.Join("..", "..", "sims", "arssim", "models", "rast-2022.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLRPredictEqualsFormula(t *testing.T) {
	m := rast(t)
	m.Types = map[string]float64{"ID__fake_call": 3}
	f := Features{PR1: 2, PR3: 10, Type: 3}
	want := 0.034863623531346075 - 0.010397816715869023*2 + 0.06213722751379576*10 + 4.643355320081699e-05*3
	if got := m.Predict(f).Seconds(); math.Abs(got-want) > 1e-9 {
		t.Fatalf("predict %v, want %v", got, want)
	}
	// 2020 set with time of day and weekday (Monday = 0)
	m20, err := LoadLR(filepath.Join("..", "..", "sims", "arssim", "models", "lr-2020.json"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2020, 6, 30, 15, 20, 0, 0, time.UTC) // a Tuesday
	tod := float64(15*3600 + 20*60)
	want = 0.0031715041920469464 - 9.58247505e-08*tod + 1.82118045e-03*1 + 1.35136687e-02*4 + 1.30455746e-01*1
	if got := m20.Predict(Features{PR1: 4, PR3: 1, At: at}).Seconds(); math.Abs(got-want) > 1e-9 {
		t.Fatalf("2020 model: %v, want %v", got, want)
	}
	if m.Predict(Features{PR1: 100}) != 0 {
		t.Fatal("a negative prediction must be 0")
	}
}

func TestLRSleepsThePrediction(t *testing.T) {
	t.Parallel()
	m := rast(t)
	r := &Regression{M: m, Scale: 10} // 34.9 ms × 10
	r.inProgress.Store(2)             // PR1 = 2 at arrival
	t0 := time.Now()
	d, _, _ := r.Process("ID__fake_call", t0, nil)
	el := time.Since(t0)
	sec := (0.034863623531346075 - 0.010397816715869023*2) * 10
	want := time.Duration(sec * float64(time.Second))
	if !near(d, want, time.Microsecond) || !onTime(el, want) {
		t.Fatalf("model time %v, slept %v; want %v", d, el, want)
	}
	// PR3 grows while it runs: requests that finish meanwhile add 62 ms each (× scale)
	r2 := &Regression{M: m, Scale: 1}
	t0 = time.Now()
	go func() { time.Sleep(5 * time.Millisecond); r2.finished.Add(1) }()
	d, _, _ = r2.Process("ID__fake_call", t0, nil)
	sec = 0.034863623531346075 + 0.06213722751379576
	want = time.Duration(sec * float64(time.Second))
	if !near(d, want, time.Microsecond) || !onTime(time.Since(t0), want) {
		t.Fatalf("with one finished meanwhile: %v (slept %v), want %v", d, time.Since(t0), want)
	}
}

func TestTeaStoreModelAndBadFiles(t *testing.T) {
	m, err := LoadLR(filepath.Join("..", "..", "sims", "teasim", "models", "rast-2022-teastore.json"))
	if err != nil {
		t.Fatal(err)
	}
	// product GET is type 4: 0.010627 − 7.795e-05·PR1 + 0.001995·PR3 + 0.0014584·4
	want := 0.010627075362930699 - 7.795129577683817e-05*3 + 0.0019950890158805155*2 + 0.0014584144598269522*4
	if got := m.Predict(Features{PR1: 3, PR3: 2, Type: m.Types["GET product"]}).Seconds(); math.Abs(got-want) > 1e-9 {
		t.Fatalf("teastore model: %v, want %v", got, want)
	}
	for _, bad := range []string{`{"features":["pr1"],"coefficients":[]}`, `{"features":["pr9"],"coefficients":[1]}`, `not json`, `{"unit":"h"}`} {
		if _, err := ParseLR([]byte(bad), "m.json"); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func FuzzParseLR(f *testing.F) {
	f.Add([]byte(`{"intercept":0.03,"features":["pr1","pr3"],"coefficients":[-0.01,0.06]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseLR(b, "m.json")
		if err != nil {
			return
		}
		if d := m.Predict(Features{PR1: 3, PR3: 4, Type: 1, At: time.Unix(0, 0)}); d < 0 {
			t.Fatalf("negative prediction %v", d)
		}
	})
}

// Coefficients that overflow a duration or never give a positive time are
// refused at start; the shipped models pass.
func TestCheckRefusesAbsurdCoefficients(t *testing.T) {
	for _, f := range []string{"rast-2022", "ridge-2023", "lr-2020"} {
		m, err := LoadLR(filepath.Join("..", "..", "sims", "arssim", "models", f+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Check(f, 1, 100000); err != nil {
			t.Errorf("shipped %s refused: %v", f, err)
		}
	}
	cases := []struct {
		model string
		scale float64
		want  string // in the error; "" = accepted
	}{
		{`{"intercept":1e10}`, 1, "over 100 years"},                                            // 317 years: used to wrap to a negative time
		{`{"intercept":1e300,"features":["pr1"],"coefficients":[1e300]}`, 1, "over 100 years"}, // +Inf
		{`{"intercept":0.01,"features":["pr3"],"coefficients":[1e5]}`, 1, "over 100 years"},    // 1e10 s at PR3 = 100,000
		{`{"intercept":2}`, 1e10, "over 100 years"},                                            // the time scale does it
		{`{"intercept":-1}`, 1, "no positive time"},
		{`{"intercept":-0.5,"features":["pr1"],"coefficients":[-0.1]}`, 1, "no positive time"},
		{`{"intercept":-0.5,"features":["pr1"],"coefficients":[0.01]}`, 1, ""}, // positive from PR1 = 50 on
		{`{"intercept":0.5,"unit":"ms"}`, 1, ""},
		{`{"intercept":-1,"features":["type"],"coefficients":[1],"types":{"ID__x":3}}`, 1, ""},
	}
	for _, c := range cases {
		m, err := ParseLR([]byte(c.model), "m.json")
		if err != nil {
			t.Fatal(err)
		}
		err = m.Check("m.json", c.scale, 100000)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.model, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "m.json: ")):
			t.Errorf("%s × %g: %v, want an error naming m.json with %q", c.model, c.scale, err, c.want)
		}
	}
}

// A prediction beyond a duration's range saturates instead of wrapping to
// a negative time; so does the time scale.
func TestPredictionsNeverNegative(t *testing.T) {
	m, _ := ParseLR([]byte(`{"intercept":1e12}`), "m.json")
	if d := m.Predict(Features{}); d != math.MaxInt64 {
		t.Fatalf("1e12 s predicted as %v, want the largest duration", d)
	}
	r := &Regression{M: m, Scale: 1e6}
	if d := r.scaled(time.Hour); d <= 0 {
		t.Fatalf("an hour × 1e6 scaled to %v", d)
	}
	r.Max = 10 * time.Second
	if d := r.scaled(time.Duration(math.MaxInt64)); d != 10*time.Second {
		t.Fatalf("capped at %v, want 10 s", d)
	}
}

// A request whose client leaves stops at once, leaves the requests in
// progress and does not count as finished for the others' PR3.
func TestAbandonedRequestLeavesTheModel(t *testing.T) {
	t.Parallel()
	m, _ := ParseLR([]byte(`{"intercept":5}`), "m.json") // 5 s each
	r := &Regression{M: m, Scale: 1}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	w := simserver.NewWatch(server)
	defer w.Stop()
	done := make(chan bool)
	t0 := time.Now()
	go func() { _, _, ok := r.Process("x", t0, w); done <- ok }()
	for r.inProgress.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	client.Close()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("an abandoned request reported as processed")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("an abandoned request still waits")
	}
	if el := time.Since(t0); el > time.Second || r.inProgress.Load() != 0 || r.finished.Load() != 0 {
		t.Fatalf("after %v: in progress %d, finished %d; want 0 and 0 at once", el, r.inProgress.Load(), r.finished.Load())
	}
}
