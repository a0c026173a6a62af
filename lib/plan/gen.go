package plan

import (
	"context"
	"fmt"
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

// Header returns the first record of a plan. The seed is the run's: plan
// itself draws nothing (a plan is a function of its flags and input files
// alone), and fire seeds every random draw of the run from it.
func Header(generator string, seed int64) *record.Plan {
	return &record.Plan{Type: record.TypePlan, Version: record.Version, Generator: generator, Seed: seed}
}

func ms(d time.Duration) *float64 { return Ptr(float64(d) / float64(time.Millisecond)) }

// Closed writes a closed-model plan: users running scenario from the start,
// started spawnRate a second (0: at once), ending after duration (0: no
// end, run until stopped).
func Closed(e *Encoder, gen string, seed int64, sc *record.Plan, users int, spawnRate float64, duration time.Duration) error {
	e.Encode(Header(gen, seed))
	e.Encode(sc)
	e.Encode(&record.Plan{Type: record.TypeStage, AtMS: ms(0), Users: Ptr(users), SpawnRate: spawnRate})
	return end(e, duration)
}

// Open writes an open-model plan: rate arrivals per second for duration
// (0: until stopped).
func Open(e *Encoder, gen string, seed int64, sc *record.Plan, rate float64, poisson bool, duration time.Duration) error {
	e.Encode(Header(gen, seed))
	e.Encode(sc)
	e.Encode(&record.Plan{Type: record.TypeStage, AtMS: ms(0), RateRPS: Ptr(rate), Poisson: poisson})
	return end(e, duration)
}

// end writes the end record after duration (none for 0: the plan runs until
// stopped) and flushes: the Encoder's first error, if any.
func end(e *Encoder, duration time.Duration) error {
	if duration != 0 {
		e.Encode(&record.Plan{Type: record.TypeEnd, AtMS: ms(duration)})
	}
	return e.Flush()
}

// Steps writes a linear step plan: from users, plus step users every
// period, up to until users, and an end one period after the last step.
// until 0 means no limit: the steps go on to MaxUsers users or MaxDuration,
// whichever comes first (a plan no run reaches the end of), streamed as the
// reader takes them. It stops early when ctx is cancelled.
func Steps(ctx context.Context, e *Encoder, seed int64, sc *record.Plan, from, step int, every time.Duration, until int) error {
	if err := CheckSteps(from, step, every, until); err != nil {
		return err
	}
	if until == 0 {
		until = MaxUsers
	}
	e.Encode(Header("steps", seed))
	e.Encode(sc)
	at := time.Duration(0)
	for u := from; u <= until && at+every <= MaxDuration; u += step {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.Encode(&record.Plan{Type: record.TypeStage, AtMS: ms(at), Users: Ptr(u), Label: fmt.Sprintf("users=%d", u)}) != nil {
			break
		}
		at += every
		if step == 0 {
			break
		}
	}
	e.Encode(&record.Plan{Type: record.TypeEnd, AtMS: ms(at)})
	return e.Flush()
}

// CheckSteps checks the numbers of a step plan; its errors name the plan
// command's flags.
func CheckSteps(from, step int, every time.Duration, until int) error {
	switch {
	case from < 0 || from > MaxUsers:
		return fmt.Errorf("--from %d: expected 0 to %d users (plan.MaxUsers)", from, MaxUsers)
	case until < 0 || until > MaxUsers:
		return fmt.Errorf("--until %d: expected 0 (no limit) to %d users (plan.MaxUsers)", until, MaxUsers)
	case until != 0 && until < from:
		return fmt.Errorf("--until %d: expected 0 (no limit) or at least --from %d", until, from)
	case step < 0 || step > MaxUsers || step == 0 && (until == 0 || until != from):
		return fmt.Errorf("--step %d: expected 1 to %d users", step, MaxUsers)
	case every <= 0 || every > MaxDuration:
		return fmt.Errorf("--every %v: expected more than 0 and at most %v", every, MaxDuration)
	}
	if until != 0 {
		steps := (until-from)/max(step, 1) + 1
		if float64(steps)*every.Seconds() > MaxDuration.Seconds() {
			return fmt.Errorf("--every %v: %d steps would last %v s, longer than a plan may (%v)",
				every, steps, num(float64(steps)*every.Seconds()), MaxDuration)
		}
	}
	return nil
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
