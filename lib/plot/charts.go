package plot

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
)

// RTOptions shape the response-time-over-time chart.
type RTOptions struct {
	Title       string
	Limits      []HLine // requirement lines (seconds)
	FaultBand   bool    // draw the expected fault band 28–36 s
	BandLow     float64 // seconds
	BandHigh    float64
	MinusMin    bool // also plot response time minus the minimum, as the original evaluator
	LogY        bool
	ShowMinimum bool
}

// ResponseTime draws responses over time from interval records, like the
// original evaluator: per-interval max and median (every response, when an
// interval holds one), the minimum, the requirement lines, the expected
// fault band, and shaded fault windows from arssim's events.
func ResponseTime(data []*Data, o RTOptions) (*Figure, error) {
	fig := &Figure{Title: o.Title, XLabel: "Time (clock)", YLabel: "Response time (s)", XTime: true, LogY: o.LogY}
	minS := math.Inf(1)
	var evs []record.Event
	for k, d := range data {
		var xs, maxs, p50s []float64
		single := true
		for _, iv := range d.Intervals {
			if iv.Count == 0 {
				continue
			}
			x := float64(iv.Start.UnixNano()) / 1e9
			xs = append(xs, x)
			maxs = append(maxs, iv.MaxMS/1000)
			p50s = append(p50s, iv.P50MS/1000)
			minS = math.Min(minS, iv.MinMS/1000)
			single = single && iv.Count == 1
		}
		evs = append(evs, d.Events...)
		if len(xs) == 0 {
			continue
		}
		suffix := ""
		if len(data) > 1 {
			suffix = " — " + d.Name
		}
		col := Black
		if k > 0 {
			col = Palette[(k-1)%len(Palette)]
		}
		if single {
			fig.Series = append(fig.Series, Series{Name: "Response time" + suffix, X: xs, Y: maxs, Mark: Dots, Color: col})
		} else {
			fig.Series = append(fig.Series,
				Series{Name: "Response time, max per interval" + suffix, X: xs, Y: maxs, Mark: Dots, Color: col},
				Series{Name: "Response time, median per interval" + suffix, X: xs, Y: p50s, Mark: Crosses, Color: Sky})
		}
		if o.MinusMin && !math.IsInf(minS, 0) {
			ys := make([]float64, len(maxs))
			for i, v := range maxs {
				ys[i] = v - minS
			}
			fig.Series = append(fig.Series, Series{Name: "Response time − minimum" + suffix, X: xs, Y: ys, Mark: Crosses, Color: Gray})
		}
	}
	if len(fig.Series) == 0 {
		return nil, fmt.Errorf("no interval records with responses: feed histo's output (histo < log | plotrt)")
	}
	if o.ShowMinimum && !math.IsInf(minS, 0) && !o.LogY || o.ShowMinimum && minS > 0 {
		fig.HLines = append(fig.HLines, HLine{Name: fmt.Sprintf("Minimum response time measured (%.3g s)", minS), Y: minS, Color: Blue})
	}
	fig.HLines = append(fig.HLines, o.Limits...)
	if o.FaultBand {
		fig.Bands = append(fig.Bands, Band{Name: fmt.Sprintf("Expected fault time %g–%g s", o.BandLow, o.BandHigh), Y0: o.BandLow, Y1: o.BandHigh, Color: Orange})
	}
	fig.Bands = append(fig.Bands, FaultWindows(evs)...)
	return fig, nil
}

// FaultWindows turns fault and recovered events into shaded windows.
func FaultWindows(evs []record.Event) []Band {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].TS.Before(evs[j].TS) })
	var out []Band
	start := map[int]float64{}
	for _, e := range evs {
		t := float64(e.TS.UnixNano()) / 1e9
		switch e.Event {
		case "fault":
			start[e.Fault] = t
		case "recovered":
			if s, ok := start[e.Fault]; ok {
				out = append(out, Band{Name: "ARS faulted (arssim events)", X0: s, X1: t, Vertical: true, Color: Gray})
				delete(start, e.Fault)
			}
		}
	}
	return out
}

