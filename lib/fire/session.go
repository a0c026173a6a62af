package fire

import (
	"bytes"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/record"
)

// ---- browser sessions (plan teastore) ----

// maxRedirects a browser would follow.
const maxRedirects = 10

// browser is one virtual user's session state: cookies, drawn values, and
// where it is in the session. A session is every step in order; a step
// with times [min, max] repeats itself and the span-1 steps after it (a
// block) a drawn number of times, with values drawn anew each time.
type browser struct {
	jar  []cookie // in the order the server set them: the requests are the same in every run
	vals []string // the scenario's vars, in varNames order
	user int
	blk  int // first step of the current block
	pos  int // next step of the block; -1: the block has not started
	rep  int // repetition of the block
	reps int // repetitions drawn for it

	started bool
}

type cookie struct{ name, value string }

// next returns the step u sends next, starting a new session (an empty
// cookie jar, fresh values) after the last one; nil if the scenario's
// sessions send nothing at all.
func (b *browser) next(sc *scenario, rng *rand.Rand) *step {
	for empty := 0; empty < 1000; {
		if !b.started || b.blk >= len(sc.steps) {
			b.jar, b.started = b.jar[:0], true
			b.draw(sc, rng)
			b.blk, b.pos = 0, -1
			empty++
		}
		span := max(sc.steps[b.blk].Span, 1)
		if b.pos < 0 && !b.startBlock(sc.steps[b.blk], rng) {
			b.blk += span
			continue
		}
		if b.pos == b.blk+span {
			if b.rep++; b.rep >= b.reps {
				b.blk, b.pos = b.blk+span, -1
				continue
			}
			b.draw(sc, rng)
			b.pos = b.blk
		}
		b.pos++
		return sc.steps[b.pos-1]
	}
	return nil
}

// startBlock draws how often the block at st runs; false: not at all.
func (b *browser) startBlock(st *step, rng *rand.Rand) bool {
	n := 1
	if len(st.Times) == 2 {
		n = st.Times[0] + rng.IntN(st.Times[1]-st.Times[0]+1)
	}
	if st.Chance > 0 && rng.Float64() >= st.Chance {
		n = 0
	}
	b.reps, b.rep, b.pos = n, 0, b.blk
	return n > 0
}

func (b *browser) draw(sc *scenario, rng *rand.Rand) {
	b.vals = b.vals[:0]
	for _, k := range sc.varNames {
		v := sc.vars[k]
		b.vals = append(b.vals, strconv.Itoa(v[0]+rng.IntN(v[1]-v[0]+1)))
	}
}

func (b *browser) expand(sc *scenario, s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	for i, k := range sc.varNames {
		s = strings.ReplaceAll(s, "{"+k+"}", b.vals[i])
	}
	return strings.ReplaceAll(s, "{user}", strconv.Itoa(b.user))
}

// pageName names a request after its page, as the TeaStore load tests do:
// the last path segment, "index" for the root.
func pageName(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	path = strings.TrimSuffix(path, "/")
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		path = path[i+1:]
	}
	if path == "" || strings.HasSuffix(path, ".webui") {
		return "index"
	}
	return path
}

// browse sends u's next session step like a browser: its cookies, then
// every redirect as a GET, each request a sample named after its page.
// false: the scenario's sessions send nothing, so the user has nothing to do.
func (r *runner) browse(u *user) bool {
	b := u.sess
	st := b.next(u.sc, u.rng)
	if st == nil {
		return false
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	st.tmpl.CopyTo(req)
	path := b.expand(u.sc, st.Path)
	req.SetRequestURI(r.tgt.URL(path))
	if st.Body != "" {
		req.SetBodyString(b.expand(u.sc, st.Body))
	}
	from := u.a.from
	for hop := 0; hop <= maxRedirects; hop++ {
		loc := r.hop(u, req, resp, path, from)
		if loc == "" || r.abandoned.Load() {
			return true
		}
		path = r.resolve(path, loc)
		req.Reset()
		req.Header.SetMethod("GET")
		req.SetRequestURI(r.tgt.URL(path))
		resp.Reset()
		from = r.now()
	}
	return true
}

// hop sends one request of a session step with the user's cookies, keeps
// the cookies the answer sets, emits the request's sample (latency from
// plan time from), and returns where a redirect points ("" for none).
func (r *runner) hop(u *user, req *fasthttp.Request, resp *fasthttp.Response, path string, from time.Duration) string {
	b := u.sess
	for _, c := range b.jar {
		req.Header.SetCookie(c.name, c.value)
	}
	if r.cfg.trace != nil {
		r.cfg.trace(u.idx, req)
	}
	err := r.client.DoTimeout(req, resp, r.cfg.TryTimeout)
	now := r.now()
	smp := record.Sample{Name: pageName(path), Tries: 1, Status: resp.StatusCode(), TS: r.wall(now),
		LatencyUS: (now - from).Microseconds(), Users: int(r.users.Load())}
	if err != nil {
		smp.Status, smp.Error = 0, errorClass(err)
	}
	for _, v := range resp.Header.Cookies() {
		b.setCookie(v)
	}
	r.sink.emit(&smp, "fire."+smp.Name)
	if err != nil || smp.Status < 300 || smp.Status > 399 {
		return ""
	}
	return string(resp.Header.Peek("Location"))
}

// setCookie stores a Set-Cookie header's name and value (a cookie set to
// expire is removed).
func (b *browser) setCookie(h []byte) {
	nv, attrs, _ := bytes.Cut(h, []byte(";"))
	name, val, ok := bytes.Cut(nv, []byte("="))
	if !ok {
		return
	}
	k := bytes.TrimSpace(name)
	i := slices.IndexFunc(b.jar, func(c cookie) bool { return c.name == string(k) })
	if bytes.Contains(bytes.ToLower(attrs), []byte("max-age=0")) || len(val) == 0 {
		if i >= 0 {
			b.jar = slices.Delete(b.jar, i, i+1)
		}
		return
	}
	if i >= 0 {
		b.jar[i].value = string(val)
		return
	}
	b.jar = append(b.jar, cookie{string(k), string(val)})
}

// resolve turns a Location into a path on the target, as a browser would.
func (r *runner) resolve(from, loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return from
	}
	if u.IsAbs() {
		p := u.RequestURI()
		return strings.TrimPrefix(p, r.tgt.Base)
	}
	base, _ := url.Parse(r.tgt.Base + from)
	p := base.ResolveReference(u).RequestURI()
	return strings.TrimPrefix(p, r.tgt.Base)
}
