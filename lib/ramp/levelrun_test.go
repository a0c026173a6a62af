package ramp

import (
	"io"
	"testing"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// tick is interval k (from 1) of a fire whose clock is off by skew: 100 ms
// of the plan clock from t0, with n answers of lat each.
type tick struct {
	fire, k, n int
	skew, lat  time.Duration
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (tk tick) stats(t *testing.T) record.Stats {
	h := hist.New()
	for range tk.n {
		h.Record(tk.lat)
	}
	enc, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ms := float64(tk.lat) / 1e6
	end := t0.Add(time.Duration(tk.k)*100*time.Millisecond + tk.skew)
	return record.Stats{Type: record.TypeInterval, Start: end.Add(-100 * time.Millisecond), End: end, Stage: "users=10",
		Users: 5, Count: int64(tk.n), MinMS: ms, MeanMS: ms, MaxMS: ms, Hist: enc}
}

// A level of two fires merges their intervals over the same stretch of
// the plan clock whatever order they arrive in: an early verdict is taken
// on the ticks both have sent (never one fire's share ahead of the
// other's), and at the deadline what lies beyond the first fire to reach
// it is left out. Level: 1 s from t0, 200 ms warm-up, max ≤ 500 ms.
func TestLevelMergesTheSameStretchOfEveryFire(t *testing.T) {
	var ticks = func(fire, from, to, n int, skew, lat time.Duration) []tick {
		var ts []tick
		for k := from; k <= to; k++ {
			ts = append(ts, tick{fire, k, n, skew, lat})
		}
		return ts
	}
	ms := time.Millisecond
	for _, tc := range []struct {
		name     string
		in       [][]tick // in the order they arrive
		count    int64
		end      time.Duration // from t0
		early    bool
		measured int // intervals merged
	}{
		{"fire 0 far ahead, to the deadline",
			[][]tick{ticks(0, 1, 10, 10, ms, ms), ticks(1, 1, 10, 7, 2*ms, ms)}, 8 * 17, 1000*ms + 2*ms, false, 16},
		{"fire 1's tick 5 breaks the max: the verdict covers ticks 3–5 of both, not fire 0's 6–8",
			[][]tick{ticks(0, 1, 8, 10, ms, ms), ticks(1, 1, 4, 7, 2*ms, ms), {{1, 5, 7, 2 * ms, 900 * ms}}}, 3 * 17, 500*ms + 2*ms, true, 6},
		{"fire 1 reaches the deadline a tick after fire 0 (its clock 1 ms behind): its tick 11 is left out",
			[][]tick{ticks(0, 1, 10, 10, ms, ms), ticks(1, 1, 11, 7, -ms, ms)}, 8 * 17, 1000*ms + ms, false, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &FireDriver{procs: make([]*fireProc, 2), stderr: io.Discard, think: map[string]time.Duration{}, slack: 50 * ms}
			var req requirement.Requirement
			req.Add("max", 500)
			l := &Level{Duration: time.Second, Warmup: 200 * ms, Req: req, MinSamples: 1}
			lr := d.newLevelRun(l, 10, false, Load{Stages: []*record.Plan{{Type: record.TypeStage, Users: plan.Ptr(10)}}}, t0)
			done, n := false, 0
			for _, part := range tc.in {
				for _, tk := range part {
					if done {
						t.Fatalf("tick %+v after the level was done", tk)
					}
					iv := tk.stats(t)
					done = lr.add(tk.fire, &iv)
					n++
				}
			}
			if !done {
				t.Fatal("the level is not done")
			}
			st := lr.step()
			if st.Count != tc.count || !st.End.Equal(t0.Add(tc.end)) || st.EarlyStop != tc.early || !st.Start.Equal(t0.Add(200*ms+ms)) && !st.Start.Equal(t0.Add(200*ms-ms)) {
				t.Fatalf("step count %d over %v–%v, early stop %v; want %d up to %v, early %v",
					st.Count, st.Start.Sub(t0), st.End.Sub(t0), st.EarlyStop, tc.count, tc.end, tc.early)
			}
			if queued := len(lr.queue[0]) + len(lr.queue[1]); n-queued < tc.measured {
				t.Fatalf("%d intervals read, %d left queued", n, queued)
			}
		})
	}
}
