package plan

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/record"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAlarmShareFromTheFiles(t *testing.T) {
	dir := t.TempDir()
	all := write(t, dir, "All_requests_per_time_unit_2020-12-28.log", "2020-12-28 00:00:00\tRPS: 9/s\nTotal count: 1000\n")
	wo := write(t, dir, "Requests_without_alarms_2020-12-28.log", "2020-12-28 00:00:00\tRPS: 8/s\nTotal count: 968\n")
	lone := write(t, dir, "All_requests_per_time_unit_2020-12-29.log", "Total count: 5\n")
	other := write(t, dir, "trace.log", "Total count: 5\n")
	for _, tc := range []struct {
		path  string
		share float64
		ok    bool
	}{{all, 0.032, true}, {wo, 0, true}, {lone, 0, false}, {other, 0, false}} {
		share, ok, err := AlarmShare(tc.path)
		if err != nil || ok != tc.ok || math.Abs(share-tc.share) > 1e-12 {
			t.Errorf("%s: share %v ok %v err %v, want %v %v", filepath.Base(tc.path), share, ok, err, tc.share, tc.ok)
		}
	}
	// the real day: 709,561 requests, 687,082 without alarms
	real := filepath.Join("..", "..", "..", "shared", "data", "gs-production-workload", "All_requests_per_time_unit_2020-12-28.log")
	if _, err := os.Stat(real); err == nil {
		if share, ok, err := AlarmShare(real); err != nil || !ok || math.Abs(share-(1-687082.0/709561)) > 1e-12 {
			t.Errorf("2020-12-28: %v %v %v", share, ok, err)
		}
	}
}

func TestTotalCountErrors(t *testing.T) {
	dir := t.TempDir()
	for text, want := range map[string]string{
		"Total count: 12\n":                              "",
		"2020-12-28 00:00:00\tRPS: 9/s\n":                `no "Total count: N" line`,
		"x\nTotal count: many\n":                         `t.log:2: expected "Total count: N"`,
		"2020-12-28 00:00:00\tRPS: 9/s\nTotal count: -3": `t.log:2: expected "Total count: N"`,
	} {
		n, err := TotalCount(write(t, dir, "t.log", text))
		if want == "" {
			if err != nil || n != 12 {
				t.Errorf("%q: %d %v", text, n, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %q", text, err, want)
		}
	}
}

func TestWeightAlarms(t *testing.T) {
	steps := []record.Request{{Name: "A"}, {Name: AlarmName}, {Name: "B"}, {Name: "C"}}
	w, err := WeightAlarms(steps, 0.1)
	if err != nil || len(w) != 4 {
		t.Fatalf("%v %v", w, err)
	}
	sum := 0.0
	for _, s := range w {
		want := 0.3
		if s.Name == AlarmName {
			want = 0.1
		}
		if math.Abs(s.Weight-want) > 1e-12 {
			t.Errorf("%s: weight %v, want %v", s.Name, s.Weight, want)
		}
		sum += s.Weight
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("weights sum to %v", sum)
	}
	if w, _ := WeightAlarms(steps, 0); len(w) != 3 {
		t.Errorf("share 0 keeps the alarm: %v", w)
	}
	for _, bad := range []float64{-0.1, 1.5} {
		if _, err := WeightAlarms(steps, bad); err == nil {
			t.Errorf("share %v accepted", bad)
		}
	}
	if _, err := WeightAlarms([]record.Request{{Name: "A"}}, 0.5); err == nil {
		t.Error("a share of alarms without an alarm name accepted")
	}
}

// domain.md §3's production workload: two groups side by side.
func TestProductionPlan(t *testing.T) {
	names := []record.Request{{Name: "ID_A", Method: "POST", Path: "/ID_A"}, {Name: AlarmName, Method: "POST", Path: "/" + AlarmName},
		{Name: "ID_B", Method: "POST", Path: "/ID_B"}}
	recs := gen(t, func(e *Encoder) error {
		return Production(e, 42, names, 70, 14, time.Second, 20*time.Second, 90*time.Second, time.Hour)
	})
	if len(recs) != 6 || recs[0].Generator != "production" || recs[5].Type != record.TypeEnd || *recs[5].AtMS != 3600000 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	users, ustage, dev, dstage := recs[1], recs[2], recs[3], recs[4]
	if users.Group != "users" || users.Order != "random" || users.ThinkMS != 1000 || len(users.Steps) != 2 {
		t.Fatalf("users' scenario %+v", users)
	}
	for _, s := range users.Steps {
		if s.Name == AlarmName {
			t.Fatal("the users draw the alarm packet too")
		}
	}
	if ustage.Group != "users" || *ustage.Users != 70 || ustage.SpawnRate != 70 {
		t.Fatalf("users' stage %+v", ustage)
	}
	if dev.Group != "devices" || dev.ThinkMS != 20000 || dev.ThinkMaxMS != 90000 || len(dev.Steps) != 1 ||
		dev.Steps[0].Path != "/"+AlarmName || !dev.Steps[0].Repeat {
		t.Fatalf("devices' scenario %+v", dev)
	}
	if dstage.Group != "devices" || *dstage.Users != 14 || dstage.SpawnRate != 0.7 {
		t.Fatalf("devices' stage %+v", dstage)
	}
	for _, bad := range [][2]int{{0, 0}, {-1, 3}} {
		if err := Production(NewEncoder(io.Discard), 1, names, bad[0], bad[1], time.Second, 20*time.Second, 90*time.Second, 0); err == nil {
			t.Errorf("users %d devices %d accepted", bad[0], bad[1])
		}
	}
	if err := Production(NewEncoder(io.Discard), 1, names, 1, 1, time.Second, 90*time.Second, 20*time.Second, 0); err == nil {
		t.Error("a device think range from 90 s to 20 s accepted")
	}
}

func FuzzReadTotalCount(f *testing.F) {
	f.Add("2020-12-28 00:00:00\tRPS: 9/s\nTotal count: 709561\n")
	f.Add("Total count: -1")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ReadTotalCount(strings.NewReader(s), "t.log")
		if err == nil && n < 0 {
			t.Fatalf("negative total %d accepted", n)
		}
		if err != nil && (strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "t.log")) {
			t.Fatalf("error %q is not one line naming the file", err)
		}
	})
}

