package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"regexp"

	"github.com/wcharczuk/go-chart/v2/roboto"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/plot"
	"github.com/perflab/perflab/lib/record"
)

type view struct {
	Name                 string
	Verdicts             []verdictView
	NameRows, StatusRows []statRow
	ByName, ByStatus     bool // the rows come from per-group records
	Figures              []figureView
	Events               []eventRow
	Levels               []levelRow
	Result               *record.Result
	Manifest             *record.Manifest
	Files                []File
	Malformed            int64
	Scale                float64 // the main statistics' time scale
	Version              string
	Font                 template.CSS
}

type figureView struct {
	Title string
	SVG   template.HTML
	Note  string
}

func (r *Run) view() *view {
	v := &view{Name: r.Name, Verdicts: r.verdicts(), Manifest: r.Manifest, Files: r.Files, Version: cli.Version, Font: fontFace()}
	v.NameRows, v.ByName = r.statRows("name"), true
	if v.NameRows == nil {
		v.NameRows, v.ByName = r.summaryRows(), false
	}
	v.StatusRows, v.ByStatus = r.statRows("status"), true
	if main := r.main(); v.StatusRows == nil && main != nil {
		v.StatusRows, v.ByStatus = statusRows(main), false
	}
	v.Scale = 1
	if main := r.main(); main != nil {
		v.Scale = main.Scale()
	}
	v.Events = eventRows(r.events(), v.Scale)
	if d := r.find(func(d *plot.Data) bool { return len(d.Steps) > 0 }); d != nil {
		v.Levels, v.Result = levelRows(d.Steps), d.Result
	}
	for _, d := range r.Inputs {
		v.Malformed += d.Malformed
	}
	v.Figures = r.figures()
	return v
}

// figures are the run's charts as inline SVG, each drawn from what the
// run directory holds.
func (r *Run) figures() []figureView {
	var out []figureView
	add := func(title string, fig *plot.Figure, err error) {
		if err != nil {
			return
		}
		fig.Width, fig.Height = 1100, 620
		b, err := fig.Render("svg")
		if err != nil {
			out = append(out, figureView{Title: title, Note: err.Error()})
			return
		}
		out = append(out, figureView{Title: title, SVG: template.HTML(inlineSVG(b))})
	}
	if d := r.main(); d != nil && len(d.Intervals) > 0 {
		dd := *d
		dd.Events = r.events()
		data := []*plot.Data{&dd}
		fig, err := plot.ResponseTime(data, plot.RTOptions{Title: "Response time", ShowMinimum: true, Limits: plot.LimitLines(d.Checks, nil)})
		add("Response time over the run", fig, err)
		fig, err = plot.Throughput(data, "Throughput and errors")
		add("Throughput and errors over the run", fig, err)
		fig, err = plot.Distribution([]*plot.Data{d}, "Response time distribution")
		add("Distribution of response times", fig, err)
	}
	if d := r.find(func(d *plot.Data) bool { return len(d.Steps) > 0 }); d != nil {
		metrics := plot.LoadMetrics([]*plot.Data{d})
		fig, err := plot.Load([]*plot.Data{d}, plot.LoadOptions{Title: "Response time against load", Limits: plot.LimitLines(d.Checks, metrics)})
		add("Latency against load", fig, err)
	}
	return out
}

var svgHead = regexp.MustCompile(`^<svg [^>]*width="(\d+)" height="(\d+)">(\\n)?`)

// inlineSVG makes a rendered SVG scale with the page.
func inlineSVG(b []byte) string {
	m := svgHead.FindSubmatch(b)
	if m == nil {
		return string(b)
	}
	head := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" role="img">`, m[1], m[2])
	return head + string(bytes.TrimPrefix(b, m[0]))
}

// fontFace embeds the figures' font, so the page looks as the PNGs do
// without any font installed and without the network.
func fontFace() template.CSS {
	return template.CSS("@font-face{font-family:'Roboto Medium';src:url(data:font/ttf;base64," +
		base64.StdEncoding.EncodeToString(roboto.Roboto) + ") format('truetype');}")
}
