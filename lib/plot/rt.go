package plot

import (
	"fmt"
	"math"
	"sort"
	"time"

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
	// ClockStart (seconds since midnight, > 0) labels a model-time axis as
	// the model's clock from that time of day (a replayed trace's own time).
	ClockStart float64
}

// timeAxis maps instants to x: Unix seconds for a real-time run, model
// seconds since the run's start for a time-scaled one.
type timeAxis struct {
	t0      time.Time
	scale   float64
	elapsed bool // x is (model) seconds since t0
}

func (a timeAxis) x(t time.Time) float64 {
	if !a.elapsed {
		return float64(t.UnixNano()) / 1e9
	}
	return t.Sub(a.t0).Seconds() / a.scale
}

func axisOf(data []*Data, clockStart float64) timeAxis {
	a := timeAxis{scale: 1}
	for _, d := range data {
		if s := d.Scale(); s != 1 {
			a.scale = s
		}
		for _, iv := range d.Intervals {
			if a.t0.IsZero() || iv.Start.Before(a.t0) {
				a.t0 = iv.Start
			}
		}
	}
	a.elapsed = a.scale != 1 || clockStart > 0
	return a
}

// ResponseTime draws responses over time from interval records, like the
// original evaluator: per-interval max and median (every response, when an
// interval holds one), the minimum, the requirement lines, the expected
// fault band, and shaded fault windows from arssim's events. A time-scaled
// run is drawn in model time on both axes.
func ResponseTime(data []*Data, o RTOptions) (*Figure, error) {
	ax := axisOf(data, o.ClockStart)
	fig := &Figure{Title: o.Title, XLabel: "Time (clock)", YLabel: "Response time (s)", XTime: !ax.elapsed, LogY: o.LogY}
	if !fig.XTime {
		fig.XElapsed, fig.ClockStart = true, o.ClockStart
		fig.XLabel = "Time since the start"
		if ax.scale != 1 {
			fig.XLabel, fig.YLabel = "Model time since the start", "Response time (s, model time)"
		}
		if o.ClockStart > 0 {
			fig.XLabel = "Time of day (model clock)"
		}
	}
	minS := math.Inf(1)
	var evs []record.Event
	for k, d := range data {
		minS = math.Min(minS, rtSeries(fig, d, k, len(data) > 1, ax))
		evs = append(evs, d.Events...)
	}
	if len(fig.Series) == 0 {
		return nil, fmt.Errorf("no interval records with responses: feed histo's output (histo < log | plotrt)")
	}
	if o.MinusMin && !math.IsInf(minS, 0) {
		fig.Series = append(fig.Series, minusMin(fig.Series, minS)...)
	}
	if o.ShowMinimum && !math.IsInf(minS, 0) && (!o.LogY || minS > 0) {
		fig.HLines = append(fig.HLines, HLine{Name: fmt.Sprintf("Minimum measured (%.3g s)", minS), Y: minS, Color: Blue})
	}
	fig.HLines = append(fig.HLines, o.Limits...)
	if o.FaultBand {
		fig.Bands = append(fig.Bands, Band{Name: fmt.Sprintf("Expected fault time %g–%g s", o.BandLow, o.BandHigh), Y0: o.BandLow, Y1: o.BandHigh, Color: Orange})
	}
	fig.Bands = append(fig.Bands, faultWindows(evs, ax)...)
	return fig, nil
}

// rtSeries adds input k's series and returns its minimum (seconds).
func rtSeries(fig *Figure, d *Data, k int, several bool, ax timeAxis) float64 {
	minS := math.Inf(1)
	var xs, maxs, p50s []float64
	single := true
	for _, iv := range d.Intervals {
		if iv.Count == 0 {
			continue
		}
		xs = append(xs, ax.x(iv.Start))
		maxs = append(maxs, iv.MaxMS/1000)
		p50s = append(p50s, iv.P50MS/1000)
		minS = math.Min(minS, iv.MinMS/1000)
		single = single && iv.Count == 1
	}
	if len(xs) == 0 {
		return minS
	}
	suffix := ""
	if several {
		suffix = " — " + d.Name
	}
	col := Black
	if k > 0 {
		col = Palette[(k-1)%len(Palette)]
	}
	if single {
		fig.Series = append(fig.Series, Series{Name: "Response time" + suffix, X: xs, Y: maxs, Mark: Dots, Color: col})
		return minS
	}
	fig.Series = append(fig.Series,
		Series{Name: "Max per interval" + suffix, X: xs, Y: maxs, Mark: Dots, Color: col},
		Series{Name: "Median per interval" + suffix, X: xs, Y: p50s, Mark: Crosses, Color: Sky})
	return minS
}

// minusMin is the original evaluator's "response time − minimum" of each
// input's first series.
func minusMin(series []Series, minS float64) []Series {
	var out []Series
	for _, s := range series {
		if s.Mark != Dots {
			continue
		}
		ys := make([]float64, len(s.Y))
		for i, v := range s.Y {
			ys[i] = v - minS
		}
		out = append(out, Series{Name: s.Name + " − minimum", X: s.X, Y: ys, Mark: Crosses, Color: Gray})
	}
	return out
}

// FaultWindows turns fault and recovered events into shaded windows, x in
// Unix seconds.
func FaultWindows(evs []record.Event) []Band { return faultWindows(evs, timeAxis{scale: 1}) }

func faultWindows(evs []record.Event, ax timeAxis) []Band {
	evs = append([]record.Event(nil), evs...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].TS.Before(evs[j].TS) })
	var out []Band
	start := map[int]float64{}
	for _, e := range evs {
		t := ax.x(e.TS)
		switch e.Event {
		case record.EvFault:
			start[e.Fault] = t
		case record.EvRecovered:
			if s, ok := start[e.Fault]; ok {
				out = append(out, Band{Name: "ARS faulted (arssim events)", X0: s, X1: t, Vertical: true, Color: Gray})
				delete(start, e.Fault)
			}
		}
	}
	return out
}
