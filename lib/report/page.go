package report

import "html/template"

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:">
<title>perflab run {{.Name}}</title>
<link rel="icon" href="data:,">
<style>
{{.Font}}
body{font-family:'Roboto Medium',system-ui,sans-serif;margin:0;color:#141414;background:#f6f6f4}
main{max-width:1180px;margin:0 auto;padding:1.2rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.4rem 0 .2rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}
.sub{color:#555;margin:0 0 1rem}
table{border-collapse:collapse;background:#fff;font-size:.9rem;margin:.3rem 0 .8rem}
th,td{padding:.3rem .6rem;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}
th{background:#eceae4;font-weight:600}td:first-child,th:first-child{text-align:left}
.wrap{overflow-x:auto}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:.3rem;font-weight:700;color:#fff}
.pass{background:#00795a}.fail{background:#c0392b}
td.pass,td.fail{color:#fff}
figure{background:#fff;margin:0 0 1.2rem;padding:.6rem;border:1px solid #e0e0e0}figcaption{color:#444;margin:.2rem 0 .4rem}
figure svg{width:100%;height:auto;display:block}
code,pre{font-family:ui-monospace,monospace;font-size:.82rem}pre{background:#fff;border:1px solid #e0e0e0;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
.note{color:#666;font-size:.88rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;background:#fff;padding:.6rem;border:1px solid #e0e0e0}dt{color:#555}dd{margin:0}
</style>
</head>
<body><main>
<h1>Run {{.Name}}</h1>
<p class="sub">{{with .Manifest}}{{.Experiment}} · {{.Start}} – {{.End}} · seed {{.Seed}} · {{end}}report by perflab plotrt {{.Version}}{{if .Malformed}} · {{.Malformed}} malformed lines skipped{{end}}</p>

<h2 id="verdict">Verdict</h2>
{{range .Verdicts}}
<p><span class="badge {{if .Pass}}pass{{else}}fail{{end}}">{{if .Pass}}PASS{{else}}FAIL{{end}}</span>
requirement <code>{{.Requirement}}</code> ({{.Source}})</p>
<div class="wrap"><table class="checks">
<tr><th>check</th><th>limit</th><th>measured</th><th>margin</th><th>of the limit</th><th>result</th></tr>
{{range .Checks}}<tr><td>{{.Metric}}</td><td>{{.Limit}}</td><td>{{.Value}}</td><td>{{.Margin}}</td><td>{{.Used}}</td><td class="{{if .Pass}}pass{{else}}fail{{end}}">{{if .Pass}}pass{{else}}FAIL{{end}}</td></tr>
{{end}}</table></div>
{{else}}<p class="note">No requirement was checked in this run (no verdict record).</p>
{{end}}
{{with .Result}}<p>Saturation search ({{.Search}}, <code>{{.Requirement}}</code>): {{if .Found}}<strong>{{.SaturationUsers}} users pass, {{.FirstFailUsers}} fail</strong>{{else}}no failing level found{{end}}, {{.Steps}} levels.</p>{{end}}

<h2 id="statistics">Statistics</h2>
{{if .NameRows}}<h3>{{if .ByName}}Per request name{{else}}Per statistics file{{end}}</h3>
{{if not .ByName}}<p class="note">No per-name records (histo --by name) in this run: each row is one file's whole-run summary.</p>{{end}}
{{template "stats" .NameRows}}{{end}}
{{if .StatusRows}}<h3>{{if .ByStatus}}Per status code{{else}}Answered and failed sends{{end}}</h3>
{{if not .ByStatus}}<p class="note">No per-status records (histo --by status) in this run: answered sends and errors from the summary.</p>{{end}}
{{template "stats" .StatusRows}}{{end}}

<h2 id="figures">Figures</h2>
{{range .Figures}}<figure><figcaption>{{.Title}}</figcaption>{{if .SVG}}{{.SVG}}{{else}}<p class="note">{{.Note}}</p>{{end}}</figure>
{{else}}<p class="note">Nothing to draw: no interval or step records.</p>
{{end}}
{{if .Events}}<h2 id="events">Fault events</h2>
{{if ne .Scale 1.0}}<p class="note">Outage and detection in model time (time scale {{.Scale}}); times of day as they happened.</p>{{end}}
<div class="wrap"><table><tr><th>time (UTC)</th><th>event</th><th>fault</th><th>outage</th><th>detection</th></tr>
{{range .Events}}<tr><td>{{.Time}}</td><td>{{.Event}}</td><td>{{.Fault}}</td><td>{{.Outage}}</td><td>{{.Detect}}</td></tr>
{{end}}</table></div>{{end}}
{{if .Levels}}<h2 id="levels">Load levels (rampctl)</h2>
<div class="wrap"><table><tr><th>#</th><th>users</th><th>start (UTC)</th><th>measured</th><th>offered req/s</th><th>achieved req/s</th><th>count</th><th>errors</th><th>mean</th><th>p50</th><th>p99</th><th>max</th><th>headroom</th><th>result</th></tr>
{{range .Levels}}<tr><td>{{.N}}</td><td>{{.Users}}</td><td>{{.Start}}</td><td>{{.Length}}</td><td>{{.Offered}}</td><td>{{.Achieved}}</td><td>{{.Count}}</td><td>{{.Errors}}</td><td>{{.Mean}}</td><td>{{.P50}}</td><td>{{.P99}}</td><td>{{.Max}}</td><td>{{.Headroom}}</td><td class="{{if .Pass}}pass{{else}}fail{{end}}">{{.Outcome}}</td></tr>
{{end}}</table></div>{{end}}

<h2 id="manifest">Manifest</h2>
{{with .Manifest}}<dl>
<dt>experiment</dt><dd>{{.Experiment}}</dd><dt>re-run</dt><dd><code>{{.Rerun}}</code></dd>
<dt>git commit</dt><dd><code>{{.GitCommit}}</code></dd><dt>seed</dt><dd>{{.Seed}}</dd>
<dt>start – end</dt><dd>{{.Start}} – {{.End}}</dd>
<dt>machine</dt><dd>{{.Machine.CPUs}} CPUs, {{.Machine.OS}}, {{.Machine.Go}}</dd>
<dt>tools</dt><dd>{{range $k, $v := .Tools}}{{$k}} {{$v}}<br>{{end}}</dd>
</dl>
<h3>Commands, in order</h3>
<pre>{{range .Commands}}{{.}}
{{end}}</pre>
{{else}}<p class="note">No manifest.json in this run directory.</p>{{end}}

<h2 id="files">Raw files</h2>
<div class="wrap"><table><tr><th>file</th><th>bytes</th></tr>
{{range .Files}}<tr><td><a href="{{.Href}}">{{.Name}}</a></td><td>{{.Size}}</td></tr>
{{end}}</table></div>
</main></body>
</html>
{{define "stats"}}<div class="wrap"><table class="stats">
<tr><th></th><th>count</th><th>errors</th><th>req/s</th><th>min</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>time</th></tr>
{{range .}}<tr><td>{{.Label}}</td><td>{{.Count}}</td><td>{{.Errors}}</td><td>{{.RPS}}</td><td>{{.Min}}</td><td>{{.P50}}</td><td>{{.P90}}</td><td>{{.P95}}</td><td>{{.P99}}</td><td>{{.P999}}</td><td>{{.Max}}</td><td>{{.Scale}}</td></tr>
{{end}}</table></div>{{end}}
`))
