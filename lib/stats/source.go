package stats

import (
	"errors"
	"fmt"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/rtlog"
)

// item is one thing read from an input: a sample or a statistics record.
type item struct {
	t      time.Time
	us     int64
	failed bool
	rec    *record.Stats
	counts *hist.Counts // rec's histogram, decoded (owned by the source)
}

// InputCounts says what became of an input's lines: every non-blank line is
// used, skipped, unrecognised, or malformed (reported by the Reader's
// Problems, not counted here).
type InputCounts struct {
	Name string
	// Used: response lines, samples and statistics records merged.
	Used int64
	// Skipped: recognised lines that are not measurements here (Locust's
	// other lines, records of other types, requests left out by --name).
	Skipped int64
	// Unrecognised: neither a Locust log line nor a JSON record (binary
	// garbage, a traceback); FirstUnrecognised is the first one's number.
	Unrecognised      int64
	FirstUnrecognised int
}

// Recognised is the number of lines that were Locust log lines or records.
func (c *InputCounts) Recognised() int64 { return c.Used + c.Skipped }

// source reads items from one input, line by line, with the tools' one
// record reader.
type source struct {
	rd     *record.Reader
	p      rtlog.Parser
	cur    item
	only   *rtlog.NameMatcher // nil: every request
	note   func()             // says once that statistics records were left out
	counts hist.Counts
	n      InputCounts
}

// advance reads the next item into s.cur; false at the end (see rd.Err).
func (s *source) advance() bool {
	for s.rd.Next() {
		ok := false
		switch b := s.rd.Bytes(); {
		case s.rd.Type() != "":
			s.cur, ok = s.decodeJSON()
		case rtlog.IsLogLine(b):
			s.cur, ok = s.logLine(b)
		default:
			if s.n.Unrecognised++; s.n.FirstUnrecognised == 0 {
				s.n.FirstUnrecognised = s.rd.Line()
			}
			continue
		}
		if ok {
			s.n.Used++
			return true
		}
	}
	return false
}

// skip counts a recognised line that is not used; it returns no item.
func (s *source) skip() (item, bool) {
	s.n.Skipped++
	return item{}, false
}

// malformed reports the current line; it returns no item.
func (s *source) malformed(err error) (item, bool) {
	s.rd.Malformed(err)
	return item{}, false
}

func (s *source) logLine(b []byte) (item, bool) {
	e, err := s.p.Parse(b)
	switch {
	case err != nil:
		return s.malformed(err)
	case e.Kind == rtlog.Other, s.only != nil && !s.only.Logger(rtlog.Logger(b)):
		return s.skip()
	}
	return item{t: e.Time, us: e.MS * 1000, failed: e.Kind == rtlog.Failure}, true
}

func (s *source) decodeJSON() (item, bool) {
	switch s.rd.Type() {
	case record.TypeSample:
		return s.sample()
	case record.TypeInterval:
		if s.only != nil {
			s.note()
			return s.skip()
		}
		return s.interval()
	}
	// summary, verdict, step, event, plan records: derived or unrelated
	return s.skip()
}

func (s *source) sample() (item, bool) {
	var smp record.Sample
	if !s.rd.Decode(&smp) {
		return item{}, false
	}
	if err := smp.Check(); err != nil {
		return s.malformed(err)
	}
	if s.only != nil && !s.only.Sample(smp.Name) {
		return s.skip()
	}
	return item{t: smp.TS, us: smp.LatencyUS, failed: smp.Failed()}, true
}

// interval decodes a statistics record and its histogram, and uses it only
// if it agrees with itself and with its histogram.
func (s *source) interval() (item, bool) {
	st := &record.Stats{}
	if !s.rd.Decode(st) {
		return item{}, false
	}
	if st.Start.IsZero() {
		return s.malformed(errors.New("interval record without start"))
	}
	if st.Hist == "" && st.Count > 0 {
		return s.malformed(fmt.Errorf("interval record with %d responses but no \"hist\"", st.Count))
	}
	if err := st.Check(); err != nil {
		return s.malformed(fmt.Errorf("interval record: %v", err))
	}
	s.counts.Reset()
	if st.Hist != "" {
		if err := s.counts.Decode(st.Hist); err != nil {
			return s.malformed(fmt.Errorf("interval record: %v", err))
		}
	}
	if err := hist.CheckStats(st, &s.counts); err != nil {
		return s.malformed(fmt.Errorf("interval record: %v", err))
	}
	return item{t: st.Start, rec: st, counts: &s.counts}, true
}
