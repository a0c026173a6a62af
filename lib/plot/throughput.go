package plot

import (
	"fmt"

	"github.com/wcharczuk/go-chart/v2/drawing"
)

// Throughput draws answered requests and errors per second over time from
// interval records, with the fault windows shaded. A time-scaled run is
// drawn in model time: rates per model second.
func Throughput(data []*Data, title string) (*Figure, error) {
	ax := axisOf(data, 0)
	fig := &Figure{Title: title, XLabel: "Time (clock)", YLabel: "Requests per second", XTime: !ax.elapsed}
	if ax.elapsed {
		fig.XElapsed, fig.XLabel, fig.YLabel = true, "Model time since the start", "Requests per model second"
	}
	for k, d := range data {
		var xs, ok, bad []float64
		for _, iv := range d.Intervals {
			dur := iv.End.Sub(iv.Start).Seconds()
			if dur <= 0 {
				continue
			}
			xs = append(xs, ax.x(iv.Start))
			ok = append(ok, float64(iv.Count)/dur*ax.scale)
			bad = append(bad, float64(iv.Errors)/dur*ax.scale)
		}
		if len(xs) == 0 {
			continue
		}
		suffix := ""
		if len(data) > 1 {
			suffix = " — " + d.Name
		}
		fig.Series = append(fig.Series,
			Series{Name: "Answered" + suffix, X: xs, Y: ok, Mark: Line, Color: Palette[k%len(Palette)]},
			Series{Name: "Errors" + suffix, X: xs, Y: bad, Mark: Line, Color: Red, Dash: k > 0})
		fig.Bands = append(fig.Bands, faultWindows(d.Events, ax)...)
	}
	if len(fig.Series) == 0 {
		return nil, fmt.Errorf("no interval records with a time span: feed histo's or fire's statistics")
	}
	return fig, nil
}

// Percentiles draws the response time percentiles (p50, p90, p99 and max)
// of each interval over time: the live view's latency chart.
func Percentiles(data []*Data, title string) (*Figure, error) {
	ax := axisOf(data, 0)
	fig := &Figure{Title: title, XLabel: "Time (clock)", YLabel: "Response time (s)", XTime: !ax.elapsed}
	if ax.elapsed {
		fig.XElapsed, fig.XLabel, fig.YLabel = true, "Model time since the start", "Response time (s, model time)"
	}
	names := []string{"p50", "p90", "p99", "max"}
	colors := []drawing.Color{Green, Blue, Purple, Black}
	for _, d := range data {
		var xs []float64
		ys := make([][]float64, len(names))
		for _, iv := range d.Intervals {
			if iv.Count == 0 {
				continue
			}
			xs = append(xs, ax.x(iv.Start))
			for i, v := range []float64{iv.P50MS, iv.P90MS, iv.P99MS, iv.MaxMS} {
				ys[i] = append(ys[i], v/1000)
			}
		}
		for i := range names {
			if len(xs) > 0 {
				fig.Series = append(fig.Series, Series{Name: names[i], X: xs, Y: ys[i], Mark: Line, Color: colors[i], Dash: i == 3})
			}
		}
		fig.Bands = append(fig.Bands, faultWindows(d.Events, ax)...)
	}
	if len(fig.Series) == 0 {
		return nil, fmt.Errorf("no interval records with responses yet")
	}
	return fig, nil
}
