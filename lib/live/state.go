package live

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/perflab/perflab/lib/plot"
)

// view is everything the files hold now: inputs with statistics, inputs
// with steps, and the state the page shows.
type view struct {
	stats, steps []*plot.Data
	state        state
}

type state struct {
	Version int64       `json:"version"`
	Files   []fileState `json:"files"`
	Latest  *latest     `json:"latest,omitempty"`
	Level   *level      `json:"level,omitempty"`
	Verdict string      `json:"verdict,omitempty"` // "PASS …" or "FAIL …"
	Pass    *bool       `json:"pass,omitempty"`
	Figures []string    `json:"figures"` // the charts there is data for
}

type fileState struct {
	Name      string `json:"name"`
	Intervals int    `json:"intervals"`
	Steps     int    `json:"steps"`
	Events    int    `json:"events"`
	Restarts  int    `json:"restarts"`
	Error     string `json:"error,omitempty"`
}

// latest is the last interval record, formatted for people.
type latest struct {
	Start  string `json:"start"`
	Users  int    `json:"users"`
	Count  int64  `json:"count"`
	Errors int64  `json:"errors"`
	RPS    string `json:"rps"`
	P50    string `json:"p50"`
	P90    string `json:"p90"`
	P99    string `json:"p99"`
	Max    string `json:"max"`
}

// level is rampctl's last step.
type level struct {
	Users int    `json:"users"`
	Pass  bool   `json:"pass"`
	Mean  string `json:"mean"`
	P99   string `json:"p99"`
	Max   string `json:"max"`
}

func (s *Server) snapshot() view {
	v := view{state: state{Version: s.version.Load()}}
	for _, f := range s.files {
		d, restarts, err := f.snapshot()
		v.state.Files = append(v.state.Files, fileState{Name: f.path, Intervals: len(d.Intervals), Steps: len(d.Steps),
			Events: len(d.Events), Restarts: restarts, Error: err})
		if len(d.Intervals) > 0 || len(d.Events) > 0 {
			v.stats = append(v.stats, &d)
		}
		if len(d.Steps) > 0 {
			v.steps = append(v.steps, &d)
		}
		v.state.add(&d)
	}
	v.state.Figures = []string{}
	if v.state.Latest != nil {
		v.state.Figures = append(v.state.Figures, "rt", "tput")
	}
	if len(v.steps) > 0 {
		v.state.Figures = append(v.state.Figures, "load")
	}
	return v
}

// add takes one file's newest interval, step and verdict into the state.
func (st *state) add(d *plot.Data) {
	if n := len(d.Intervals); n > 0 {
		iv := d.Intervals[n-1]
		if st.Latest == nil || iv.Start.Format(time.RFC3339Nano) > st.Latest.Start {
			st.Latest = &latest{Start: iv.Start.UTC().Format(time.RFC3339Nano), Users: iv.Users, Count: iv.Count, Errors: iv.Errors,
				RPS: num(iv.RPS), P50: ms(iv.P50MS), P90: ms(iv.P90MS), P99: ms(iv.P99MS), Max: ms(iv.MaxMS)}
		}
	}
	if n := len(d.Steps); n > 0 {
		s := d.Steps[n-1]
		st.Level = &level{Users: s.Users, Pass: s.Pass, Mean: ms(s.MeanMS), P99: ms(s.P99MS), Max: ms(s.MaxMS)}
	}
	switch {
	case d.Verdict != nil:
		st.setVerdict(d.Verdict.Pass, "requirement "+d.Verdict.Requirement)
	case d.Result != nil && d.Result.Found:
		st.Verdict = "saturation point: " + strconv.Itoa(d.Result.SaturationUsers) + " users pass, " +
			strconv.Itoa(d.Result.FirstFailUsers) + " fail (" + d.Result.Requirement + ")"
	case d.Result != nil:
		st.Verdict = "no failing level found (" + d.Result.Requirement + ")"
	}
}

func (st *state) setVerdict(pass bool, text string) {
	word := "FAIL"
	if pass {
		word = "PASS"
	}
	st.Pass, st.Verdict = &pass, word+" — "+text
}

func (s *Server) state(w http.ResponseWriter, r *http.Request) {
	b, _ := json.Marshal(s.snapshot().state)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func ms(v float64) string {
	if v >= 1000 {
		return num(v/1000) + " s"
	}
	return num(v) + " ms"
}

func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}
