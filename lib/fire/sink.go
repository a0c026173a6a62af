package fire

import (
	"bufio"
	"io"
	"strconv"
	"strings"
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
	run     string // run and segment names of a segmented run, on every sample
	segment string
	buf     []byte
	closed  bool
	werr    error
	onError func(error)

	interval, progress, total *hist.Acc
	lag                       *hist.H
	missed                    int64
	reasons                   map[string]int64 // failed sends by why they failed
}

// maxReasons bounds the kinds of failure counted apart (the rest are "other").
const maxReasons = 32

func newSink(out io.Writer, jsonl bool, host string, onError func(error)) *sink {
	return &sink{
		w: bufio.NewWriterSize(out, 64*1024), jsonl: jsonl, host: host, onError: onError,
		interval: hist.NewAcc(), progress: hist.NewAcc(), total: hist.NewAcc(), lag: hist.New(),
		reasons: map[string]int64{},
	}
}

func (s *sink) emit(smp *record.Sample, logger string) {
	failed := smp.Failed()
	smp.Run, smp.Segment = s.run, s.segment
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.interval.Add(smp.TS, smp.LatencyUS, failed)
	s.total.Add(smp.TS, smp.LatencyUS, failed)
	if failed {
		s.countReason(smp)
	}
	if s.werr != nil {
		return
	}
	b := s.buf[:0]
	switch {
	case s.jsonl:
		b = smp.AppendJSON(b)
	case failed:
		// The reason is fire's own words (a status code, a transport
		// error's class), never the server's text: see errorClass.
		b = rtlog.AppendFailure(b, smp.TS, s.host, logger, (smp.LatencyUS+500)/1000, failReason(smp))
	default:
		b = rtlog.AppendResponse(b, smp.TS, s.host, logger, (smp.LatencyUS+500)/1000)
	}
	s.buf = b
	s.write(b)
}

func failReason(smp *record.Sample) string {
	if smp.Error != "" {
		return smp.Error
	}
	return "status " + strconv.Itoa(smp.Status)
}

// countReason counts a failed send by kind ("gave up after 12 tries: X"
// counts as "gave up: X").
func (s *sink) countReason(smp *record.Sample) {
	why := failReason(smp)
	if rest, ok := strings.CutPrefix(why, "gave up after "); ok {
		_, x, _ := strings.Cut(rest, ": ")
		why = "gave up: " + x
	}
	if _, ok := s.reasons[why]; !ok && len(s.reasons) >= maxReasons {
		why = "other"
	}
	s.reasons[why]++
}

// write writes whole lines: never let a line straddle two flushes, so a
// killed run keeps whole lines only.
func (s *sink) write(b []byte) {
	if s.w.Available() < len(b) {
		s.flushLocked()
	}
	if s.werr == nil {
		if _, err := s.w.Write(b); err != nil {
			s.fail(err)
		}
	}
}

// mark writes a segment's start or end mark into the samples output.
func (s *sink) mark(seg *record.Segment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b []byte
	var err error
	if s.jsonl {
		b, err = jsonl.Marshal(seg)
	} else {
		b, err = rtlog.AppendSegment(s.buf[:0], seg, s.host)
	}
	if err == nil && s.werr == nil {
		s.write(b)
		s.flushLocked()
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
	s.lag.Record(max(d, 0))
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
	}
	iv.Run, iv.Segment = s.run, s.segment
	return iv, pr
}

// close flushes and refuses further samples; it returns the run's summary,
// the failed sends by kind, and the first write error.
func (s *sink) close(from, to time.Time) (record.Stats, map[string]int64, error) {
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
	sum.Run, sum.Segment = s.run, s.segment
	return sum, s.reasons, s.werr
}

// flush writes out what the samples output holds (after an end mark).
func (s *sink) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.w.Flush(); err != nil && s.werr == nil {
		s.werr = err
	}
	return s.werr
}

// feedback writes statistics records as JSON lines, each flushed at once
// (rampctl reads them as they come). The first write error stops the run.
type feedback struct {
	w       *bufio.Writer
	err     error
	onError func(error)
}

func (f *feedback) write(v any) {
	if f == nil || f.err != nil {
		return
	}
	err := jsonl.Write(f.w, v)
	if err == nil {
		err = f.w.Flush()
	}
	if err != nil {
		f.err = err
		f.onError(err)
	}
}
