package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/perflab/perflab/lib/record"
)

func decodeAll(_ testing.TB, s string) ([]*record.Plan, error) { return decode(s) }

func decode(s string) ([]*record.Plan, error) {
	d := NewDecoder(strings.NewReader(s), "plan")
	var out []*record.Plan
	for {
		r, err := d.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

const (
	hdr = `{"type":"plan","version":1}` + "\n"
	scn = `{"type":"scenario","steps":[{"method":"GET","path":"/"}]}` + "\n"
)

// Every rule of the Decoder, each refusing one record with one line naming
// the plan, the line and the field.
func TestDecoderRefuses(t *testing.T) {
	step := func(s string) string { return `{"type":"scenario","steps":[` + s + `]}` }
	cases := []struct{ in, want string }{
		{hdr + "not json\n", "plan line 2: expected a JSON plan record"},
		{`{"type":"stage","users":1} {"type":"end"}`, "plan line 1: expected one JSON plan record on the line"},
		{`{"type":"stage","users":1,"extra":true}`, `plan line 1: expected a JSON plan record: json: unknown field "extra"`},
		{`{"type":"bogus"}`, `plan line 1: expected type plan, scenario, stage or end, got "bogus"`},
		{`{"users":1}`, `plan line 1: expected a "type" field`},
		{`{"type":"` + strings.Repeat("x", 100) + `"}`, `plan line 1: expected type plan, scenario, stage or end, got "` + strings.Repeat("x", 40) + `"…`},
		{`{"type":"stage","` + strings.Repeat("y", 1000) + `":1}`, `plan line 1: expected a JSON plan record: json: unknown field "yyy`},
		// the header
		{`{"type":"plan","version":2}`, "plan line 1: expected plan format version 1, got 2"},
		{`{"type":"plan"}`, "plan line 1: expected plan format version 1, got 0"},
		{scn + hdr, "plan line 2: expected the plan header only as the first record"},
		{hdr + hdr, "plan line 2: expected the plan header only as the first record"},
		// stages
		{`{"type":"stage","users":1,"rate_rps":2}`, "plan line 1: expected a stage with exactly one of users or rate_rps"},
		{`{"type":"stage"}`, "plan line 1: expected a stage with exactly one of users or rate_rps"},
		{`{"type":"stage","users":-1}`, "plan line 1: users -1: expected 0 to 10000000"},
		{`{"type":"stage","users":1000000000000}`, "plan line 1: users 1000000000000: expected 0 to 10000000"},
		{`{"type":"stage","users":1e3}`, "plan line 1: expected a JSON plan record"},
		{`{"type":"stage","group":"a","users":6000000}` + "\n" + `{"type":"stage","group":"b","users":4000001}`,
			"plan line 2: users 4000001: expected at most 10000000 users in all groups together, got 10000001"},
		{`{"type":"stage","rate_rps":-1}`, "plan line 1: rate -1/s: expected 0 or 1e-06 to 10000000 per second"},
		{`{"type":"stage","rate_rps":1e-11}`, "plan line 1: rate 1e-11/s: expected 0 or 1e-06"},
		{`{"type":"stage","rate_rps":1e8}`, "plan line 1: rate 100000000/s: expected 0 or 1e-06"},
		{`{"type":"stage","rate_rps":1e400}`, "plan line 1: expected a JSON plan record"},
		{`{"type":"stage","group":"devices","rate_rps":5}`, "plan line 1: expected no group on a rate_rps stage"},
		{`{"type":"stage","users":5,"spawn_rate":-1}`, "plan line 1: spawn rate -1: expected 0 to 10000000"},
		{`{"type":"stage","users":5,"spawn_rate":1e8}`, "plan line 1: spawn rate 100000000: expected 0 to 10000000"},
		{`{"type":"stage","users":1000000,"spawn_rate":1e-6}`, "plan line 1: spawn rate 1e-06/s: starting 1000000 users would take 1000000000000 s, longer than a plan may last"},
		// times
		{`{"type":"stage","at_ms":5,"users":1}` + "\n" + `{"type":"stage","at_ms":4,"users":1}`, "plan line 2: expected at_ms >= 5 (records in time order), got 4"},
		{`{"type":"stage","at_ms":5,"users":1}` + "\n" + `{"type":"end","at_ms":4}`, "plan line 2: expected at_ms >= 5"},
		{`{"type":"stage","at_ms":-1,"users":1}`, "plan line 1: at_ms -1: expected 0 to 3153600000000 ms"},
		{`{"type":"end","at_ms":1e30}`, "plan line 1: at_ms 1e+30: expected 0 to 3153600000000 ms"},
		{`{"type":"end"}` + "\n" + `{"type":"stage","users":1}`, `plan line 2: expected nothing after the end record, got a "stage" record`},
		// scenarios
		{`{"type":"scenario"}`, "plan line 1: expected a scenario with at least one step"},
		{`{"type":"scenario","order":"shuffled","steps":[{"method":"GET","path":"/"}]}`, `plan line 1: expected order "sequence" or "random", got "shuffled"`},
		{`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"think_ms":-5}`, "plan line 1: think_ms -5: expected 0 to 3153600000000 ms"},
		{`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"think_ms":1e19}`, "plan line 1: think_ms 1e+19: expected 0 to"},
		{`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"think_ms":20,"think_max_ms":10}`, "plan line 1: think_max_ms 10: expected 0 (none) or at least think_ms 20"},
		{`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"think_max_ms":1e19}`, "plan line 1: think_max_ms 1e+19: expected 0 to"},
		{`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"vars":{"x":[5,1]}}`, `plan line 1: var "x" [5, 1]: expected a name and [min, max]`},
		{`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"vars":{"x":[-9223372036854775808,9223372036854775807]}}`, `plan line 1: var "x" [-9223372036854775808, 9223372036854775807]: expected a name and [min, max] with -9007199254740991 <= min <= max <= 9007199254740991`},
		{`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"vars":{"":[1,2]}}`, `plan line 1: var "" [1, 2]: expected a name`},
		{step(`{"method":"GET","path":"x"}`), `plan line 1: step 1: path "x": expected a path starting with /`},
		{step(`{"method":"GET","path":"/a b"}`), `plan line 1: step 1: path "/a b": expected a path starting with / and without blanks`},
		{step(`{"method":"","path":"/"}`), `plan line 1: step 1: method "": expected an HTTP method`},
		{step(`{"method":"GET /x HTTP/1.1\r\n","path":"/"}`), `plan line 1: step 1: method "GET /x HTTP/1.1\r\n": expected an HTTP method`},
		{step(`{"method":"GET","path":"/","headers":{"X":"a\r\nHost: evil"}}`), `plan line 1: step 1: header "X": expected a header name (a token) and a value without line breaks`},
		{step(`{"method":"GET","path":"/","weight":-1}`), "plan line 1: step 1: weight -1: expected 0 to 1000000000"},
		{step(`{"method":"GET","path":"/","weight":1e300}`), "plan line 1: step 1: weight 1e+300: expected 0 to 1000000000"},
		{step(`{"method":"GET","path":"/","times":[1]}`), "plan line 1: step 1: times [1]: expected [min, max] with 0 <= min <= max <= 1000000"},
		{step(`{"method":"GET","path":"/","times":[3,1]}`), "plan line 1: step 1: times [3 1]: expected [min, max]"},
		{step(`{"method":"GET","path":"/","times":[0,9223372036854775807]}`), "plan line 1: step 1: times [0 9223372036854775807]: expected [min, max]"},
		{step(`{"method":"GET","path":"/","span":2}`), "plan line 1: step 1: span 2: expected 0 to 1 (the steps left in the scenario)"},
		{step(`{"method":"GET","path":"/","span":-1}`), "plan line 1: step 1: span -1: expected 0 to 1"},
		{step(`{"method":"GET","path":"/","chance":1.5}`), "plan line 1: step 1: chance 1.5: expected 0 to 1"},
		{step(`{"method":"GET","path":"/"},{"method":"GET","path":"/","chance":-0.1}`), "plan line 1: step 2: chance -0.1: expected 0 to 1"},
	}
	for _, c := range cases {
		_, err := decodeAll(t, c.in)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\ngot  %v\nwant %q…", c.in, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "\n") || len(err.Error()) > 330) {
			t.Errorf("error is not one short line: %q", err)
		}
	}
}

// The limits themselves are accepted, and a rate stage frees the users of
// every group (fire stops them).
func TestDecoderAcceptsTheLimits(t *testing.T) {
	in := hdr + `{"type":"scenario","think_ms":3153600000000,"think_max_ms":3153600000000,"vars":{"v":[-9007199254740991,9007199254740991]},` +
		`"steps":[{"method":"GET","path":"/","weight":1e9,"times":[0,1000000],"span":1,"chance":1}]}` + "\n" +
		`{"type":"stage","at_ms":0,"group":"a","users":5000000}` + "\n" +
		`{"type":"stage","at_ms":0,"group":"b","users":5000000,"spawn_rate":0.002}` + "\n" +
		`{"type":"stage","at_ms":1,"rate_rps":1e-6}` + "\n" +
		`{"type":"stage","at_ms":1,"rate_rps":1e7}` + "\n" +
		`{"type":"stage","at_ms":2,"users":10000000,"spawn_rate":1e7}` + "\n" +
		`{"type":"stage","rate_rps":0}` + "\n" +
		"\n" + `{"type":"end","at_ms":3153600000000}` + "\n\n"
	recs, err := decodeAll(t, in)
	if err != nil || len(recs) != 9 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
}

func TestDecoderErrorSticksAndNamesLongLines(t *testing.T) {
	d := NewDecoder(strings.NewReader(hdr+"{\n"+scn), "p.jsonl")
	d.Next()
	_, err1 := d.Next()
	_, err2 := d.Next()
	if err1 == nil || err1 != err2 {
		t.Fatalf("after an error: %v, then %v", err1, err2)
	}
	_, err := decodeAll(t, hdr+`{"type":"scenario","name":"`+strings.Repeat("x", MaxLine)+`"}`+"\n")
	if err == nil || err.Error() != "plan line 2: line longer than 16777216 bytes" {
		t.Fatalf("long line: %v", err)
	}
}

// writes records each Write call, to check that every call holds whole lines.
type writes struct{ calls []string }

func (w *writes) Write(p []byte) (int, error) {
	w.calls = append(w.calls, string(p))
	return len(p), nil
}

func TestEncoderWritesWholeRecordsAndRefusesInvalidOnes(t *testing.T) {
	w := &writes{}
	e := NewEncoder(w)
	e.Encode(Header("test", 0))
	e.Encode(&record.Plan{Type: record.TypeScenario, Steps: []record.Request{{Method: "GET", Path: "/" + strings.Repeat("p", 1000)}}})
	for i := 0; i < 200; i++ { // more than flushAt bytes
		if err := e.Encode(&record.Plan{Type: record.TypeStage, AtMS: Ptr(float64(i)), Users: Ptr(i), Label: strings.Repeat("l", 500)}); err != nil {
			t.Fatal(err)
		}
	}
	err := e.Encode(&record.Plan{Type: record.TypeStage, AtMS: Ptr(1e30), Users: Ptr(1)})
	if err == nil || err.Error() != "plan record 203: at_ms 1e+30: expected 0 to 3153600000000 ms (876000h0m0s)" {
		t.Fatalf("an end at 1e30 ms: %v", err)
	}
	if e.Encode(&record.Plan{Type: record.TypeEnd}) != err || e.Flush() != err {
		t.Fatal("the first error must stick")
	}
	all := strings.Join(w.calls, "")
	if len(w.calls) < 2 || strings.Count(all, "\n") != 202 || strings.Contains(all, "1e+30") {
		t.Fatalf("%d writes, %d lines", len(w.calls), strings.Count(all, "\n"))
	}
	for i, c := range w.calls {
		if !strings.HasSuffix(c, "\n") {
			t.Fatalf("write %d ends inside a record: …%q", i, c[max(0, len(c)-40):])
		}
	}
	if !strings.HasPrefix(all, `{"type":"plan","version":1,"generator":"test","seed":0}`+"\n") {
		t.Fatalf("a header with seed 0 must state it: %q", all[:80])
	}
}

func TestEncoderRefusesALineTooLongToRead(t *testing.T) {
	var b bytes.Buffer
	e := NewEncoder(&b)
	err := e.Encode(&record.Plan{Type: record.TypeScenario, Name: strings.Repeat("n", MaxLine), Steps: []record.Request{{Method: "GET", Path: "/"}}})
	if err == nil || !strings.HasPrefix(err.Error(), "plan record 1: a line of 16777") || e.Flush() != err || b.Len() != 0 {
		t.Fatalf("%v, %d bytes written", err, b.Len())
	}
}

// A failed write sticks too, and nothing is written after it.
type failAfter struct {
	n    int
	data bytes.Buffer
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return f.data.Write(p)
}

func TestEncoderWriteErrorSticks(t *testing.T) {
	f := &failAfter{n: 1}
	e := NewEncoder(f)
	e.Encode(Header("x", 1))
	e.Flush()
	e.Encode(&record.Plan{Type: record.TypeScenario, Steps: []record.Request{{Method: "GET", Path: "/"}}})
	if err := e.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("flush: %v", err)
	}
	if e.Encode(&record.Plan{Type: record.TypeEnd}) == nil || f.data.String() != `{"type":"plan","version":1,"generator":"x","seed":1}`+"\n" {
		t.Fatalf("wrote %q", f.data.String())
	}
}

