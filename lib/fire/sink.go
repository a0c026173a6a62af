package fire

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/jsonl"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
)

// sink writes every completed send and keeps the statistics. One mutex guards
// it: a send holds it for a few hundred nanoseconds.
type sink struct {
	mu      sync.Mutex
	w       *bufio.Writer
	jsonl   bool
	host    string
	buf     []byte
	closed  bool
	werr    error
	onError func(error)

	interval, progress, total *hist.Acc
	lag                       *hist.H
	missed                    int64
}

func newSink(out io.Writer, jsonl bool, host string, onError func(error)) *sink {
	return &sink{
		w: bufio.NewWriterSize(out, 64*1024), jsonl: jsonl, host: host, onError: onError,
		interval: hist.NewAcc(), progress: hist.NewAcc(), total: hist.NewAcc(), lag: hist.New(),
	}
}

func (s *sink) emit(smp *record.Sample, logger string) {
	failed := smp.Failed()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.interval.Add(smp.TS, smp.LatencyUS, failed)
	s.total.Add(smp.TS, smp.LatencyUS, failed)
	if s.werr != nil {
		return
	}
	b := s.buf[:0]
	switch {
	case s.jsonl:
		b = smp.AppendJSON(b)
	case failed:
		reason := smp.Error
		if reason == "" {
			reason = fmt.Sprintf("status %d", smp.Status)
		}
		b = rtlog.AppendFailure(b, smp.TS, s.host, logger, (smp.LatencyUS+500)/1000, reason)
	default:
		b = rtlog.AppendResponse(b, smp.TS, s.host, logger, (smp.LatencyUS+500)/1000)
	}
	s.buf = b
	// Never let a line straddle two flushes: a killed run keeps whole lines only.
	if s.w.Available() < len(b) {
		s.flushLocked()
	}
	if s.werr == nil {
		if _, err := s.w.Write(b); err != nil {
			s.fail(err)
		}
	}
}

func (s *sink) fail(err error) {
	s.werr = err
	if s.onError != nil {
		go s.onError(err)
	}
}

func (s *sink) flushLocked() {
	if s.werr == nil {
		if err := s.w.Flush(); err != nil {
			s.fail(err)
		}
	}
}

func (s *sink) recordLag(d time.Duration) {
	s.mu.Lock()
	s.lag.Record(d)
	s.mu.Unlock()
}

func (s *sink) addMissed() {
	s.mu.Lock()
	s.missed++
	s.interval.Missed++
	s.total.Missed++
	s.mu.Unlock()
}

// tick closes the current interval: it flushes the log and returns the
// interval's statistics (with its histogram), spanning [from, to).
func (s *sink) tick(from, to time.Time, progress bool) (iv record.Stats, pr *record.Stats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	s.interval.Start, s.interval.End = from, to
	iv = s.interval.Stats(record.TypeInterval, true)
	s.progress.Merge(s.interval) // progress spans several intervals: merged once a tick, not per sample
	s.interval.Reset()
	if progress {
		p := s.progress.Stats(record.TypeInterval, false)
		pr = &p
		s.progress.Reset()
		s.progress.Start = to
	}
	return iv, pr
}

// close flushes and refuses further samples; it returns the run's summary.
func (s *sink) close(from, to time.Time) (record.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	s.closed = true
	s.total.Start, s.total.End = from, to
	sum := s.total.Stats(record.TypeSummary, true)
	if s.lag.Count() > 0 {
		sum.SendLagP99MS = float64(s.lag.Quantile(0.99)) / 1000
		sum.SendLagMaxMS = float64(s.lag.MaxUS()) / 1000
	}
	return sum, s.werr
}

// feedback writes statistics records as JSON lines.
type feedback struct {
	w *bufio.Writer
}

func (f *feedback) write(st *record.Stats) {
	if f == nil {
		return
	}
	jsonl.Write(f.w, st)
	f.w.Flush()
}
