package plan

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// The study's alarm-device requests (domain.md §3).
var (
	AlarmStep = record.Request{
		Name: "fake_call", Method: "POST", Path: "/fake_call",
		Body:    `{"id":"070010","body":"alarm"}`,
		Headers: map[string]string{"Content-Type": "application/json"}, Repeat: true,
	}
	StatusStep = record.Request{
		Name: "get_status", Method: "POST", Path: "/get_status",
		Body:    `{"id":"070010"}`,
		Headers: map[string]string{"Content-Type": "application/json"}, Repeat: true,
	}
)

// Header returns the first record of a plan.
func Header(generator string, seed int64) *record.Plan {
	return &record.Plan{Type: record.TypePlan, Version: record.Version, Generator: generator, Seed: seed}
}

func ms(d time.Duration) *float64 { return Ptr(float64(d) / float64(time.Millisecond)) }

// Closed writes a closed-model plan: users running scenario from the start,
// ending after duration (0: no end, run until stopped).
func Closed(e *Encoder, gen string, seed int64, sc *record.Plan, users int, spawnRate float64, duration time.Duration) error {
	e.Encode(Header(gen, seed))
	e.Encode(sc)
	e.Encode(&record.Plan{Type: record.TypeStage, AtMS: ms(0), Users: Ptr(users), SpawnRate: spawnRate})
	if duration > 0 {
		e.Encode(&record.Plan{Type: record.TypeEnd, AtMS: ms(duration)})
	}
	return e.Flush()
}

// Open writes an open-model plan: rate arrivals per second for duration.
func Open(e *Encoder, gen string, seed int64, sc *record.Plan, rate float64, poisson bool, duration time.Duration) error {
	e.Encode(Header(gen, seed))
	e.Encode(sc)
	e.Encode(&record.Plan{Type: record.TypeStage, AtMS: ms(0), RateRPS: Ptr(rate), Poisson: poisson})
	if duration > 0 {
		e.Encode(&record.Plan{Type: record.TypeEnd, AtMS: ms(duration)})
	}
	return e.Flush()
}

// Steps writes a linear step plan: from users, plus step every period, up to
// until users (0: no limit, run until stopped).
func Steps(e *Encoder, seed int64, sc *record.Plan, from, step int, every time.Duration, until int) error {
	if step <= 0 && until > from {
		return fmt.Errorf("--step must be > 0")
	}
	e.Encode(Header("steps", seed))
	e.Encode(sc)
	at := time.Duration(0)
	for u := from; until == 0 || u <= until; u += step {
		e.Encode(&record.Plan{Type: record.TypeStage, AtMS: ms(at), Users: Ptr(u), Label: fmt.Sprintf("users=%d", u)})
		at += every
		if e.err != nil || step <= 0 {
			break
		}
	}
	e.Encode(&record.Plan{Type: record.TypeEnd, AtMS: ms(at)})
	return e.Flush()
}

