// Package plot draws perflab's figures on go-charts' Painter: a time or
// numeric x axis, linear or log y axis, dot and line series, threshold lines,
// shaded windows and bands, and a legend outside the data.
package plot

import (
	"fmt"
	"math"
	"strings"
	"time"

	charts "github.com/vicanso/go-charts/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// Mark is how a series is drawn.
type Mark int

// Series marks.
const (
	Line Mark = iota
	Dots
	Crosses
)

// Series is one set of points.
type Series struct {
	Name  string
	X, Y  []float64
	Mark  Mark
	Color drawing.Color
	Dash  bool
}

// HLine is a horizontal reference line (a threshold, the minimum).
type HLine struct {
	Name  string
	Y     float64
	Color drawing.Color
	Dash  bool
}

// Band is a shaded range: vertical (X0..X1, e.g. a fault window) or
// horizontal (Y0..Y1, e.g. the expected fault band).
type Band struct {
	Name           string
	X0, X1, Y0, Y1 float64
	Vertical       bool
	Color          drawing.Color
}

// Figure is one chart.
type Figure struct {
	Title, XLabel, YLabel string
	XTime                 bool // x values are Unix seconds, labelled as clock times
	LogX, LogY            bool
	Series                []Series
	HLines                []HLine
	Bands                 []Band
	Width, Height         int
	XTickFormat           func(float64) string
}

// Colours used across figures (colour-blind safe where it matters).
var (
	Black  = drawing.Color{R: 20, G: 20, B: 20, A: 255}
	Gray   = drawing.Color{R: 150, G: 150, B: 150, A: 255}
	Blue   = drawing.Color{R: 0, G: 114, B: 178, A: 255}
	Red    = drawing.Color{R: 213, G: 94, B: 0, A: 255}
	Orange = drawing.Color{R: 230, G: 159, B: 0, A: 255}
	Green  = drawing.Color{R: 0, G: 158, B: 115, A: 255}
	Purple = drawing.Color{R: 204, G: 121, B: 167, A: 255}
	Sky    = drawing.Color{R: 86, G: 180, B: 233, A: 255}
	Yellow = drawing.Color{R: 200, G: 170, B: 0, A: 255}
	// Palette colours data series; red and yellow are kept for requirement lines.
	Palette   = []drawing.Color{Blue, Green, Purple, Black, Sky, Orange, Gray}
	white     = drawing.Color{R: 255, G: 255, B: 255, A: 255}
	gridColor = drawing.Color{R: 225, G: 225, B: 225, A: 255}
)

// MaxPoints is how many points a dot series keeps at most; longer series are
// downsampled per pixel column keeping each column's extremes, so a spike
// never disappears.
const MaxPoints = 6000

type frame struct {
	left, top, right, bottom int
	x0, x1, y0, y1           float64
	logX, logY               bool
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

// Render draws the figure as "png" or "svg".
func (fig *Figure) Render(format string) ([]byte, error) {
	if fig.Width == 0 {
		fig.Width, fig.Height = 1200, 720
	}
	p, err := charts.NewPainter(charts.PainterOptions{Type: format, Width: fig.Width, Height: fig.Height})
	if err != nil {
		return nil, err
	}
	p.SetBackground(fig.Width, fig.Height, white)
	fr, err := fig.layout(p)
	if err != nil {
		return nil, err
	}
	fig.drawAxes(p, fr)
	for _, b := range fig.Bands {
		fill := b.Color
		fill.A = 60
		p.SetDrawingStyle(charts.Style{FillColor: fill, StrokeColor: fill, StrokeWidth: 0.1})
		var x0, x1, y0, y1 int
		if b.Vertical {
			x0, x1, y0, y1 = clampX(fr, fr.px(b.X0)), clampX(fr, fr.px(b.X1)), fr.top, fr.bottom
			if x1-x0 < 2 {
				x1 = x0 + 2
			}
		} else {
			x0, x1, y0, y1 = fr.left, fr.right, fr.py(b.Y1), fr.py(b.Y0)
		}
		p.Rect(charts.Box{Left: x0, Right: x1, Top: y0, Bottom: y1})
	}
	for _, h := range fig.HLines {
		style := charts.Style{StrokeColor: h.Color, StrokeWidth: 2}
		if h.Dash {
			style.StrokeDashArray = []float64{8, 5}
		}
		p.SetDrawingStyle(style)
		y := fr.py(h.Y)
		p.LineStroke([]charts.Point{{X: fr.left, Y: y}, {X: fr.right, Y: y}})
	}
	for _, s := range fig.Series {
		fig.drawSeries(p, fr, s)
	}
	fig.drawLegend(p, fr)
	return p.Bytes()
}

func clampX(fr *frame, x int) int { return min(max(x, fr.left), fr.right) }

func (fig *Figure) drawSeries(p *charts.Painter, fr *frame, s Series) {
	pts := make([]charts.Point, 0, len(s.X))
	for i := range s.X {
		if i >= len(s.Y) || math.IsNaN(s.Y[i]) || (fr.logY && s.Y[i] <= 0) {
			continue
		}
		pts = append(pts, charts.Point{X: fr.px(s.X[i]), Y: fr.py(s.Y[i])})
	}
	switch s.Mark {
	case Line:
		style := charts.Style{StrokeColor: s.Color, StrokeWidth: 2.5}
		if s.Dash {
			style.StrokeDashArray = []float64{8, 5}
		}
		p.SetDrawingStyle(style)
		if len(pts) > 0 {
			p.LineStroke(pts)
		}
		p.SetDrawingStyle(charts.Style{StrokeColor: s.Color, FillColor: s.Color, StrokeWidth: 1})
		if len(pts) <= 60 {
			for _, q := range pts {
				p.Circle(3.5, q.X, q.Y)
				p.FillStroke()
			}
		}
	case Dots:
		pts = thin(pts)
		p.SetDrawingStyle(charts.Style{StrokeColor: s.Color, FillColor: s.Color, StrokeWidth: 1})
		for _, q := range pts {
			p.Circle(2.5, q.X, q.Y)
			p.FillStroke()
		}
	case Crosses:
		pts = thin(pts)
		p.SetDrawingStyle(charts.Style{StrokeColor: s.Color, StrokeWidth: 1.5})
		for _, q := range pts {
			p.LineStroke([]charts.Point{{X: q.X - 3, Y: q.Y - 3}, {X: q.X + 3, Y: q.Y + 3}})
			p.LineStroke([]charts.Point{{X: q.X - 3, Y: q.Y + 3}, {X: q.X + 3, Y: q.Y - 3}})
		}
	}
}

// thin drops points that land on an already drawn pixel, keeping every
// distinct (column, row): the picture is the same, the file far smaller.
func thin(pts []charts.Point) []charts.Point {
	if len(pts) <= MaxPoints {
		return pts
	}
	seen := make(map[[2]int]bool, MaxPoints)
	out := pts[:0:0]
	for _, q := range pts {
		k := [2]int{q.X, q.Y / 2}
		if !seen[k] {
			seen[k] = true
			out = append(out, q)
		}
	}
	return out
}

func (fig *Figure) dataRange() (x0, x1, y0, y1 float64, ok bool) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	upd := func(x, y float64, useX, useY bool) {
		if useX && !math.IsNaN(x) && !(fig.LogX && x <= 0) {
			x0, x1 = math.Min(x0, x), math.Max(x1, x)
		}
		if useY && !math.IsNaN(y) && !(fig.LogY && y <= 0) {
			y0, y1 = math.Min(y0, y), math.Max(y1, y)
		}
	}
	for _, s := range fig.Series {
		for i := range s.X {
			if i < len(s.Y) {
				upd(s.X[i], s.Y[i], true, true)
			}
		}
	}
	for _, h := range fig.HLines {
		upd(0, h.Y, false, true)
	}
	for _, b := range fig.Bands {
		if !b.Vertical {
			upd(0, b.Y0, false, true)
			upd(0, b.Y1, false, true)
		}
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
		x0, x1 = math.Floor(math.Log10(x0)), math.Ceil(math.Log10(x1))
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
	if !fig.LogX && !fig.XTime {
		x0 = math.Min(x0, 0)
		x1 += (x1 - x0) * 0.03
	}
	fr.x0, fr.x1, fr.y0, fr.y1 = x0, x1, y0, y1
	cols := fig.legendCols()
	legendRows := (len(fig.legendItems()) + cols - 1) / cols
	fr.left, fr.right = 95, fig.Width-30
	fr.top = 60
	fr.bottom = fig.Height - 80 - 26*legendRows
	if fr.bottom-fr.top < 100 {
		return nil, fmt.Errorf("figure too small for its legend")
	}
	return fr, nil
}

func (fig *Figure) drawAxes(p *charts.Painter, fr *frame) {
	text := func(size float64, c drawing.Color) {
		p.SetTextStyle(charts.Style{FontSize: size, FontColor: c})
	}
	// title
	text(18, Black)
	tb := p.MeasureText(fig.Title)
	p.Text(fig.Title, (fig.Width-tb.Width())/2, 34)
	// grid and ticks
	yt := ticks(fr.y0, fr.y1, fr.logY, 8)
	xt := ticks(fr.x0, fr.x1, fr.logX, 10)
	if fig.XTime {
		xt = timeTicks(fr.x0, fr.x1, 10)
	}
	p.SetDrawingStyle(charts.Style{StrokeColor: gridColor, StrokeWidth: 1})
	for _, v := range yt {
		y := fr.bottom - int(math.Round((v-fr.y0)/(fr.y1-fr.y0)*float64(fr.bottom-fr.top)))
		p.LineStroke([]charts.Point{{X: fr.left, Y: y}, {X: fr.right, Y: y}})
	}
	for _, v := range xt {
		x := fr.left + int(math.Round((v-fr.x0)/(fr.x1-fr.x0)*float64(fr.right-fr.left)))
		p.LineStroke([]charts.Point{{X: x, Y: fr.top}, {X: x, Y: fr.bottom}})
	}
	p.SetDrawingStyle(charts.Style{StrokeColor: Black, StrokeWidth: 1.5})
	p.LineStroke([]charts.Point{{X: fr.left, Y: fr.top}, {X: fr.left, Y: fr.bottom}, {X: fr.right, Y: fr.bottom}})
	text(13, Black)
	for _, v := range yt {
		y := fr.bottom - int(math.Round((v-fr.y0)/(fr.y1-fr.y0)*float64(fr.bottom-fr.top)))
		l := label(v, fr.logY, yt)
		b := p.MeasureText(l)
		p.Text(l, fr.left-8-b.Width(), y+b.Height()/2)
	}
	for _, v := range xt {
		x := fr.left + int(math.Round((v-fr.x0)/(fr.x1-fr.x0)*float64(fr.right-fr.left)))
		var l string
		switch {
		case fig.XTickFormat != nil:
			l = fig.XTickFormat(v)
		case fig.XTime:
			l = clock(v, fr.x1-fr.x0)
		default:
			l = label(v, fr.logX, xt)
		}
		b := p.MeasureText(l)
		p.Text(l, x-b.Width()/2, fr.bottom+8+b.Height())
	}
	// axis labels
	text(15, Black)
	b := p.MeasureText(fig.XLabel)
	p.Text(fig.XLabel, (fr.left+fr.right-b.Width())/2, fr.bottom+50)
	b = p.MeasureText(fig.YLabel)
	p.TextRotation(fig.YLabel, 24, (fr.top+fr.bottom+b.Width())/2, -math.Pi/2)
}

type legendItem struct {
	name  string
	color drawing.Color
	kind  string // line, dash, dot, cross, box
}

func (fig *Figure) legendItems() []legendItem {
	var items []legendItem
	for _, s := range fig.Series {
		k := map[Mark]string{Line: "line", Dots: "dot", Crosses: "cross"}[s.Mark]
		if s.Dash {
			k = "dash"
		}
		items = append(items, legendItem{s.Name, s.Color, k})
	}
	for _, h := range fig.HLines {
		k := "line"
		if h.Dash {
			k = "dash"
		}
		items = append(items, legendItem{h.Name, h.Color, k})
	}
	seen := map[string]bool{}
	for _, b := range fig.Bands {
		if b.Name != "" && !seen[b.Name] {
			seen[b.Name] = true
			items = append(items, legendItem{b.Name, b.Color, "box"})
		}
	}
	return items
}

// legendCols is 3, or fewer when names are long.
func (fig *Figure) legendCols() int {
	longest := 0
	for _, it := range fig.legendItems() {
		longest = max(longest, len([]rune(it.name)))
	}
	switch {
	case longest > 60:
		return 1
	case longest > 38:
		return 2
	}
	return 3
}

// drawLegend puts the legend below the x axis, three items a row, so it
// never covers data.
func (fig *Figure) drawLegend(p *charts.Painter, fr *frame) {
	items := fig.legendItems()
	cols := fig.legendCols()
	colW := (fr.right - fr.left) / cols
	p.SetTextStyle(charts.Style{FontSize: 13, FontColor: Black})
	for i, it := range items {
		x := fr.left + (i%cols)*colW
		y := fr.bottom + 72 + (i/cols)*26
		switch it.kind {
		case "line", "dash":
			st := charts.Style{StrokeColor: it.color, StrokeWidth: 2.5}
			if it.kind == "dash" {
				st.StrokeDashArray = []float64{6, 4}
			}
			p.SetDrawingStyle(st)
			p.LineStroke([]charts.Point{{X: x, Y: y - 5}, {X: x + 30, Y: y - 5}})
		case "dot":
			p.SetDrawingStyle(charts.Style{StrokeColor: it.color, FillColor: it.color, StrokeWidth: 1})
			p.Circle(4, x+15, y-5)
			p.FillStroke()
		case "cross":
			p.SetDrawingStyle(charts.Style{StrokeColor: it.color, StrokeWidth: 1.5})
			p.LineStroke([]charts.Point{{X: x + 11, Y: y - 9}, {X: x + 19, Y: y - 1}})
			p.LineStroke([]charts.Point{{X: x + 11, Y: y - 1}, {X: x + 19, Y: y - 9}})
		case "box":
			c := it.color
			c.A = 60
			p.SetDrawingStyle(charts.Style{StrokeColor: c, FillColor: c, StrokeWidth: 0.1})
			p.Rect(charts.Box{Left: x, Top: y - 12, Right: x + 30, Bottom: y + 2})
		}
		p.SetTextStyle(charts.Style{FontSize: 13, FontColor: Black})
		p.Text(it.name, x+38, y)
	}
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
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
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
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, v)
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

func label(v float64, log bool, all []float64) string {
	if log {
		v = math.Pow(10, v)
	}
	s := fmt.Sprintf("%g", math.Round(v*1e6)/1e6)
	if strings.Contains(s, "e+") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s
}
