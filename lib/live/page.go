package live

import "html/template"

// pageTmpl is the live page: it asks for state.json twice a second, writes
// the numbers as text, and swaps in a figure when the data changed. No
// external resource; the token (if any) travels in every request.
var pageTmpl = template.Must(template.New("live").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>perflab live</title><link rel="icon" href="data:,">
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f4;color:#141414}
main{max-width:1060px;margin:0 auto;padding:1rem 1.5rem 2rem}
h1{font-size:1.4rem;margin:.3rem 0}.sub{color:#555;margin:0 0 .8rem;font-size:.9rem}
.row{display:flex;gap:1rem;flex-wrap:wrap;align-items:stretch;margin-bottom:1rem}
.card{background:#fff;border:1px solid #e0e0e0;padding:.6rem .9rem;min-width:9rem}
.card .k{color:#555;font-size:.8rem}.card .v{font-size:1.35rem;font-weight:600;margin-top:.15rem}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:.3rem;font-weight:700;color:#fff;background:#777}
.pass{background:#00795a}.fail{background:#c0392b}
figure{background:#fff;border:1px solid #e0e0e0;margin:0 0 1rem;padding:.4rem}figure img{width:100%;display:block}
.note{color:#666;font-size:.85rem}#conn.bad{color:#c0392b;font-weight:600}
</style></head>
<body><main>
<h1>perflab live view</h1>
<p class="sub">Following {{.Files}} · <span id="conn">connecting…</span></p>
<div class="row">
<div class="card"><div class="k">verdict</div><div class="v"><span id="verdict" class="badge">running</span></div><div class="note" id="verdict-text"></div></div>
<div class="card"><div class="k">current level (users)</div><div class="v" id="users">–</div><div class="note" id="level"></div></div>
<div class="card"><div class="k">answered</div><div class="v" id="count">–</div></div>
<div class="card"><div class="k">errors</div><div class="v" id="errors">–</div></div>
<div class="card"><div class="k">req/s</div><div class="v" id="rps">–</div></div>
<div class="card"><div class="k">p50 · p90</div><div class="v"><span id="p50">–</span> · <span id="p90">–</span></div></div>
<div class="card"><div class="k">p99 · max</div><div class="v"><span id="p99">–</span> · <span id="max">–</span></div></div>
</div>
<p class="note">Latest interval: <span id="start">–</span></p>
<figure id="fig-rt" hidden><img alt="Response time percentiles"></figure>
<figure id="fig-tput" hidden><img alt="Throughput and errors"></figure>
<figure id="fig-load" hidden><img alt="Response time against load"></figure>
<p class="note" id="files"></p>
</main>
<script>
"use strict";
const token = {{.Token}};
const q = token ? "token=" + encodeURIComponent(token) : "";
let shown = -1;
function set(id, v) { document.getElementById(id).textContent = (v === undefined || v === null || v === "") ? "–" : String(v); }
function figure(name, version) {
  const img = new Image();
  img.onload = () => { const f = document.getElementById("fig-" + name); f.querySelector("img").src = img.src; f.hidden = false; };
  img.onerror = () => {};
  img.src = "figure/" + name + ".png?v=" + version + (q ? "&" + q : "");
}
async function tick() {
  try {
    const r = await fetch("state.json" + (q ? "?" + q : ""), {cache: "no-store"});
    if (!r.ok) throw new Error(r.status);
    const s = await r.json();
    const c = document.getElementById("conn"); c.textContent = "updated " + new Date().toLocaleTimeString(); c.className = "";
    const l = s.latest || {};
    set("count", l.count); set("errors", l.errors); set("rps", l.rps); set("p50", l.p50); set("p90", l.p90);
    set("p99", l.p99); set("max", l.max); set("start", l.start);
    const lv = s.level;
    set("users", lv ? lv.users : (l.users || ""));
    set("level", lv ? (lv.pass ? "passed" : "failed") + ": mean " + lv.mean + ", p99 " + lv.p99 + ", max " + lv.max : "");
    const v = document.getElementById("verdict");
    v.className = "badge" + (s.pass === true ? " pass" : s.pass === false ? " fail" : "");
    v.textContent = s.pass === true ? "PASS" : s.pass === false ? "FAIL" : (s.verdict ? "done" : "running");
    set("verdict-text", s.verdict);
    set("files", (s.files || []).map(f => f.name + ": " + f.intervals + " intervals, " + f.steps + " steps, " + f.events + " events" +
      (f.restarts ? ", restarted " + f.restarts + "×" : "") + (f.error ? " (" + f.error + ")" : "")).join(" · "));
    if (s.version !== shown) { shown = s.version; s.figures.forEach(n => figure(n, s.version)); }
  } catch (e) {
    const c = document.getElementById("conn"); c.textContent = "connection lost, retrying"; c.className = "bad";
  }
}
tick(); setInterval(tick, 500);
</script>
</body></html>
`))
