package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// inputReader reads a plan's input file (a trace, a profile, a name list)
// the one way every tool reads lines (record.Reader), strictly: a line plan
// cannot use ends the plan with "FILE:LINE: why", since skipping it would
// silently change the load the plan describes.
func inputReader(ctx context.Context, r io.Reader, name string) *record.Reader {
	return record.NewReader(ctx, r, name, &record.Problems{Tool: "plan", Strict: true})
}

// lineError is an error about the reader's current line: "FILE:LINE: why".
func lineError(rd *record.Reader, format string, a ...any) error {
	return &record.MalformedError{Name: rd.Name(), Line: rd.Line(), Err: fmt.Errorf(format, a...)}
}

// Trace replays a production load file (domain.md §8: "YYYY-MM-DD
// HH:MM:SS<TAB>RPS: N/s") as an open-model arrival rate, one stage per
// second, played speedup times faster. Seconds missing from the file have no
// requests. from and to limit the replay to a time of day ("HH:MM:SS", empty
// for no limit). It reads the file line by line, never all of it; give it an
// Encoder over a Spool to write the plan only once the whole file is read.
func Trace(ctx context.Context, e *Encoder, seed int64, sc *record.Plan, r io.Reader, name string, speedup float64, from, to string) error {
	if !within(speedup, math.SmallestNonzeroFloat64, math.MaxFloat64) {
		return fmt.Errorf("--speedup %v: expected a number above 0", speedup)
	}
	for _, f := range [][2]string{{"--from", from}, {"--to", to}} {
		if _, err := time.Parse(time.TimeOnly, f[1]); f[1] != "" && err != nil {
			return fmt.Errorf("%s %s: expected a time of day HH:MM:SS", f[0], short(f[1]))
		}
	}
	e.Encode(Header("trace", seed))
	e.Encode(sc)
	rd := inputReader(ctx, r, name)
	var t0, prev time.Time
	seen := false // a line selected: t0 and prev are set
	// offsets in float seconds: a trace may span more than time.Duration holds
	at := func(t time.Time, plus int64) (*float64, error) {
		v := float64(t.Unix()-t0.Unix()+plus) * 1000 / speedup
		if err := CheckMS("at_ms", v); err != nil {
			return nil, lineError(rd, "--speedup %v: %v", speedup, err)
		}
		return &v, nil
	}
	for rd.Next() {
		t, n, ok, err := traceLine(rd.Bytes())
		if err != nil {
			return lineError(rd, "%v", err)
		}
		tod := t.Format(time.TimeOnly)
		if !ok || from != "" && tod < from || to != "" && tod >= to {
			continue
		}
		if seen && !t.After(prev) {
			return lineError(rd, "expected a time after %s, got %s", prev.Format(time.DateTime), t.Format(time.DateTime))
		}
		if !seen {
			t0 = t
		}
		if err := CheckRate(n * speedup); err != nil {
			return lineError(rd, "%s/s × --speedup %v: %v", num(n), speedup, err)
		}
		if seen && t.Unix()-prev.Unix() > 1 { // a gap in the file: no requests until t
			gap, err := at(prev, 1)
			if err != nil {
				return err
			}
			e.Encode(&record.Plan{Type: record.TypeStage, AtMS: gap, RateRPS: Ptr(0.0)})
		}
		st, err := at(t, 0)
		if err != nil {
			return err
		}
		prev, seen = t, true
		if err := e.Encode(&record.Plan{Type: record.TypeStage, AtMS: st, RateRPS: Ptr(n * speedup), Label: tod}); err != nil {
			return err
		}
	}
	if err := rd.Err(); err != nil {
		return err
	}
	if !seen {
		return fmt.Errorf("%s: no \"RPS:\" lines in the selected time range", name)
	}
	endAt, err := at(prev, 1)
	if err != nil {
		return err
	}
	e.Encode(&record.Plan{Type: record.TypeEnd, AtMS: endAt})
	return e.Flush()
}

