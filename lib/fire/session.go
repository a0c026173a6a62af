package fire

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/record"
	"github.com/valyala/fasthttp"
)

// maxRedirects a browser would follow.
const maxRedirects = 10

// browser is one virtual user's session state: cookies and drawn values.
type browser struct {
	jar  map[string]string
	vars map[string]string
	rng  *rand.Rand
	user int
}

func (b *browser) draw(sc *scenario) {
	for k, v := range sc.vars {
		b.vars[k] = strconv.Itoa(v[0] + b.rng.IntN(v[1]-v[0]+1))
	}
}

func (b *browser) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	for k, v := range b.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return strings.ReplaceAll(s, "{user}", strconv.Itoa(b.user))
}

// sessions runs browser sessions until ctx ends: each iteration starts with
// an empty cookie jar and fresh values, and runs every step in order.
func (r *runner) sessions(ctx context.Context, sc *scenario, rng *rand.Rand, user int, timer *time.Timer) {
	b := &browser{rng: rng, user: user, vars: map[string]string{}}
	think := func() bool {
		d := sc.thinkTime(rng)
		if d <= 0 {
			return ctx.Err() == nil
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		}
	}
	for ctx.Err() == nil {
		b.jar = map[string]string{}
		b.draw(sc)
		for i := 0; i < len(sc.steps); {
			st := sc.steps[i]
			span := max(st.Span, 1)
			n := 1
			if len(st.Times) == 2 {
				n = st.Times[0] + rng.IntN(st.Times[1]-st.Times[0]+1)
			}
			if st.Chance > 0 && rng.Float64() >= st.Chance {
				n = 0
			}
			for k := 0; k < n; k++ {
				if k > 0 {
					b.draw(sc)
				}
				for j := i; j < i+span; j++ {
					r.inflight.Add(1)
					r.browse(sc.steps[j], b)
					r.inflight.Add(-1)
					if !think() {
						return
					}
				}
			}
			i += span
		}
	}
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

// browse sends one step like a browser: its cookies, then every redirect
// as a GET, each request a sample named after its page.
func (r *runner) browse(st *step, b *browser) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	st.tmpl.CopyTo(req)
	path := b.expand(st.Path)
	req.SetRequestURI(r.tgt.URL(path))
	if st.Body != "" {
		req.SetBodyString(b.expand(st.Body))
	}
	for hop := 0; hop <= maxRedirects; hop++ {
		for k, v := range b.jar {
			req.Header.SetCookie(k, v)
		}
		t0 := time.Now()
		err := r.client.DoTimeout(req, resp, r.cfg.TryTimeout)
		smp := record.Sample{Name: pageName(path), Tries: 1, Status: resp.StatusCode()}
		smp.TS = time.Now()
		smp.LatencyUS = smp.TS.Sub(t0).Microseconds()
		smp.Users = int(r.users.Load())
		if err != nil {
			smp.Status, smp.Error = 0, err.Error()
		}
		resp.Header.VisitAllCookie(func(_, v []byte) { b.setCookie(v) })
		r.sink.emit(&smp, "fire."+smp.Name)
		loc := resp.Header.Peek("Location")
		if err != nil || smp.Status < 300 || smp.Status > 399 || len(loc) == 0 || r.abandonCtx.Err() != nil {
			return
		}
		path = r.resolve(path, string(loc))
		req.Reset()
		req.Header.SetMethod("GET")
		req.SetRequestURI(r.tgt.URL(path))
		resp.Reset()
	}
}

// setCookie stores a Set-Cookie header's name and value (a cookie set to
// expire is removed).
func (b *browser) setCookie(h []byte) {
	nv, attrs, _ := bytes.Cut(h, []byte(";"))
	name, val, ok := bytes.Cut(nv, []byte("="))
	if !ok {
		return
	}
	k := string(bytes.TrimSpace(name))
	if bytes.Contains(bytes.ToLower(attrs), []byte("max-age=0")) || len(val) == 0 {
		delete(b.jar, k)
		return
	}
	b.jar[k] = string(val)
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
