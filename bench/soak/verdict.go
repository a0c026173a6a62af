package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/simserver"
)

func (s *target) sample(at time.Duration) {
	st, err := s.state()
	if err != nil {
		fmt.Printf("  %s %6.0fs: state: %v\n", s.name, at.Seconds(), err)
		return
	}
	smp := sample{at: at, rssKB: s.rssKB(), goroutines: int(st["goroutines"]), st: st}
	s.mu.Lock()
	s.samples = append(s.samples, smp)
	n := s.count
	s.mu.Unlock()
	fmt.Printf("  %s %6.0fs: RSS %6.1f MB, %5d goroutines, %4.0f conns; good %d; abandoned %.0f, conn errors %.0f, shed %.0f; late p99 %.3f ms (server)\n",
		s.name, at.Seconds(), float64(smp.rssKB)/1024, smp.goroutines, st["conns"], n, st["abandoned"], st["conn_errors"], st["conns_shed"], st["late_p99_ms"])
}

// flat reports whether the largest value in the second half of the run
// exceeds the largest in the first half (after the first sample's warm-up)
// by more than 10 % plus slack.
func flat(vals []int, slack int) (first, second int, ok bool) {
	if len(vals) < 4 {
		return 0, 0, true
	}
	vals = vals[1:]
	h := len(vals) / 2
	first, second = slices.Max(vals[:h]), slices.Max(vals[h:])
	return first, second, second <= first+first/10+slack
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// verdict prints the run's figures and whether every check held.
func (s *target) verdict(floor time.Duration) bool {
	st, err := s.state()
	if err != nil {
		fmt.Printf("%s: FAIL: state after the run: %v\n", s.name, err)
		return false
	}
	var rss, gor []int
	for _, x := range s.samples {
		rss, gor = append(rss, x.rssKB), append(gor, x.goroutines)
	}
	r1, r2, rssFlat := flat(rss, 2048)
	g1, g2, gorFlat := flat(gor, 50)
	slices.Sort(s.lat)
	bound := 3*ms(floor) + 5 // a request waits on two timers, then its answer is written: three wake-ups to the probe's one
	lateOK := st["late_p99_ms"] <= bound
	// aborted requests left the model: counted where they wait long enough to be watched, and none left behind
	goneOK := st["inflight"] == 0 && (!s.watched || st["abandoned"] > 0)
	ok := rssFlat && gorFlat && len(s.fails) == 0 && s.early == 0 && goneOK && lateOK
	word := "PASS"
	if !ok {
		word = "FAIL"
	}
	fmt.Printf("%s: %s\n", s.name, word)
	fmt.Printf("  good requests: %d, failed %d, answered before the model's time %d; after it (client side, with loopback): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		s.count, len(s.fails), s.early, ms(quantile(s.lat, 0.5)), ms(quantile(s.lat, 0.99)), ms(quantile(s.lat, 1)))
	fmt.Printf("  server: %.0f answered, %.3f ms p99 and %.3f ms max after the model's instant (check: p99 <= 3 × the noise floor's p99 + 5 ms = %.3f ms);\n"+
		"          %.0f abandoned (check: > 0 where requests wait %v or more), %.0f in the model after the run (check: 0)\n",
		st["processed"], st["late_p99_ms"], st["late_max_ms"], bound, st["abandoned"], simserver.WatchAfter, st["inflight"])
	fmt.Printf("  RSS: max %.1f MB in the first half, %.1f MB in the second (check: <= +10 %% + 2 MB); goroutines: max %d, then %d (check: <= +10 %% + 50)\n",
		float64(r1)/1024, float64(r2)/1024, g1, g2)
	fmt.Printf("  connections: %.0f conn errors (slow, silent and malformed clients), %.0f shed, %.0f refused\n",
		st["conn_errors"], st["conns_shed"], st["conns_refused"])
	for _, f := range s.fails {
		fmt.Println("  failed:", f)
	}
	lines := strings.Split(strings.TrimSpace(s.stderr.String()), "\n")
	fmt.Printf("  its stderr: %d lines (rate-limited), the first and last:\n", len(lines))
	for i, l := range lines {
		if i < 3 || i >= len(lines)-2 {
			fmt.Println("    " + l[:min(len(l), 200)])
		}
	}
	return ok
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }
