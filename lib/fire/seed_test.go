package fire

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	plancmd "github.com/perflab/perflab/lib/cmd/plan"
	"github.com/perflab/perflab/lib/regress"
	"github.com/perflab/perflab/sims/teasim/models"
	"github.com/perflab/perflab/sims/teasim/store"
)

// teasim starts the simulated TeaStore in process (its model ten times
// faster) and returns fire's target for it.
func teasim(t *testing.T) string {
	t.Helper()
	m, err := regress.Open(models.FS, "rast-2022-teastore")
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.NewServer(store.Config{Model: m, TimeScale: 0.1, MaxInflight: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + serve(t, s.Handler) + store.Prefix
}

// planText runs the plan command in process.
func planText(t *testing.T, args ...string) string {
	t.Helper()
	var out, stderr bytes.Buffer
	if code := plancmd.Run(context.Background(), args, strings.NewReader(""), &out, &stderr); code != 0 {
		t.Fatalf("plan %v: exit %d: %s", args, code, stderr.String())
	}
	return out.String()
}

// requestsPerUser runs segment seg of plan against target until each of
// its users has sent n requests and returns them per user, in the order sent: method,
// URI and body. (How long that takes depends on the machine; the order of
// each user's requests must not.)
func requestsPerUser(t *testing.T, target, plan string, seg Segment, users, n int, seed *int64) map[int][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var mu sync.Mutex
	got, full := map[int][]string{}, 0
	cfg := Config{Target: target, Seed: seed, Segment: seg, Run: "r", trace: func(user int, req *fasthttp.Request) {
		line := fmt.Sprintf("%s %s %s", req.Header.Method(), req.URI().RequestURI(), req.Body())
		mu.Lock()
		defer mu.Unlock()
		if got[user] = append(got[user], line); len(got[user]) == n {
			if full++; full == users {
				cancel()
			}
		}
	}}
	res, err := Run(ctx, cfg, strings.NewReader(plan), "plan", io.Discard, nil, io.Discard)
	if err != nil || res.Summary.Errors > 0 || full != users {
		t.Fatalf("run: %v, %d errors, %d of %d users sent %d requests", err, res.Summary.Errors, full, users, n)
	}
	return got
}

// sameRequests compares two runs' requests per user over what both sent
// (the runs' lengths differ with the machine's speed, their order must not).
func sameRequests(a, b map[int][]string) (same bool, compared int, where string) {
	for u, ra := range a {
		rb := b[u]
		n := min(len(ra), len(rb))
		for i := 0; i < n; i++ {
			if ra[i] != rb[i] {
				return false, compared, fmt.Sprintf("user %d, request %d: %q and %q", u, i, ra[i], rb[i])
			}
		}
		compared += n
	}
	return len(a) == len(b), compared, ""
}

// The plan header's seed drives every draw of a TeaStore session (user,
// category, page, product, repetitions, the purchase): seed 1 twice sends
// the same requests in the same order per user, seed 2 other ones, and
// --seed overrides the plan's.
func TestSeedDrivesTheRequests(t *testing.T) {
	t.Parallel()
	target := teasim(t)
	plan := func(seed string) string {
		return planText(t, "teastore", "--users", "3", "--think", "5ms", "--seed", seed)
	}
	run := func(seed string, override *int64) map[int][]string {
		return requestsPerUser(t, target, plan(seed), Segment{}, 3, 30, override)
	}
	one, again, two, overridden := run("1", nil), run("1", nil), run("2", nil), run("2", ptr(int64(1)))
	same, n, where := sameRequests(one, again)
	if !same || n < 3*30 {
		t.Fatalf("seed 1 twice: %d requests compared, differing at %s", n, where)
	}
	if same, n, where = sameRequests(one, overridden); !same || n < 3*30 {
		t.Fatalf("--seed 1 over a plan of seed 2: %d requests compared, differing at %s", n, where)
	}
	if same, n, _ = sameRequests(one, two); same {
		t.Fatalf("seeds 1 and 2 sent the same %d requests", n)
	}
}
