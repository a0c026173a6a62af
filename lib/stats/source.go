package stats

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
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
	// group (--by): the request's name or status; groupOnly: a group's
	// statistics record, which is not also every request's.
	group     string
	groupOnly bool
	// run and seg: the segmented run and segment ("I/N") it belongs to
	run, seg string
}

// sends is how many successful and failed sends the item holds.
func (it *item) sends() (count, errors int64) {
	switch {
	case it.rec != nil:
		return it.rec.Count, it.rec.Errors
	case it.failed:
		return 0, 1
	}
	return 1, 0
}

// addTo adds the item to an accumulator.
func (it *item) addTo(a *hist.Acc) {
	if it.rec != nil {
		a.AddDecoded(it.rec, it.counts)
	} else {
		a.Add(it.t, it.us, it.failed)
	}
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
	note   func(string)       // says a thing once
	groups *grouper           // nil: no --by
	counts hist.Counts
	n      InputCounts
	segs   *segments
	// run and seg: the segment a Locust log's lines belong to, from its
	// last start mark
	run, seg string
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
	case e.Kind == rtlog.Mark:
		m, _, err := rtlog.ParseSegment(b)
		return s.segmentMark(m, err)
	case e.Kind == rtlog.Other:
		return s.skip()
	case s.only != nil && !s.only.Logger(rtlog.Logger(b)):
		return s.skip()
	}
	it := item{t: e.Time, us: e.MS * 1000, failed: e.Kind == rtlog.Failure, run: s.run, seg: s.seg}
	if s.groups != nil {
		it.group = s.groups.ofLine(b, &e)
	}
	return it, true
}

func (s *source) decodeJSON() (item, bool) {
	switch s.rd.Type() {
	case record.TypeSample:
		return s.sample()
	case record.TypeInterval:
		if s.only != nil {
			s.note("histo: statistics records carry no request names: left out with --name")
			return s.skip()
		}
		return s.interval()
	case record.TypeSegment:
		m := &record.Segment{}
		if !s.rd.Decode(m) {
			return item{}, false
		}
		return s.segmentMark(m, nil)
	}
	// summary, verdict, step, event, plan records: derived or unrelated
	return s.skip()
}

// segmentMark takes a segment's start or end mark: it counts for the run's
// completeness, and in a Locust log the lines after a start mark belong to
// its segment. It returns no item.
func (s *source) segmentMark(m *record.Segment, err error) (item, bool) {
	if err != nil {
		return s.malformed(err)
	}
	if err := m.Check(); err != nil {
		return s.malformed(fmt.Errorf("segment mark: %v", err))
	}
	s.segs.mark(m)
	s.run, s.seg = m.Run, m.Segment
	if m.Phase == record.SegmentEnd {
		s.run, s.seg = "", ""
	}
	s.n.Used++
	return item{}, false
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
	it := item{t: smp.TS, us: smp.LatencyUS, failed: smp.Failed(), run: smp.Run, seg: smp.Segment}
	if s.groups != nil {
		it.group = s.groups.ofSample(&smp)
	}
	return it, true
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
	it := item{t: st.Start, rec: st, counts: &s.counts, run: st.Run, seg: st.Segment}
	switch by := s.groups.by(); {
	case st.By == "" && by != "":
		s.note("histo: statistics records without \"by\" carry no request " + by + "s: they count in every request's statistics, in no group")
	case st.By == "" || st.By == by && st.Group != "": // every request's, or a group's (histo --by's own output)
		it.group, it.groupOnly = s.groups.intern(st.Group), st.By != ""
	default: // another grouping's: counted already in that output's every-request records
		return s.skip()
	}
	return it, true
}

// grouper names the group of each request (--by) and keeps the groups few:
// beyond MaxGroups, new names go to the group "(other)".
type grouper struct {
	By    string
	names map[string]string
	note  func(string)
}

// MaxGroups is how many groups --by keeps apart.
const MaxGroups = 1000

const otherGroup = "(other)"

func (g *grouper) by() string {
	if g == nil {
		return ""
	}
	return g.By
}

// intern returns the group's name, the same string for the same bytes.
func (g *grouper) intern(b string) string {
	if g == nil || b == "" {
		return ""
	}
	if s, ok := g.names[b]; ok {
		return s
	}
	if len(g.names) >= MaxGroups {
		g.note(fmt.Sprintf("histo: more than %d groups: the rest are counted as %q", MaxGroups, otherGroup))
		return otherGroup
	}
	g.names[b] = b
	return b
}

// ofLine is a Locust line's group: its logger (fire's "fire." left out),
// or its status: "ok" for a response (the log does not say which 2xx or
// 3xx), the status a failure names, else "error".
func (g *grouper) ofLine(line []byte, e *rtlog.Entry) string {
	if g.By == record.ByName {
		l := bytes.TrimPrefix(rtlog.Logger(line), []byte("fire."))
		if len(l) == 0 {
			return g.intern(unnamed)
		}
		if s, ok := g.names[string(l)]; ok { // no allocation for a known name
			return s
		}
		return g.intern(string(l))
	}
	switch {
	case e.Kind == rtlog.Response:
		return g.intern("ok")
	case e.Status > 0:
		return g.intern(strconv.Itoa(e.Status))
	}
	return g.intern("error")
}

// ofSample is a sample's group: its name, or its status ("error" for a
// send that got no answer).
func (g *grouper) ofSample(s *record.Sample) string {
	switch {
	case g.By == record.ByName && s.Name == "":
		return g.intern(unnamed)
	case g.By == record.ByName:
		return g.intern(s.Name)
	case s.Status == 0:
		return g.intern("error")
	}
	return g.intern(strconv.Itoa(s.Status))
}

const unnamed = "(unnamed)"
