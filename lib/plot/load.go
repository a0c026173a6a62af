package plot

import (
	"fmt"
	"math"
	"sort"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/requirement"
)

// LoadOptions shape the latency-against-load chart.
type LoadOptions struct {
	Title string
	// Metrics to draw (mean, p50, p99, max); empty: the metrics the
	// inputs' requirement checks, else mean and max.
	Metrics []string
	XRate   bool // x = achieved req/s instead of users
	LogY    bool
	Limits  []HLine
}

// StepMetrics are the latencies a step record carries.
var StepMetrics = []string{"mean", "p50", "p99", "max"}

func stepValue(s *record.Step, metric string) float64 {
	switch metric {
	case "mean":
		return s.MeanMS
	case "p50":
		return s.P50MS
	case "p99":
		return s.P99MS
	}
	return s.MaxMS
}

// LoadMetrics are the metrics a load chart of data draws: those its
// requirement checks that steps carry, else mean and max.
func LoadMetrics(data []*Data) []string {
	var out []string
	for _, d := range data {
		for _, c := range d.Checks {
			if contains(StepMetrics, c.Metric) && !contains(out, c.Metric) {
				out = append(out, c.Metric)
			}
		}
	}
	if len(out) == 0 {
		return []string{"mean", "max"}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Load draws latency against load from step records: per run the checked
// metrics, the levels that failed ringed, and rampctl's saturation point.
func Load(data []*Data, o LoadOptions) (*Figure, error) {
	fig := &Figure{Title: o.Title, XLabel: "Number of alarm devices (users)", YLabel: "Response time (s)", LogY: o.LogY}
	if o.XRate {
		fig.XLabel = "Achieved throughput (req/s)"
	}
	metrics := o.Metrics
	if len(metrics) == 0 {
		metrics = LoadMetrics(data)
	}
	n := 0
	for k, d := range data {
		if len(d.Steps) == 0 {
			continue
		}
		if d.Scale() != 1 {
			fig.YLabel = "Response time (s, model time)"
		}
		loadSeries(fig, d, k, len(data) > 1, metrics, o.XRate)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("no step records: feed rampctl's output or an executor log with \"Clients:\" lines")
	}
	fig.HLines = append(fig.HLines, o.Limits...)
	return fig, nil
}

func loadSeries(fig *Figure, d *Data, k int, several bool, metrics []string, xRate bool) {
	steps := append([]record.Step(nil), d.Steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Users < steps[j].Users })
	x := func(s *record.Step) float64 {
		if xRate {
			return s.AchievedRPS
		}
		return float64(s.Users)
	}
	suffix := ""
	if several {
		suffix = " — " + d.Name
	}
	col := Palette[k%len(Palette)]
	for m, metric := range metrics {
		var xs, ys []float64
		for i := range steps {
			xs = append(xs, x(&steps[i]))
			ys = append(ys, stepValue(&steps[i], metric)/1000)
		}
		fig.Series = append(fig.Series, Series{Name: metricName(metric) + suffix, X: xs, Y: ys, Mark: Line, Color: col, Dash: m%2 == 1})
	}
	if fx, fy := failedPoints(d, steps, metrics, x); len(fx) > 0 {
		fig.Series = append(fig.Series, Series{Name: "Level failed the requirement" + suffix, X: fx, Y: fy, Mark: Rings, Color: Red})
	}
	if r := d.Result; r != nil && r.Found && r.SaturationUsers > 0 {
		v := VLine{Name: fmt.Sprintf("Saturation point: %d users (%d failed)", r.SaturationUsers, r.FirstFailUsers) + suffix,
			X: float64(r.SaturationUsers), Color: Green, Dash: true}
		for i := range steps {
			if xRate && steps[i].Users == r.SaturationUsers {
				v.X = steps[i].AchievedRPS
			}
		}
		fig.VLines = append(fig.VLines, v)
	}
}

// failedPoints ring each failed level on the drawn metrics that broke
// their limit (on the last drawn metric when none of them did).
func failedPoints(d *Data, steps []record.Step, metrics []string, x func(*record.Step) float64) (fx, fy []float64) {
	if !d.Judged {
		return nil, nil
	}
	for i := range steps {
		s := &steps[i]
		if s.Pass {
			continue
		}
		ringed := false
		for _, c := range d.Checks {
			if v := stepValue(s, c.Metric); contains(metrics, c.Metric) && v > c.Limit {
				fx, fy, ringed = append(fx, x(s)), append(fy, v/1000), true
			}
		}
		if !ringed {
			fx, fy = append(fx, x(s)), append(fy, stepValue(s, metrics[len(metrics)-1])/1000)
		}
	}
	return fx, fy
}

func metricName(m string) string {
	switch m {
	case "mean":
		return "Mean response time"
	case "max":
		return "Max response time"
	}
	return m + " response time"
}

// LimitName is the legend name of a requirement's limit line.
func LimitName(c requirement.Check) string {
	s := c.Limit / 1000
	switch c.Metric {
	case "mean":
		return fmt.Sprintf("Mean allowed (%g s)", s)
	case "max":
		return fmt.Sprintf("Maximum allowed (%g s)", s)
	}
	return fmt.Sprintf("%s allowed (%g s)", c.Metric, s)
}

// LimitLines are a requirement's latency limits as lines in seconds, one
// per metric (the first input's), leaving out metrics not in only (if set).
func LimitLines(checks []requirement.Check, only []string) []HLine {
	var out []HLine
	seen := map[string]bool{}
	for _, c := range checks {
		if c.Metric == "errors" || seen[c.Metric] || (only != nil && !contains(only, c.Metric)) {
			continue
		}
		seen[c.Metric] = true
		h := HLine{Name: LimitName(c), Y: c.Limit / 1000, Color: Red}
		switch c.Metric {
		case "mean":
			h.Color, h.Dash = Yellow, true
		case "max":
		default:
			h.Color, h.Dash = Purple, true
		}
		out = append(out, h)
	}
	return out
}

// Distribution draws each input's response time distribution from its
// histogram, from the minimum (0 %) to the maximum (100 %), x on
// HdrHistogram's customary log scale of 1/(1−q); model time for a
// time-scaled run; each run named in the legend.
func Distribution(data []*Data, title string) (*Figure, error) {
	fig := &Figure{Title: title, XLabel: "Percentile", YLabel: "Response time (ms)", LogX: true}
	var curves []curve
	maxMS, top := 0.0, 10.0
	for _, d := range data {
		c, err := distCurve(d)
		if err != nil {
			return nil, err
		}
		if c.n == 0 {
			continue
		}
		curves = append(curves, c)
		maxMS, top = math.Max(maxMS, c.ys[len(c.ys)-1]), math.Max(top, float64(c.n))
	}
	if len(curves) == 0 {
		return nil, fmt.Errorf("no histogram: feed histo's output (its summary record carries one)")
	}
	div := 1.0
	if maxMS >= 10000 {
		div, fig.YLabel = 1000, "Response time (s)"
	}
	for k, c := range curves {
		if c.model {
			fig.YLabel = fig.YLabel[:len(fig.YLabel)-1] + ", model time)"
		}
		xs := append(append([]float64(nil), c.xs...), top)
		ys := make([]float64, len(c.ys))
		for i, v := range c.ys {
			ys[i] = v / div
		}
		fig.Series = append(fig.Series, Series{Name: c.name, X: xs, Y: ys, Mark: Line, Color: Palette[k%len(Palette)]})
	}
	fig.XTicks = percentTicks(top)
	return fig, nil
}

// curve is one input's distribution: xs for every point but the maximum,
// which goes at the figure's 100 % position.
type curve struct {
	name   string
	n      int64
	xs, ys []float64 // ys in (model) ms, the last one the maximum
	model  bool
}

func distCurve(d *Data) (curve, error) {
	h, err := d.histogram()
	if err != nil || h == nil || h.Count() == 0 {
		return curve{}, err
	}
	scale := d.Scale()
	c := curve{name: d.Name, n: h.Count(), model: scale != 1}
	ms := func(us int64) float64 { return float64(us) / 1000 / scale }
	minMS, maxMS := ms(h.Quantile(1e-12)), ms(h.MaxUS())
	if s := d.Summary; s != nil && s.Count > 0 {
		minMS, maxMS = s.MinMS, s.MaxMS // exact, where the histogram rounds
	}
	c.xs, c.ys = []float64{1}, []float64{minMS}
	for _, q := range quantiles(c.n) {
		c.xs = append(c.xs, 1/(1-q))
		c.ys = append(c.ys, math.Min(math.Max(ms(h.Quantile(q)), minMS), maxMS))
	}
	c.ys = append(c.ys, maxMS)
	return c, nil
}

// quantiles above 0 whose x stays below the sample count's resolution (the
// maximum stands for the rest).
func quantiles(n int64) []float64 {
	var out []float64
	for d := 1.0; d <= 1e6; d *= 10 {
		for _, m := range []float64{2, 5, 10} {
			if inv := d * m; inv < float64(n) {
				out = append(out, 1-1/inv)
			}
		}
	}
	return out
}

// percentTicks label 0 %, 90 %, 99 %, … and 100 % at top, leaving out a
// decade too close to 100 % to be read beside it.
func percentTicks(top float64) []Tick {
	ts := []Tick{}
	for x := 1.0; x < top; x *= 10 {
		if math.Log10(top)-math.Log10(x) < 0.35 {
			break
		}
		ts = append(ts, Tick{x, percentLabel(x)})
	}
	return append(ts, Tick{top, "100%"})
}

func percentLabel(x float64) string {
	q := 100 * (1 - 1/x)
	s := fmt.Sprintf("%.4f", q)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s + "%"
}