// checkNoOverflow does with an accepted record what fire does with it, in
// exact arithmetic: every time becomes a time.Duration, every gap and spawn
// time too, every draw's range an int64 — none may overflow.
func checkNoOverflow(t *testing.T, r *record.Plan) {
	t.Helper()
	maxD := float64(math.MaxInt64)
	dur := func(what string, ms float64) {
		if !(ms*1e6 >= 0 && ms*1e6 < maxD/2) {
			t.Fatalf("%s %v ms overflows a time.Duration (with room for a sum): %+v", what, ms, r)
		}
	}
	if r.AtMS != nil {
		dur("at_ms", *r.AtMS)
	}
	dur("think_ms", r.ThinkMS)
	dur("think_max_ms", r.ThinkMaxMS)
	if r.RateRPS != nil && *r.RateRPS > 0 {
		dur("a Poisson gap of 1000 means", 1000*1e3 / *r.RateRPS)
		if gap := 1e9 / *r.RateRPS; gap < 100 {
			t.Fatalf("gap %v ns below 100 ns", gap)
		}
	}
	if r.Users != nil && r.SpawnRate > 0 {
		dur("the last user's start", float64(*r.Users)/r.SpawnRate*1e3)
	}
	sum := 0.0
	for _, s := range r.Steps {
		sum += s.Weight
		if len(s.Times) == 2 && (s.Times[1]-s.Times[0]+1 <= 0 || s.Times[1] > MaxTimes) {
			t.Fatalf("times %v", s.Times)
		}
	}
	if math.IsInf(sum, 0) || math.IsNaN(sum) {
		t.Fatalf("weights sum to %v", sum)
	}
	for k, v := range r.Vars {
		if n := int64(v[1]) - int64(v[0]) + 1; n <= 0 {
			t.Fatalf("var %s %v: range %d", k, v, n)
		}
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add(hdr + `{"type":"stage","at_ms":1,"users":2}`)
	f.Add(`{"type":"scenario","steps":[{"method":"GET","path":"/"}],"think_ms":5}`)
	f.Add(hdr + `{"type":"scenario","session":true,"vars":{"p":[1,9]},"steps":[{"method":"GET","path":"/","times":[1,3],"span":1,"chance":0.5,"weight":2}],"think_ms":5,"think_max_ms":9}` + "\n" +
		`{"type":"stage","at_ms":0,"group":"g","users":3,"spawn_rate":0.5}` + "\n" + `{"type":"stage","at_ms":2,"rate_rps":0.001,"poisson":true}` + "\n" + `{"type":"end","at_ms":9}`)
	f.Add(`{"type":"stage","rate_rps":1e-11}`)
	f.Add(`{"type":"end","at_ms":1e30}`)
	f.Fuzz(func(t *testing.T, s string) {
		d := NewDecoder(strings.NewReader(s), "plan")
		var recs []*record.Plan
		users := map[string]int{}
		for i := 0; i < 1000; i++ {
			r, err := d.Next()
			if err != nil {
				if err != io.EOF && (!strings.HasPrefix(err.Error(), "plan line ") || strings.Contains(err.Error(), "\n") || len(err.Error()) > 330) {
					t.Fatalf("error is not one short line naming the plan's line: %v", err)
				}
				break
			}
			if r.Type == record.TypeStage && (r.Users == nil) == (r.RateRPS == nil) {
				t.Fatal("invalid stage accepted")
			}
			checkNoOverflow(t, r)
			if r.Users != nil {
				users[r.Group] = *r.Users
			} else if r.RateRPS != nil && *r.RateRPS > 0 {
				clear(users)
			}
			total := 0
			for _, n := range users {
				total += n
			}
			if total > MaxUsers {
				t.Fatalf("%d users accepted", total)
			}
			recs = append(recs, r)
		}
		// what the Decoder accepts, the Encoder writes, and it reads back the same
		var b bytes.Buffer
		e := NewEncoder(&b)
		for _, r := range recs {
			if err := e.Encode(r); err != nil {
				t.Fatalf("the Encoder refuses what the Decoder accepted: %v", err)
			}
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		back, err := decodeAll(t, b.String())
		if err != nil || len(back) != len(recs) {
			t.Fatalf("round trip: %d of %d records, %v", len(back), len(recs), err)
		}
		for i := range recs { // the same JSON (an empty list and none are the same)
			a, _ := json.Marshal(back[i])
			b, _ := json.Marshal(recs[i])
			if !bytes.Equal(a, b) {
				t.Fatalf("round trip of record %d: %s, want %s", i+1, a, b)
			}
		}
	})
}