// traceLine parses a line of a production load file; ok is false for the
// lines to skip (hourly "RPH:" sums, the "Total count").
func traceLine(b []byte) (t time.Time, n float64, ok bool, err error) {
	if bytes.Contains(b, []byte("RPH:")) || bytes.HasPrefix(b, []byte("Total count")) {
		return t, 0, false, nil
	}
	ts, v, found := bytes.Cut(b, []byte("\t"))
	if !found {
		return t, 0, false, errors.New(`expected "YYYY-MM-DD HH:MM:SS<TAB>RPS: N/s"`)
	}
	if t, err = time.Parse(time.DateTime, string(ts)); err != nil {
		return t, 0, false, fmt.Errorf("expected a timestamp YYYY-MM-DD HH:MM:SS, got %s", short(string(ts)))
	}
	s := strings.TrimSpace(string(v))
	if !strings.HasPrefix(s, "RPS:") || !strings.HasSuffix(s, "/s") {
		return t, 0, false, fmt.Errorf("expected \"RPS: N/s\", got %s", short(s))
	}
	n, err = strconv.ParseFloat(strings.TrimSpace(s[4:len(s)-2]), 64)
	if err != nil || !within(n, 0, math.MaxFloat64) {
		return t, 0, false, fmt.Errorf("expected a request count in \"RPS: N/s\", got %s", short(s))
	}
	return t, n, true, nil
}

// Profile replays a "time_s,rps" load profile (TeaStore's format). A header
// line is allowed. Each row's rate holds until the next row; the last row
// holds for as long as the interval before it. With asUsers each row sets
// that many closed-model users instead, as the study's Locust load shape did.
// Like Trace, it reads line by line.
func Profile(ctx context.Context, e *Encoder, seed int64, sc *record.Plan, r io.Reader, name string, asUsers bool) error {
	e.Encode(Header("profile", seed))
	e.Encode(sc)
	rd := inputReader(ctx, r, name)
	rows := 0
	var prevT, width float64 = 0, 1
	for rd.Next() {
		ts, rps, err := profileRow(rd.Bytes())
		if err != nil {
			if rd.Line() == 1 {
				continue // a header
			}
			return lineError(rd, "%v", err)
		}
		if rows > 0 && ts <= prevT {
			return lineError(rd, "time_s %s: expected more than the row before's %s", num(ts), num(prevT))
		}
		if rows > 0 {
			width = ts - prevT
		}
		at := ts
		if rows == 0 {
			at = 0 // the first row's rate holds from the start
		}
		st, err := profileStage(at, ts+width, rps, asUsers)
		if err != nil {
			return lineError(rd, "%v", err)
		}
		if err := e.Encode(st); err != nil {
			return err
		}
		prevT = ts
		rows++
	}
	if err := rd.Err(); err != nil {
		return err
	}
	if rows == 0 {
		return fmt.Errorf("%s: expected at least one \"time_s,rps\" row", name)
	}
	e.Encode(&record.Plan{Type: record.TypeEnd, AtMS: Ptr((prevT + width) * 1000)})
	return e.Flush()
}

// profileRow parses a "time_s,rps" row: two numbers, neither negative.
func profileRow(b []byte) (ts, rps float64, err error) {
	f := strings.Split(strings.TrimSpace(string(b)), ",")
	if len(f) != 2 {
		return 0, 0, errors.New(`expected "time_s,rps"`)
	}
	ts, err1 := strconv.ParseFloat(strings.TrimSpace(f[0]), 64)
	rps, err2 := strconv.ParseFloat(strings.TrimSpace(f[1]), 64)
	if err1 != nil || err2 != nil || !within(ts, 0, math.MaxFloat64) || !within(rps, 0, math.MaxFloat64) {
		return 0, 0, fmt.Errorf("expected two numbers \"time_s,rps\", neither negative, got %s", short(string(b)))
	}
	return ts, rps, nil
}

// profileStage is a profile row's stage from at seconds, checked against the
// limits (the row's rate holds until until seconds, where a plan must still
// be within MaxDuration).
func profileStage(at, until, rps float64, asUsers bool) (*record.Plan, error) {
	if err := CheckMS("time_s × 1000", until*1000); err != nil {
		return nil, err
	}
	st := &record.Plan{Type: record.TypeStage, AtMS: Ptr(at * 1000), RateRPS: Ptr(rps)}
	if !asUsers {
		return st, CheckRate(rps)
	}
	// the study's Locust shape: as many users as req/s, each thinking 1 s
	if rps > MaxUsers {
		return nil, fmt.Errorf("rps %s as users: expected at most %d (plan.MaxUsers)", num(rps), MaxUsers)
	}
	st.RateRPS, st.Users, st.SpawnRate = nil, Ptr(max(int(rps+0.5), 1)), 100
	return st, nil
}