func TestCheckProduction(t *testing.T) {
	s := time.Second
	cases := []struct {
		users, devices    int
		think, dmin, dmax time.Duration
		want              string
	}{
		{70, 14, s, 20 * s, 90 * s, ""},
		{0, 1_000_000, s, 20 * s, 90 * s, ""},
		{-1, 14, s, 20 * s, 90 * s, "--users -1: expected 0 to 10000000"},
		{70, 1e12, s, 20 * s, 90 * s, "--devices 1000000000000: expected 0 to 10000000"},
		{0, 0, s, 20 * s, 90 * s, "--users 0 --devices 0: expected users or devices"},
		{6e6, 6e6, s, 20 * s, 90 * s, "--users 6000000 --devices 6000000: expected at most 10000000 together"},
		{70, 14, -s, 20 * s, 90 * s, "--think -1s: expected 0 to 876000h0m0s"},
		{70, 14, s, 0, 90 * s, "--device-think-min 0s: expected more than 0"},
		{70, 14, s, 90 * s, 20 * s, "--device-think-max 20s: expected --device-think-min 1m30s to 876000h0m0s"},
		{70, 14, s, 20 * s, MaxDuration + 1, "--device-think-max 876000h0m0.000000001s: expected"},
	}
	for _, c := range cases {
		err := CheckProduction(c.users, c.devices, c.think, c.dmin, c.dmax)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c, err, c.want)
		}
	}
	// a million devices thinking 1 ns start at once: a spawn rate above
	// MaxSpawnRate is the same thing
	recs := gen(t, func(e *Encoder) error {
		return Production(e, 1, nil, 0, 1_000_000, s, time.Nanosecond, time.Nanosecond, 0)
	})
	if st := recs[2]; *st.Users != 1_000_000 || st.SpawnRate != 0 {
		t.Fatalf("devices' stage %+v", st)
	}
}