// Trace replays a production load file (domain.md §8: "YYYY-MM-DD HH:MM:SS<TAB>RPS: N/s")
// as an open-model arrival rate, one stage per second, played speedup times
// faster. Seconds missing from the file have no requests. from and to limit
// the replay to a time of day ("HH:MM:SS", empty for no limit). It streams:
// the file is never held in memory.
func Trace(e *Encoder, seed int64, sc *record.Plan, r io.Reader, name string, speedup float64, from, to string) error {
	if speedup <= 0 {
		return fmt.Errorf("--speedup must be > 0")
	}
	e.Encode(Header("trace", seed))
	e.Encode(sc)
	s := bufio.NewScanner(r)
	var t0, prev time.Time
	line := 0
	// offsets in float seconds: a trace may span more than time.Duration holds
	at := func(t time.Time, plus int64) *float64 {
		return Ptr(float64(t.Unix()-t0.Unix()+plus) * 1000 / speedup)
	}
	for s.Scan() {
		line++
		b := s.Bytes()
		if len(b) == 0 || bytes.Contains(b, []byte("RPH:")) || bytes.HasPrefix(b, []byte("Total count")) {
			continue
		}
		tab := bytes.IndexByte(b, '\t')
		if tab < 0 {
			return fmt.Errorf("%s line %d: expected \"YYYY-MM-DD HH:MM:SS<TAB>RPS: N/s\"", name, line)
		}
		t, err := time.Parse("2006-01-02 15:04:05", string(b[:tab]))
		if err != nil {
			return fmt.Errorf("%s line %d: expected a timestamp YYYY-MM-DD HH:MM:SS, got %q", name, line, b[:tab])
		}
		v := strings.TrimSpace(string(b[tab+1:]))
		if !strings.HasPrefix(v, "RPS:") || !strings.HasSuffix(v, "/s") {
			return fmt.Errorf("%s line %d: expected \"RPS: N/s\", got %q", name, line, v)
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(v[4:len(v)-2]), 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%s line %d: expected a request count in \"RPS: N/s\", got %q", name, line, v)
		}
		tod := t.Format("15:04:05")
		if from != "" && tod < from || to != "" && tod >= to {
			continue
		}
		if !prev.IsZero() && !t.After(prev) {
			return fmt.Errorf("%s line %d: expected time after %s, got %s", name, line, prev.Format(time.TimeOnly), tod)
		}
		if t0.IsZero() {
			t0 = t
		}
		if !prev.IsZero() && t.Unix()-prev.Unix() > 1 {
			// a gap in the file: no requests until t
			e.Encode(&record.Plan{Type: record.TypeStage, AtMS: at(prev, 1), RateRPS: Ptr(0.0)})
		}
		e.Encode(&record.Plan{Type: record.TypeStage, AtMS: at(t, 0), RateRPS: Ptr(n * speedup), Label: tod})
		prev = t
		if e.err != nil {
			return e.err
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if prev.IsZero() {
		return fmt.Errorf("%s: no \"RPS:\" lines in the selected time range", name)
	}
	e.Encode(&record.Plan{Type: record.TypeEnd, AtMS: at(prev, 1)})
	return e.Flush()
}

// Profile replays a "time_s,rps" load profile (TeaStore's format). A header
// line is allowed. Each row's rate holds until the next row; the last row
// holds for as long as the interval before it. With asUsers each row sets
// that many closed-model users instead, as the study's Locust load shape did.
func Profile(e *Encoder, seed int64, sc *record.Plan, r io.Reader, name string, asUsers bool) error {
	e.Encode(Header("profile", seed))
	e.Encode(sc)
	s := bufio.NewScanner(r)
	line, rows := 0, 0
	var prevT, width float64 = 0, 1
	for s.Scan() {
		line++
		f := strings.Split(strings.TrimSpace(s.Text()), ",")
		if len(f) == 1 && f[0] == "" {
			continue
		}
		if len(f) != 2 {
			return fmt.Errorf("%s line %d: expected \"time_s,rps\"", name, line)
		}
		ts, err1 := strconv.ParseFloat(strings.TrimSpace(f[0]), 64)
		rps, err2 := strconv.ParseFloat(strings.TrimSpace(f[1]), 64)
		if err1 != nil || err2 != nil {
			if line == 1 && rows == 0 {
				continue // header
			}
			return fmt.Errorf("%s line %d: expected two numbers \"time_s,rps\", got %q", name, line, s.Text())
		}
		if ts < 0 || rps < 0 || rows > 0 && ts <= prevT {
			return fmt.Errorf("%s line %d: expected increasing time_s and rps >= 0", name, line)
		}
		if rows > 0 {
			width = ts - prevT
		}
		at := ts
		if rows == 0 {
			at = 0 // the first row's rate holds from the start
		}
		st := &record.Plan{Type: record.TypeStage, AtMS: Ptr(at * 1000), RateRPS: Ptr(rps)}
		if asUsers { // the study's Locust shape: as many users as req/s, each thinking 1 s
			st.RateRPS, st.Users, st.SpawnRate = nil, Ptr(max(int(rps+0.5), 1)), 100
		}
		e.Encode(st)
		prevT = ts
		rows++
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if rows == 0 {
		return fmt.Errorf("%s: expected at least one \"time_s,rps\" row", name)
	}
	e.Encode(&record.Plan{Type: record.TypeEnd, AtMS: Ptr((prevT + width) * 1000)})
	return e.Flush()
}

// RequestNames reads a request-name list (All_Request_Names.log: one name a
// line) into POST steps, leaving out the names in skip.
func RequestNames(path string, skip ...string) ([]record.Request, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var steps []record.Request
outer:
	for _, n := range strings.Fields(string(b)) {
		for _, s := range skip {
			if n == s {
				continue outer
			}
		}
		steps = append(steps, record.Request{Name: n, Method: "POST", Path: "/" + n, Body: `{"id":"070010"}`,
			Headers: map[string]string{"Content-Type": "application/json"}})
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("%s: no request names", path)
	}
	return steps, nil
}

// NamesBeside returns the All_Request_Names.log next to a trace file, if any.
func NamesBeside(trace string) string {
	p := filepath.Join(filepath.Dir(trace), "All_Request_Names.log")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// TeaStore returns the browsing session of a TeaStore user (the TeaStore
// project's own load test): home, login, 1–3 × category/product/add to cart,
// a purchase with chance buy, profile, logout. User, category, page and
// product are drawn per session by fire, from the plan's seed.
func TeaStore(think time.Duration, buy float64) *record.Plan {
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	get := func(path string) record.Request { return record.Request{Method: "GET", Path: path} }
	post := func(path, body string) record.Request {
		return record.Request{Method: "POST", Path: path, Body: body, Headers: form}
	}
	browse := get("/category?category={category}&page={page}")
	browse.Times, browse.Span = []int{1, 3}, 3
	checkout := post("/cartAction", "proceedtoCheckout=")
	checkout.Chance, checkout.Span = buy, 2
	if buy <= 0 {
		checkout.Chance = 0
		checkout.Times = []int{0, 0}
	}
	return &record.Plan{Type: record.TypeScenario, Name: "teastore-browse", Session: true, ThinkMS: float64(think) / float64(time.Millisecond),
		Vars: map[string][2]int{"uid": {0, 99}, "category": {2, 6}, "page": {1, 5}, "product": {7, 506}},
		Steps: []record.Request{
			get("/"), get("/login"), post("/loginAction", "username=user{uid}&password=password"),
			browse, get("/product?id={product}"), post("/cartAction", "addToCart=&productid={product}"),
			checkout, post("/cartAction", "firstname=User&lastname=User&address1=Road&address2=City&cardtype=volvo&cardnumber=314159265359&expirydate=12%2F2050&confirm=Confirm"),
			get("/profile"), post("/loginAction", "logout="),
		}}
}