// LoadOptions shape the latency-against-load chart.
type LoadOptions struct {
	Title  string
	Metric string // "mean+max" (default) or "p99"
	XRate  bool   // x = achieved req/s instead of users
	LogY   bool
	Limits []HLine
}

// Load draws latency against load from step records, one pair of series per run.
func Load(data []*Data, o LoadOptions) (*Figure, error) {
	fig := &Figure{Title: o.Title, XLabel: "Number of alarm devices (users)", YLabel: "Response time (s)", LogY: o.LogY}
	if o.XRate {
		fig.XLabel = "Achieved throughput (req/s)"
	}
	n := 0
	for k, d := range data {
		if len(d.Steps) == 0 {
			continue
		}
		steps := append([]record.Step(nil), d.Steps...)
		sort.SliceStable(steps, func(i, j int) bool { return steps[i].Users < steps[j].Users })
		var xs, mean, mx, p99 []float64
		for _, s := range steps {
			x := float64(s.Users)
			if o.XRate {
				x = s.AchievedRPS
			}
			xs = append(xs, x)
			mean = append(mean, s.MeanMS/1000)
			mx = append(mx, s.MaxMS/1000)
			p99 = append(p99, s.P99MS/1000)
		}
		name := ""
		if len(data) > 1 {
			name = " — " + d.Name
		}
		c1 := Palette[k%len(Palette)]
		if o.Metric == "p99" {
			fig.Series = append(fig.Series, Series{Name: "p99" + name, X: xs, Y: p99, Mark: Line, Color: c1})
		} else {
			fig.Series = append(fig.Series,
				Series{Name: "mean" + name, X: xs, Y: mean, Mark: Line, Color: c1},
				Series{Name: "max" + name, X: xs, Y: mx, Mark: Line, Color: c1, Dash: true})
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("no step records: feed rampctl's output or an executor log with \"Clients:\" lines")
	}
	fig.HLines = append(fig.HLines, o.Limits...)
	return fig, nil
}

// Distribution draws the percentile distribution of a summary's histogram,
// x on HdrHistogram's customary log scale of 1/(1−q).
func Distribution(data []*Data, title string) (*Figure, error) {
	fig := &Figure{Title: title, XLabel: "Percentile", YLabel: "Response time (ms)", LogX: true}
	fig.XTickFormat = func(v float64) string {
		q := 100 * (1 - math.Pow(10, -v))
		s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", q), "0"), ".")
		return s + "%"
	}
	for k, d := range data {
		h := hist.New()
		switch {
		case d.Summary != nil && d.Summary.Hist != "":
			x, err := hist.Decode(d.Summary.Hist)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", d.Name, err)
			}
			h = x
		default:
			for _, iv := range d.Intervals {
				if iv.Hist == "" {
					continue
				}
				x, err := hist.Decode(iv.Hist)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", d.Name, err)
				}
				h.Merge(x)
			}
		}
		if h.Count() == 0 {
			continue
		}
		var xs, ys []float64
		for _, q := range quantiles(h.Count()) {
			xs = append(xs, 1/(1-q))
			ys = append(ys, float64(h.Quantile(q))/1000)
		}
		fig.Series = append(fig.Series, Series{Name: d.Name, X: xs, Y: ys, Mark: Line, Color: Palette[k%len(Palette)]})
	}
	if len(fig.Series) == 0 {
		return nil, fmt.Errorf("no histogram: feed histo's output (its summary record carries one)")
	}
	return fig, nil
}

// quantiles up to the resolution the sample count supports.
func quantiles(n int64) []float64 {
	var out []float64
	for d := 1.0; d <= 1e6; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			q := 1 - 1/(d*m)
			if q <= 0 || (1-q)*float64(n) < 1 {
				continue
			}
			out = append(out, q)
		}
	}
	return append([]float64{0}, out...)
}
