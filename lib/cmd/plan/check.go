package plan

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/plan"
)

// The checks of flag values against the limits of lib/plan. Each error
// starts with the flag and its value, as the user wrote them.

// checkCount checks a number of users (or devices): min to plan.MaxUsers.
func checkCount(flag string, n, min int) error {
	if n < min || n > plan.MaxUsers {
		return badFlag(fmt.Errorf("%s %d: expected %d to %d (plan.MaxUsers)", flag, n, min, plan.MaxUsers))
	}
	return nil
}

// checkDuration checks a duration: 0 (when zero is allowed) or more, up to
// plan.MaxDuration.
func checkDuration(flag string, d time.Duration, zeroOK bool) error {
	switch {
	case d < 0 || d == 0 && !zeroOK:
		lo := "more than 0"
		if zeroOK {
			lo = "0 or more"
		}
		return badFlag(fmt.Errorf("%s %v: expected %s, at most %v", flag, d, lo, plan.MaxDuration))
	case d > plan.MaxDuration:
		return badFlag(fmt.Errorf("%s %v: expected at most %v (plan.MaxDuration)", flag, d, plan.MaxDuration))
	}
	return nil
}

// checkRate checks an open-model rate: plan.MinRateRPS to plan.MaxRateRPS.
func checkRate(flag string, rate float64) error {
	if !(rate >= plan.MinRateRPS && rate <= plan.MaxRateRPS) {
		return badFlag(fmt.Errorf("%s %v: expected %g to %g arrivals per second (plan.MinRateRPS, plan.MaxRateRPS)",
			flag, rate, plan.MinRateRPS, plan.MaxRateRPS))
	}
	return nil
}

// checkSpawn checks a spawn rate for users users.
func checkSpawn(flag string, spawn float64, users int) error {
	if err := plan.CheckSpawn(users, spawn); err != nil {
		return badFlag(fmt.Errorf("%s %v: %v", flag, spawn, err))
	}
	return nil
}

// checkShare checks a probability or share: 0 to 1.
func checkShare(flag string, x float64) error {
	if !(x >= 0 && x <= 1) {
		return badFlag(fmt.Errorf("%s %v: expected 0 to 1", flag, x))
	}
	return nil
}

// checkRequest checks the flags of a scenario's one request.
func (q *request) check() error {
	if !plan.IsToken(q.Method) {
		return badFlag(fmt.Errorf("--method %q: expected an HTTP method such as GET or POST", q.Method))
	}
	if !strings.HasPrefix(q.Path, "/") || strings.ContainsAny(q.Path, "\x00\r\n ") {
		return badFlag(fmt.Errorf("--path %q: expected a path starting with / and without blanks", q.Path))
	}
	for _, k := range slices.Sorted(maps.Keys(q.Header)) {
		if v := q.Header[k]; !plan.IsToken(k) || strings.ContainsAny(v, "\x00\r\n") {
			return badFlag(fmt.Errorf("--header %s: expected NAME=VALUE, a header name and a value on one line", strconv.Quote(k+"="+v)))
		}
	}
	return checkDuration("--think", q.Think, true)
}

// first returns the first error of errs (nil if none): the flags are
// checked in the order a user reads them.
func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
