package plot

import (
	"fmt"
	"math"
	"strings"
	"time"

	charts "github.com/vicanso/go-charts/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

type frame struct {
	left, top, right, bottom int
	x0, x1, y0, y1           float64
	logX, logY               bool
	legend                   legendLayout
}

func (f *frame) tx(v float64) float64 {
	if f.logX {
		v = math.Log10(math.Max(v, 1e-12))
	}
	return v
}
func (f *frame) ty(v float64) float64 {
	if f.logY {
		v = math.Log10(math.Max(v, 1e-12))
	}
	return v
}
func (f *frame) px(v float64) int {
	return f.left + int(math.Round((f.tx(v)-f.x0)/(f.x1-f.x0)*float64(f.right-f.left)))
}
func (f *frame) py(v float64) int {
	y := f.bottom - int(math.Round((f.ty(v)-f.y0)/(f.y1-f.y0)*float64(f.bottom-f.top)))
	return min(max(y, f.top-2), f.bottom+2)
}

// dataRange is the extent of everything drawn in data units.
func (fig *Figure) dataRange() (x0, x1, y0, y1 float64, ok bool) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	updX := func(x float64) {
		if !math.IsNaN(x) && !math.IsInf(x, 0) && !(fig.LogX && x <= 0) {
			x0, x1 = math.Min(x0, x), math.Max(x1, x)
		}
	}
	updY := func(y float64) {
		if !math.IsNaN(y) && !math.IsInf(y, 0) && !(fig.LogY && y <= 0) {
			y0, y1 = math.Min(y0, y), math.Max(y1, y)
		}
	}
	for _, s := range fig.Series {
		for i := range s.X {
			if i < len(s.Y) && !math.IsNaN(s.Y[i]) {
				updX(s.X[i])
				updY(s.Y[i])
			}
		}
	}
	for _, h := range fig.HLines {
		updY(h.Y)
	}
	for _, v := range fig.VLines {
		updX(v.X)
	}
	for _, b := range fig.Bands {
		if !b.Vertical {
			updY(b.Y0)
			updY(b.Y1)
		}
	}
	for _, t := range fig.XTicks {
		updX(t.X)
	}
	ok = !math.IsInf(x0, 0) && !math.IsInf(y0, 0)
	return
}

func (fig *Figure) layout(p *charts.Painter) (*frame, error) {
	x0, x1, y0, y1, ok := fig.dataRange()
	if !ok {
		return nil, fmt.Errorf("nothing to plot: the input holds no data points")
	}
	fr := &frame{logX: fig.LogX, logY: fig.LogY}
	if fig.LogX {
		x0, x1 = math.Floor(math.Log10(x0)), math.Log10(x1)
	}
	if fig.LogY {
		y0, y1 = math.Floor(math.Log10(y0)), math.Ceil(math.Log10(y1))
	} else {
		y0 = math.Min(y0, 0)
		y1 += (y1 - y0) * 0.05
	}
	if x1 <= x0 {
		x0, x1 = x0-1, x1+1
	}
	if y1 <= y0 {
		y1 = y0 + 1
	}
	if !fig.LogX && !fig.XTime && !fig.XElapsed {
		x0 = math.Min(x0, 0)
		x1 += (x1 - x0) * 0.03
	}
	fr.x0, fr.x1, fr.y0, fr.y1 = x0, x1, y0, y1
	fr.left, fr.right = 95, fig.Width-40
	fr.top = 60
	fr.legend = fig.legendLayout(p, fr.right-fr.left)
	fr.bottom = fig.Height - 80 - 26*fr.legend.rows
	if fr.bottom-fr.top < 100 {
		return nil, fmt.Errorf("figure too small for its legend")
	}
	return fr, nil
}

// xTicks are the x axis ticks in transformed units, with their labels.
func (fig *Figure) xTicks(fr *frame) []Tick {
	if fig.XTicks != nil {
		out := make([]Tick, len(fig.XTicks))
		for i, t := range fig.XTicks {
			out[i] = Tick{fr.tx(t.X), t.Label}
		}
		return out
	}
	var vs []float64
	switch {
	case fig.XTime:
		vs = timeTicks(fr.x0, fr.x1, 10)
	case fig.XElapsed:
		vs = timeTicks(fr.x0+fig.ClockStart, fr.x1+fig.ClockStart, 10)
		for i := range vs {
			vs[i] -= fig.ClockStart
		}
	default:
		vs = ticks(fr.x0, fr.x1, fr.logX, 10)
	}
	out := make([]Tick, len(vs))
	for i, v := range vs {
		switch {
		case fig.XTime:
			out[i] = Tick{v, clock(v, fr.x1-fr.x0)}
		case fig.XElapsed && fig.ClockStart > 0:
			out[i] = Tick{v, dayClock(v+fig.ClockStart, fr.x1-fr.x0)}
		case fig.XElapsed:
			out[i] = Tick{v, elapsed(v, fr.x1-fr.x0)}
		default:
			out[i] = Tick{v, label(v, fr.logX)}
		}
	}
	return out
}

