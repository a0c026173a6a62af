package fire

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// ---- reporting: intervals, progress, the summary, segment marks ----

// ticker writes a feedback interval every cfg.Interval and progress to
// stderr until done is closed.
func (r *runner) ticker(done <-chan struct{}) {
	defer r.bg.Done()
	r.lastTick = r.wall(0)
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	var sinceProgress time.Duration
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			sinceProgress += r.cfg.Interval
			prog := r.cfg.Progress > 0 && sinceProgress >= r.cfg.Progress
			iv, pr := r.sink.tick(r.lastTick, now, prog)
			iv.Stage, iv.Users = r.stageLabel(), int(r.users.Load())
			r.lastTick = now
			r.fb.write(&iv)
			if pr != nil {
				sinceProgress = 0
				fmt.Fprintf(r.stderr, "fire: %s users=%d inflight=%d queued=%d retried=%d %s\n",
					now.Sub(r.t0).Round(time.Second), r.users.Load(), r.inflight.Load(), r.pool.queued.Load(),
					r.retried.Load(), Brief(pr))
			}
		}
	}
}

func (r *runner) stageLabel() string {
	if p := r.label.Load(); p != nil {
		return *p
	}
	return ""
}

// Brief is a one-line description of statistics, for progress lines:
// answers per second (the throughput) and errors per second apart.
func Brief(s *record.Stats) string {
	return fmt.Sprintf("answers=%d (%.1f/s) errors=%d (%.1f/s) missed=%d mean=%.1fms p50=%.1fms p99=%.1fms max=%.1fms",
		s.Count, perSecond(s.Count, s), s.Errors, perSecond(s.Errors, s), s.Missed, s.MeanMS, s.P50MS, s.P99MS, s.MaxMS)
}

func perSecond(n int64, s *record.Stats) float64 {
	if d := s.End.Sub(s.Start).Seconds(); d > 0 {
		return float64(n) / d
	}
	return 0
}

// PrintSummary writes the run's summary for people, on stderr.
func PrintSummary(w io.Writer, s *record.Stats) {
	fmt.Fprintf(w, "fire: summary: %d responses, %d errors, %d missed in %.1fs (%.1f answers/s, %.1f errors/s)\n",
		s.Count, s.Errors, s.Missed, s.End.Sub(s.Start).Seconds(), perSecond(s.Count, s), perSecond(s.Errors, s))
	fmt.Fprintf(w, "fire: latency ms: min %.1f mean %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
		s.MinMS, s.MeanMS, s.P50MS, s.P90MS, s.P99MS, s.P999MS, s.MaxMS)
	if s.SendLagMaxMS > 0 {
		fmt.Fprintf(w, "fire: send lag ms: p99 %.3f max %.3f\n", s.SendLagP99MS, s.SendLagMaxMS)
	}
}

// ReasonsText lists failed sends by kind, the most frequent first:
// "12 connection refused, 3 status 500".
func ReasonsText(reasons map[string]int64) string {
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if reasons[a] != reasons[b] {
			return int(reasons[b] - reasons[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", reasons[k], k)
	}
	return strings.Join(parts, ", ")
}

// finish writes the last interval, the summary, the verdict and the end
// mark, and reports on stderr.
func (r *runner) finish() (Result, error) {
	end := r.wall(r.now())
	if r.lastTick.IsZero() {
		r.lastTick = r.wall(0)
	}
	iv, _ := r.sink.tick(r.lastTick, end, false)
	iv.Stage, iv.Users = r.stageLabel(), int(r.users.Load())
	if iv.Count+iv.Errors+iv.Missed > 0 {
		r.fb.write(&iv)
	}
	sum, reasons, werr := r.sink.close(r.wall(0), end)
	r.fb.write(&sum)
	res := Result{Summary: sum, Reasons: reasons, Lag: r.lag, Status: record.SegmentOK}
	if !r.cfg.Requirement.Empty() {
		v := r.cfg.Requirement.Evaluate(&sum)
		res.Verdict = &v
		r.fb.write(&v)
	}
	err := r.outputError(werr)
	switch {
	case err != nil || res.NothingSucceeded():
		res.Status = record.SegmentFailed
	case !r.ended.Load():
		res.Status = record.SegmentStopped
	}
	r.markSegment(record.SegmentEnd, &res)
	if ferr := r.sink.flush(); err == nil && ferr != nil && !isBrokenPipe(ferr) {
		err = ferr
	}
	r.report(&res)
	return res, err
}

// outputError is the error that ends the run: the first that stopped it,
// else a failed write on an output (a closed pipe is none).
func (r *runner) outputError(werr error) error {
	r.errMu.Lock()
	err := r.err
	r.errMu.Unlock()
	if err == nil && werr != nil && !isBrokenPipe(werr) {
		err = werr
	}
	if err == nil && r.fb != nil && r.fb.err != nil && !isBrokenPipe(r.fb.err) {
		err = r.fb.err
	}
	return err
}

func (r *runner) report(res *Result) {
	PrintSummary(r.stderr, &res.Summary)
	if len(res.Reasons) > 0 {
		fmt.Fprintf(r.stderr, "fire: errors: %s\n", ReasonsText(res.Reasons))
	}
	if v := res.Verdict; v != nil {
		word := "held"
		if !v.Pass {
			word = "VIOLATED"
		}
		fmt.Fprintf(r.stderr, "fire: requirement %s: %s\n", v.Requirement, word)
	}
}

// markSegment writes a segment's start or end mark (segmented runs only)
// at the start and end of the samples output and of the feedback.
func (r *runner) markSegment(phase string, res *Result) {
	if !r.cfg.StartAt.IsZero() && phase == record.SegmentStart {
		fmt.Fprintf(r.stderr, "fire: plan clock started %.3f ms after --start-at %s\n",
			ms(r.lag), r.cfg.StartAt.Format(time.RFC3339Nano))
	}
	if !r.segmented {
		return
	}
	seg := &record.Segment{Type: record.TypeSegment, Run: r.cfg.Run, Segment: r.sink.segment, Phase: phase,
		TS: r.wall(r.lag), StartAt: r.cfg.StartAt, LagMS: ms(r.lag)}
	if phase == record.SegmentEnd {
		seg.TS = time.Now()
		seg.Status, seg.Count, seg.Errors = res.Status, res.Summary.Count, res.Summary.Errors
	}
	r.sink.mark(seg)
	r.fb.write(seg)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// isBrokenPipe: the reader of an output went away (fire … | head), a
// normal way for a stream to end.
func isBrokenPipe(err error) bool {
	return err != nil && (errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed))
}
