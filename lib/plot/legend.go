package plot

import (
	charts "github.com/vicanso/go-charts/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

type legendItem struct {
	name  string
	color drawing.Color
	kind  string // line, dash, dot, cross, ring, box
}

// legendLayout is how the legend fits below the plot: columns of equal
// width wide enough for the longest name as measured in the figure's font.
type legendLayout struct {
	items      []legendItem
	cols, rows int
	colW       int
}

const legendFont = 13

func (fig *Figure) legendItems() []legendItem {
	var items []legendItem
	for _, s := range fig.Series {
		k := [...]string{Line: "line", Dots: "dot", Crosses: "cross", Rings: "ring"}[s.Mark]
		if s.Dash {
			k = "dash"
		}
		items = append(items, legendItem{s.Name, s.Color, k})
	}
	for _, h := range fig.HLines {
		items = append(items, legendItem{h.Name, h.Color, dashKind(h.Dash)})
	}
	for _, v := range fig.VLines {
		items = append(items, legendItem{v.Name, v.Color, dashKind(v.Dash)})
	}
	seen := map[string]bool{}
	for _, b := range fig.Bands {
		if b.Name != "" && !seen[b.Name] {
			seen[b.Name] = true
			items = append(items, legendItem{b.Name, b.Color, "box"})
		}
	}
	out := items[:0]
	for _, it := range items {
		if it.name != "" {
			out = append(out, it)
		}
	}
	return out
}

func dashKind(dash bool) string {
	if dash {
		return "dash"
	}
	return "line"
}

// legendLayout chooses three columns, or fewer when a name would run into
// the next column; a name too long even for one column is shortened.
func (fig *Figure) legendLayout(p *charts.Painter, width int) legendLayout {
	items := fig.legendItems()
	p.SetTextStyle(charts.Style{FontSize: legendFont, FontColor: Black})
	widest := 0
	for _, it := range items {
		widest = max(widest, p.MeasureText(it.name).Width())
	}
	need := 38 + widest + 16 // symbol, name, gap
	cols := 3
	for cols > 1 && width/cols < need {
		cols--
	}
	colW := width / cols
	for i, it := range items {
		items[i].name = fitText(p, it.name, colW-38-8)
	}
	return legendLayout{items: items, cols: cols, rows: (len(items) + cols - 1) / cols, colW: colW}
}

// fitText shortens s with an ellipsis until it is at most w pixels wide.
func fitText(p *charts.Painter, s string, w int) string {
	if p.MeasureText(s).Width() <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		if t := string(r) + "…"; p.MeasureText(t).Width() <= w {
			return t
		}
	}
	return string(r)
}

// drawLegend puts the legend below the x axis, so it never covers data.
func (fig *Figure) drawLegend(p *charts.Painter, fr *frame) {
	lg := fr.legend
	for i, it := range lg.items {
		x := fr.left + (i%lg.cols)*lg.colW
		y := fr.bottom + 72 + (i/lg.cols)*26
		drawSymbol(p, it, x, y)
		p.SetTextStyle(charts.Style{FontSize: legendFont, FontColor: Black})
		p.Text(it.name, x+38, y)
	}
}

func drawSymbol(p *charts.Painter, it legendItem, x, y int) {
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
	case "ring":
		p.SetDrawingStyle(charts.Style{StrokeColor: it.color, StrokeWidth: 2})
		p.Circle(6, x+15, y-5)
		p.Stroke()
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
}
