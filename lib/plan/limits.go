package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The limits of a plan. The Encoder never writes and the Decoder never
// returns a record beyond them, and the plan command refuses a flag beyond
// them up front, so fire can turn every number of a plan into counts and
// time.Durations without overflow and without trying to hold more than a
// machine can. docs/formats.md ("Plan") lists them beside the fields.
const (
	// MaxUsers is the most virtual users a plan may hold at once, over all
	// its groups together. A waiting user should cost fire about a kilobyte
	// (issue 14's goal), so ten million fill about 10 GB: the most one
	// machine of this kind holds, and room for a plan that `fire --segment`
	// splits over several machines. A million devices fit ten times.
	MaxUsers = 10_000_000

	// MaxRateRPS is the highest open-model arrival rate: gaps of 100 ns, far
	// beyond what one fire sends, and still exact in whole nanoseconds to
	// within 1 %.
	MaxRateRPS = 1e7

	// MinRateRPS is the lowest positive arrival rate (0 pauses): one arrival
	// per 11.6 days. Its mean gap, 1e6 s, is 1e15 ns, so even a Poisson draw
	// 9,000 times the mean fits a time.Duration; fire still clamps drawn gaps
	// to MaxDuration, since an exponential draw has no upper bound.
	MinRateRPS = 1e-6

	// MaxSpawnRate is the most users started per second (spawn_rate). A
	// faster start is the same as starting every user at once (spawn_rate 0).
	// A stage's users ÷ its spawn_rate, the time the last one waits to
	// start, is at most MaxDuration.
	MaxSpawnRate = 1e7

	// MaxDuration is the longest time in a plan: every at_ms, think_ms,
	// think_max_ms, run length and spawn time. A century is longer than any
	// test and a third of what a time.Duration holds (292 years), so fire can
	// add it to a start time or sum two of them without overflow.
	MaxDuration = 100 * 365 * 24 * time.Hour

	// MaxMS is MaxDuration in milliseconds, the unit of the plan's fields.
	MaxMS = float64(MaxDuration / time.Millisecond)

	// MaxVar bounds a session variable's range (vars): both ends within
	// ±(2^53 − 1), the integers every JSON reader holds exactly; max − min + 1
	// never overflows an int64.
	MaxVar = 1<<53 - 1

	// MaxTimes is the most repeats a session step may draw (times).
	MaxTimes = 1_000_000

	// MaxWeight is the largest step weight: weights only compare, and the
	// sum of all a scenario's weights stays finite.
	MaxWeight = 1e9
)

// within reports whether x is a number in [lo, hi] (NaN never is).
func within(x, lo, hi float64) bool { return x >= lo && x <= hi }

// num formats a number for messages: integers in full, others briefly.
func num(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// short quotes s for a message, cut after 40 bytes: a value from a line
// of up to MaxLine bytes must not make a message as long.
func short(s string) string {
	if len(s) <= 40 {
		return strconv.Quote(s)
	}
	return strconv.Quote(strings.ToValidUTF8(s[:40], "")) + "…"
}

// rangeError says that field's value v lies outside [lo, hi].
func rangeError(field string, v, lo, hi float64) error {
	return fmt.Errorf("%s %s: expected %s to %s", field, num(v), num(lo), num(hi))
}

// CheckRate reports whether rate is a valid rate_rps: 0 (a pause) or from
// MinRateRPS to MaxRateRPS.
func CheckRate(rate float64) error {
	if rate == 0 || within(rate, MinRateRPS, MaxRateRPS) {
		return nil
	}
	return fmt.Errorf("rate %s/s: expected 0 or %g to %s per second", num(rate), MinRateRPS, num(MaxRateRPS))
}

// CheckSpawn reports whether users can be started at spawnRate users per
// second (0: at once): spawnRate within [0, MaxSpawnRate], and the last
// user's start within MaxDuration.
func CheckSpawn(users int, spawnRate float64) error {
	if !within(spawnRate, 0, MaxSpawnRate) {
		return rangeError("spawn rate", spawnRate, 0, MaxSpawnRate)
	}
	if spawnRate > 0 && float64(users)/spawnRate > MaxDuration.Seconds() {
		return fmt.Errorf("spawn rate %s/s: starting %d users would take %s s, longer than a plan may last (%v)",
			num(spawnRate), users, num(float64(users)/spawnRate), MaxDuration)
	}
	return nil
}

// CheckMS reports whether ms is a valid time in milliseconds: 0 to MaxMS.
func CheckMS(field string, ms float64) error {
	if within(ms, 0, MaxMS) {
		return nil
	}
	return fmt.Errorf("%s %s: expected 0 to %s ms (%v)", field, num(ms), num(MaxMS), MaxDuration)
}
