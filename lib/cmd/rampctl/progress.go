package rampctl

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// searchProgress is told before each level.
func (s *session) searchProgress(level, users, left int) {
	s.cur.level, s.cur.users, s.cur.left = level, users, left
	if !s.tty {
		fmt.Fprintf(s.stderr, "rampctl: level %d: %d users for %v (~%d levels left, %v elapsed)\n",
			level, users, s.f.StepDur, left, time.Since(s.t0).Round(time.Second))
	}
}

// levelProgress is told the measured part of a level so far: live on a
// terminal only; logs get one line a level.
func (s *session) levelProgress(users int, el time.Duration, st *record.Stats) {
	if !s.tty {
		return
	}
	fmt.Fprintf(s.stderr, "\rrampctl: level %d: %d users, %v/%v, p99 %.0f ms, mean %.0f ms, max %.0f ms (%s), ~%d levels left, %v elapsed   ",
		s.cur.level, users, el.Round(time.Second), s.f.StepDur, st.P99MS, st.MeanMS, st.MaxMS, s.req, s.cur.left, time.Since(s.t0).Round(time.Second))
}

// stepLine is a measured level's line on stderr.
func (s *session) stepLine(st record.Step) {
	word := map[bool]string{true: "pass", false: "FAIL"}[st.Pass]
	how := ""
	if st.EarlyStop {
		how += ", ended early: clearly failing"
	}
	if st.EarlyPass {
		how += ", ended early: clearly passing"
	}
	resumed := ""
	if st.Resumed {
		resumed = " [resumed]"
	}
	cr := ""
	if s.tty {
		cr = "\r"
	}
	fmt.Fprintf(s.stderr, "%srampctl: %d users: %s (mean %.0f ms, p99 %.0f ms, max %.0f ms, %.1f req/s%s)%s\n",
		cr, st.Users, word, st.MeanMS, st.P99MS, st.MaxMS, st.AchievedRPS, how, resumed)
}

// isTerminal: w is a character device (a terminal, say).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
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
