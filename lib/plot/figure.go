// Package plot draws perflab's figures on go-charts' Painter: a time,
// elapsed-time or numeric x axis, linear or log y axis, dot and line series,
// threshold lines, marked points, shaded windows and bands, and a legend
// outside the data. The same input always gives the same bytes.
package plot

import (
	"fmt"
	"math"

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
	Rings // hollow circles, drawn over other series (failed levels)
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

// VLine is a vertical marker (the saturation point).
type VLine struct {
	Name  string
	X     float64
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

// Tick is an x axis tick at X labelled Label.
type Tick struct {
	X     float64
	Label string
}

// Figure is one chart.
type Figure struct {
	Title, XLabel, YLabel string
	XTime                 bool // x values are Unix seconds, labelled as clock times
	// XElapsed: x values are seconds since a start, labelled m:ss or h:mm;
	// with ClockStart > 0 labelled as the clock from that second of the day.
	XElapsed   bool
	ClockStart float64
	LogX, LogY bool
	Series     []Series
	HLines     []HLine
	VLines     []VLine
	Bands      []Band
	Width      int
	Height     int
	// XTicks, when set, are the x axis ticks (else they are chosen).
	XTicks []Tick
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

// Size bounds: a figure outside them is refused (a 100000² canvas would
// need 40 GB).
const (
	MinWidth, MaxWidth   = 400, 8000
	MinHeight, MaxHeight = 300, 8000
)

// CheckSize reports a width or height outside the bounds, naming the flag.
func CheckSize(w, h int) error {
	if w < MinWidth || w > MaxWidth {
		return fmt.Errorf("--width %d: expected %d to %d pixels", w, MinWidth, MaxWidth)
	}
	if h < MinHeight || h > MaxHeight {
		return fmt.Errorf("--height %d: expected %d to %d pixels", h, MinHeight, MaxHeight)
	}
	return nil
}

// Render draws the figure as "png" or "svg".
func (fig *Figure) Render(format string) ([]byte, error) {
	if fig.Width == 0 {
		fig.Width, fig.Height = 1200, 720
	}
	if err := CheckSize(fig.Width, fig.Height); err != nil {
		return nil, err
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
	fig.drawBands(p, fr)
	fig.drawLines(p, fr)
	for _, s := range fig.Series {
		fig.drawSeries(p, fr, s)
	}
	fig.drawLegend(p, fr)
	return p.Bytes()
}

func (fig *Figure) drawBands(p *charts.Painter, fr *frame) {
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
}

func (fig *Figure) drawLines(p *charts.Painter, fr *frame) {
	stroke := func(c drawing.Color, dash bool, pts []charts.Point) {
		style := charts.Style{StrokeColor: c, StrokeWidth: 2}
		if dash {
			style.StrokeDashArray = []float64{8, 5}
		}
		p.SetDrawingStyle(style)
		p.LineStroke(pts)
	}
	for _, h := range fig.HLines {
		y := fr.py(h.Y)
		stroke(h.Color, h.Dash, []charts.Point{{X: fr.left, Y: y}, {X: fr.right, Y: y}})
	}
	for _, v := range fig.VLines {
		x := clampX(fr, fr.px(v.X))
		stroke(v.Color, v.Dash, []charts.Point{{X: x, Y: fr.top}, {X: x, Y: fr.bottom}})
	}
}

func clampX(fr *frame, x int) int { return min(max(x, fr.left), fr.right) }

func (fig *Figure) drawSeries(p *charts.Painter, fr *frame, s Series) {
	pts := make([]charts.Point, 0, len(s.X))
	for i := range s.X {
		if i >= len(s.Y) || math.IsNaN(s.Y[i]) || (fr.logY && s.Y[i] <= 0) || (fr.logX && s.X[i] <= 0) {
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
		if len(pts) <= 60 {
			p.SetDrawingStyle(charts.Style{StrokeColor: s.Color, FillColor: s.Color, StrokeWidth: 1})
			for _, q := range pts {
				p.Circle(3.5, q.X, q.Y)
				p.FillStroke()
			}
		}
	case Dots:
		p.SetDrawingStyle(charts.Style{StrokeColor: s.Color, FillColor: s.Color, StrokeWidth: 1})
		for _, q := range thin(pts) {
			p.Circle(2.5, q.X, q.Y)
			p.FillStroke()
		}
	case Crosses:
		p.SetDrawingStyle(charts.Style{StrokeColor: s.Color, StrokeWidth: 1.5})
		for _, q := range thin(pts) {
			p.LineStroke([]charts.Point{{X: q.X - 3, Y: q.Y - 3}, {X: q.X + 3, Y: q.Y + 3}})
			p.LineStroke([]charts.Point{{X: q.X - 3, Y: q.Y + 3}, {X: q.X + 3, Y: q.Y - 3}})
		}
	case Rings:
		p.SetDrawingStyle(charts.Style{StrokeColor: s.Color, StrokeWidth: 2})
		for _, q := range thin(pts) {
			p.Circle(7, q.X, q.Y)
			p.Stroke()
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
