// Package regress holds the learned processing-time models of the
// simulators: linear regressions over PR1 (requests in progress at arrival),
// PR3 (requests finished meanwhile), request type, time of day and weekday,
// read from JSON model files, and the processor that sleeps their predictions.
package regress

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"time"
)

// LR is a linear-regression processing-time model read from JSON, so users
// can plug in their own coefficients.
type LR struct {
	Name         string    `json:"name"`
	Unit         string    `json:"unit"` // "s" (default) or "ms"
	Intercept    float64   `json:"intercept"`
	Features     []string  `json:"features"`
	Coefficients []float64 `json:"coefficients"`
	// Corrections is how many times the model is asked again after sleeping
	// the prediction (PR3 having grown); 0 means: until it stops growing.
	// Absent: 1, as in the later scripts.
	Corrections *int `json:"corrections,omitempty"`
	// Types maps command names (ID__fake_call) to the "type" feature; others are 0.
	Types map[string]float64 `json:"types,omitempty"`
	// Source names where the model was read from, for messages.
	Source string `json:"-"`
}

// Features understood in model files.
var knownFeatures = map[string]bool{"pr1": true, "pr3": true, "type": true, "time_of_day_s": true, "weekday": true, "zero": true}

// ParseLR decodes and checks a model file's contents.
func ParseLR(b []byte, name string) (*LR, error) {
	var m LR
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: expected a JSON linear model: %v", name, err)
	}
	if len(m.Features) != len(m.Coefficients) {
		return nil, fmt.Errorf("%s: expected as many coefficients (%d) as features (%d)", name, len(m.Coefficients), len(m.Features))
	}
	for _, f := range m.Features {
		if !knownFeatures[f] {
			return nil, fmt.Errorf("%s: unknown feature %q (known: pr1, pr3, type, time_of_day_s, weekday, zero)", name, f)
		}
	}
	if m.Unit != "" && m.Unit != "s" && m.Unit != "ms" {
		return nil, fmt.Errorf("%s: unit must be \"s\" or \"ms\"", name)
	}
	m.Source = name
	return &m, nil
}

// LoadLR reads a model file from disk.
func LoadLR(path string) (*LR, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseLR(b, path)
}

// Features of one request at one moment.
type Features struct {
	PR1, PR3 float64 // requests in progress at arrival; requests finished while it ran
	Type     float64
	At       time.Time // for time_of_day_s and weekday
}

// Predict returns the model's processing time: never negative (a
// prediction below 0 is 0, as in the original simulator), never beyond
// what a time.Duration holds (Check refuses models that come near).
func (m *LR) Predict(f Features) time.Duration {
	return seconds(m.predictS(f), m.unit())
}

// predictS is the raw prediction in the model's unit.
func (m *LR) predictS(f Features) float64 {
	y := m.Intercept
	for i, name := range m.Features {
		var x float64
		switch name {
		case "pr1":
			x = f.PR1
		case "pr3":
			x = f.PR3
		case "type":
			x = f.Type
		case "time_of_day_s":
			h, mi, s := f.At.Clock()
			x = float64(h*3600 + mi*60 + s)
		case "weekday":
			x = float64((int(f.At.Weekday()) + 6) % 7) // Monday = 0, as Python's weekday()
		}
		y += m.Coefficients[i] * x
	}
	return y
}

func (m *LR) unit() float64 {
	if m.Unit == "ms" {
		return float64(time.Millisecond)
	}
	return float64(time.Second)
}

// seconds converts y units to a duration, 0 for y ≤ 0 or NaN, saturating
// at the largest duration instead of wrapping to a negative one.
func seconds(y, unit float64) time.Duration {
	if !(y > 0) {
		return 0
	}
	if d := y * unit; d < float64(math.MaxInt64) {
		return time.Duration(d)
	}
	return math.MaxInt64
}

// MaxCorrections is the number of correction passes (see Corrections).
func (m *LR) MaxCorrections() int {
	if m.Corrections == nil {
		return 1
	}
	if *m.Corrections <= 0 {
		return 1000
	}
	return *m.Corrections
}

// Open loads a model by its name in shipped (a folder of NAME.json built
// into a simulator) or else from a file path.
func Open(shipped fs.FS, nameOrPath string) (*LR, error) {
	if b, err := fs.ReadFile(shipped, nameOrPath+".json"); err == nil {
		return ParseLR(b, nameOrPath)
	}
	m, err := LoadLR(nameOrPath)
	if err != nil && os.IsNotExist(err) {
		return nil, fmt.Errorf("model %q: neither a shipped model (%s) nor a file", nameOrPath, strings.Join(Shipped(shipped), ", "))
	}
	return m, err
}

// Shipped names the models in shipped.
func Shipped(shipped fs.FS) []string {
	es, _ := fs.ReadDir(shipped, ".")
	var n []string
	for _, e := range es {
		n = append(n, strings.TrimSuffix(e.Name(), ".json"))
	}
	return n
}
