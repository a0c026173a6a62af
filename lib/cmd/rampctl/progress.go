package rampctl

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/ramp"
	"github.com/perflab/perflab/lib/record"
)

// progress is what rampctl says on stderr while it searches: a line before
// each level, during a level a line every --progress (on a terminal one
// line, rewritten at each interval), and a line per measured level.
type progress struct {
	mu        sync.Mutex
	w         io.Writer
	tty       bool
	every     time.Duration // --progress (0: no lines during a level)
	length    time.Duration // --step-duration
	warmup    time.Duration
	req       string
	noAnswer  string    // said of a level without one answer or error: where to look
	t0        time.Time // the search's start
	level     int
	left      ramp.LevelsLeft
	lastLine  time.Time // the last line during this level
	liveShown bool      // a terminal line waits for its end
}

// searchProgress is told before each level.
func (p *progress) searchProgress(level, users int, left ramp.LevelsLeft) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.level, p.left, p.lastLine = level, left, time.Now()
	p.endLive()
	fmt.Fprintf(p.w, "rampctl: level %d: %d users for %v, %v of it warm-up (%v, %v elapsed)\n",
		level, users, p.length, p.warmup, left, time.Since(p.t0).Round(time.Second))
}

// levelProgress is told how a level goes: the statistics of its measured
// part so far (nil while it warms up).
func (p *progress) levelProgress(users int, el time.Duration, st *record.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.every <= 0 || (!p.tty && time.Since(p.lastLine) < p.every) {
		return
	}
	p.lastLine = time.Now()
	so := "warming up"
	if st != nil {
		so = fmt.Sprintf("p99 %.0f ms, mean %.0f ms, max %.0f ms so far", st.P99MS, st.MeanMS, st.MaxMS)
	}
	round := time.Second
	if p.length < 10*time.Second {
		round = 100 * time.Millisecond
	}
	line := fmt.Sprintf("rampctl: level %d: %d users, %v of %v, %s (%s)", p.level, users, el.Round(round), p.length, so, p.req)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s, %v   ", line, p.left)
		p.liveShown = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// stepLine is a measured level's line.
func (p *progress) stepLine(st record.Step) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLive()
	word := map[bool]string{true: "pass", false: "FAIL"}[st.Pass]
	how := ""
	if st.EarlyStop {
		how += ", ended early: clearly failing"
	}
	if st.EarlyPass {
		how += ", ended early: clearly passing"
	}
	if st.Count+st.Errors == 0 && !st.Resumed {
		how += ", not one answer: " + p.noAnswer
	}
	resumed := ""
	if st.Resumed {
		resumed = " [resumed]"
	}
	fmt.Fprintf(p.w, "rampctl: %d users: %s (mean %.0f ms, p99 %.0f ms, max %.0f ms, %.1f req/s%s)%s\n",
		st.Users, word, st.MeanMS, st.P99MS, st.MaxMS, st.AchievedRPS, how, resumed)
}

// endLive ends a rewritten terminal line, so the next line starts clean.
func (p *progress) endLive() {
	if p.liveShown {
		fmt.Fprintln(p.w)
		p.liveShown = false
	}
}

// lockedWriter serialises the writes of rampctl and of the processes and
// goroutines it starts to one stderr. It has only Write, on purpose: given a
// writer with ReadFrom (a bytes.Buffer), os/exec would copy a child's stderr
// straight into its memory and cut off what others wrote meanwhile.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