func (fig *Figure) drawAxes(p *charts.Painter, fr *frame) {
	text := func(size float64, c drawing.Color) {
		p.SetTextStyle(charts.Style{FontSize: size, FontColor: c})
	}
	text(18, Black)
	tb := p.MeasureText(fig.Title)
	p.Text(fig.Title, max((fig.Width-tb.Width())/2, 4), 34)
	yt := ticks(fr.y0, fr.y1, fr.logY, 8)
	xt := fig.xTicks(fr)
	yAt := func(v float64) int {
		return fr.bottom - int(math.Round((v-fr.y0)/(fr.y1-fr.y0)*float64(fr.bottom-fr.top)))
	}
	xAt := func(v float64) int {
		return fr.left + int(math.Round((v-fr.x0)/(fr.x1-fr.x0)*float64(fr.right-fr.left)))
	}
	p.SetDrawingStyle(charts.Style{StrokeColor: gridColor, StrokeWidth: 1})
	for _, v := range yt {
		p.LineStroke([]charts.Point{{X: fr.left, Y: yAt(v)}, {X: fr.right, Y: yAt(v)}})
	}
	for _, t := range xt {
		p.LineStroke([]charts.Point{{X: xAt(t.X), Y: fr.top}, {X: xAt(t.X), Y: fr.bottom}})
	}
	p.SetDrawingStyle(charts.Style{StrokeColor: Black, StrokeWidth: 1.5})
	p.LineStroke([]charts.Point{{X: fr.left, Y: fr.top}, {X: fr.left, Y: fr.bottom}, {X: fr.right, Y: fr.bottom}})
	text(13, Black)
	for _, v := range yt {
		l := label(v, fr.logY)
		b := p.MeasureText(l)
		p.Text(l, fr.left-8-b.Width(), yAt(v)+b.Height()/2)
	}
	for _, t := range xt {
		b := p.MeasureText(t.Label)
		// a label at the edge stays whole inside the figure
		x := min(max(xAt(t.X)-b.Width()/2, 2), fig.Width-b.Width()-4)
		p.Text(t.Label, x, fr.bottom+8+b.Height())
	}
	text(15, Black)
	b := p.MeasureText(fig.XLabel)
	p.Text(fig.XLabel, (fr.left+fr.right-b.Width())/2, fr.bottom+50)
	b = p.MeasureText(fig.YLabel)
	p.TextRotation(fig.YLabel, 24, (fr.top+fr.bottom+b.Width())/2, -math.Pi/2)
}

// ticks returns tick positions (in transformed units for log axes).
func ticks(lo, hi float64, log bool, n int) []float64 {
	var out []float64
	if log {
		for v := math.Ceil(lo); v <= hi+1e-9; v++ {
			out = append(out, v)
		}
		return out
	}
	step := niceStep((hi - lo) / float64(n))
	for i := math.Ceil(lo / step); i*step <= hi+step*1e-9; i++ {
		out = append(out, i*step)
	}
	return out
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// timeTicks are round clock steps (1 s … 1 day) between lo and hi seconds.
func timeTicks(lo, hi float64, n int) []float64 {
	span := hi - lo
	steps := []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= float64(n) {
			step = s
			break
		}
	}
	var out []float64
	for i := math.Ceil(lo / step); i*step <= hi+1e-9; i++ {
		out = append(out, i*step)
	}
	return out
}

func clock(v, span float64) string {
	t := time.Unix(0, int64(v*1e9))
	if span >= 120 {
		return t.Format("15:04")
	}
	return t.Format("15:04:05")
}

// dayClock labels v seconds since midnight as a clock time.
func dayClock(v, span float64) string {
	s := int64(math.Round(v)) % 86400
	if span >= 120 {
		return fmt.Sprintf("%02d:%02d", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s%3600/60, s%60)
}

// elapsed labels v seconds since the start: m:ss below an hour, else h:mm.
func elapsed(v, span float64) string {
	s := int64(math.Round(v))
	if span >= 3600 {
		return fmt.Sprintf("%d:%02d h", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func label(v float64, log bool) string {
	if log {
		v = math.Pow(10, v)
	}
	s := fmt.Sprintf("%g", math.Round(v*1e6)/1e6)
	if strings.Contains(s, "e+") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s
}
