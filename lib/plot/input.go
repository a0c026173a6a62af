package plot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/hist"
)

// Step is a load level's result: rampctl's "step" record, or a line of the
// original step-load executor's log ("Clients: N: avg: Xs, max: Ys").
type Step struct {
	Type        string  `json:"type"`
	Users       float64 `json:"users"`
	OfferedRPS  float64 `json:"offered_rps"`
	AchievedRPS float64 `json:"achieved_rps"`
	MeanMS      float64 `json:"mean_ms"`
	P50MS       float64 `json:"p50_ms"`
	P99MS       float64 `json:"p99_ms"`
	MaxMS       float64 `json:"max_ms"`
	Pass        bool    `json:"pass"`
}

// Event is a fault-management event from arssim --events.
type Event struct {
	Type  string    `json:"type"`
	Event string    `json:"event"`
	TS    time.Time `json:"ts"`
	Fault int       `json:"fault"`
}

// Data is everything read from one input.
type Data struct {
	Name      string
	Intervals []hist.Stats
	Summary   *hist.Stats
	Steps     []Step
	Events    []Event
	Limits    map[string]float64 // from a verdict or result record: metric → limit in ms
}

// Read parses one input: histo/fire statistics, rampctl steps, arssim
// events, and the original executor's "Clients:" lines. Other lines are
// skipped; a broken JSON line is an error naming the line.
func Read(r io.Reader, name string) (*Data, error) {
	d := &Data{Name: name, Limits: map[string]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if b[0] != '{' {
			if i := bytes.Index(b, []byte("Clients: ")); i >= 0 {
				st, err := parseLegacy(string(b[i:]))
				if err != nil {
					return nil, fmt.Errorf("%s line %d: %v", name, line, err)
				}
				d.Steps = append(d.Steps, st)
			}
			continue
		}
		var t struct {
			Type        string `json:"type"`
			Requirement string `json:"requirement"`
		}
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("%s line %d: expected a JSON record: %v", name, line, err)
		}
		var err error
		switch t.Type {
		case hist.TypeInterval:
			var s hist.Stats
			err = json.Unmarshal(b, &s)
			d.Intervals = append(d.Intervals, s)
		case hist.TypeSummary:
			var s hist.Stats
			err = json.Unmarshal(b, &s)
			d.Summary = &s
		case "step":
			var s Step
			err = json.Unmarshal(b, &s)
			d.Steps = append(d.Steps, s)
		case "event":
			var e Event
			err = json.Unmarshal(b, &e)
			d.Events = append(d.Events, e)
		case "verdict", "result":
			for _, c := range parseReq(t.Requirement) {
				d.Limits[c.metric] = c.ms
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s line %d: bad %s record: %v", name, line, t.Type, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return d, nil
}

// parseLegacy reads "Clients: 200: avg: 0.149s, max: 10.217s".
func parseLegacy(s string) (Step, error) {
	f := strings.Fields(strings.NewReplacer(":", " ", ",", " ").Replace(s))
	// Clients N avg Xs max Ys
	if len(f) < 6 || f[0] != "Clients" || f[2] != "avg" || f[4] != "max" {
		return Step{}, fmt.Errorf("expected \"Clients: N: avg: Xs, max: Ys\"")
	}
	n, e1 := strconv.ParseFloat(f[1], 64)
	avg, e2 := strconv.ParseFloat(strings.TrimSuffix(f[3], "s"), 64)
	mx, e3 := strconv.ParseFloat(strings.TrimSuffix(f[5], "s"), 64)
	if e1 != nil || e2 != nil || e3 != nil {
		return Step{}, fmt.Errorf("expected numbers in \"Clients: N: avg: Xs, max: Ys\"")
	}
	return Step{Type: "step", Users: n, MeanMS: avg * 1000, MaxMS: mx * 1000}, nil
}

type reqCheck struct {
	metric string
	ms     float64
}

// parseReq reads the limits of a requirement string ("mean<=10s,max<=30s").
func parseReq(s string) []reqCheck {
	var out []reqCheck
	for _, p := range strings.Split(strings.Fields(s + " ")[0], ",") {
		i := strings.Index(p, "<=")
		if i < 0 {
			continue
		}
		if d, err := time.ParseDuration(p[i+2:]); err == nil {
			out = append(out, reqCheck{p[:i], float64(d) / float64(time.Millisecond)})
		}
	}
	return out
}
