package ars

import (
	"fmt"
	"time"

	"github.com/perflab/perflab/lib/simserver"
)

// minFaultPeriod is the least time between two faults of a repeating
// schedule once scaled: closer, the fault loop would spin, setting timers
// for faults that are all ignored while the first outage lasts.
const minFaultPeriod = time.Millisecond

// check refuses absurd parameters with an error naming the flag or file:
// a time scale that is not a finite number > 0, negative durations,
// scaled durations beyond a century (they used to overflow to negative
// times), a fault schedule that would spin, a model file whose
// coefficients give absurd times. A zero time scale means 1.
func (cfg *Config) check() error {
	p := &cfg.FaultParams
	if p.Scale == 0 {
		p.Scale = 1
	}
	if err := simserver.CheckScale(p.Scale); err != nil {
		return err
	}
	if err := simserver.CheckMaxInflight(cfg.MaxInflight); err != nil {
		return err
	}
	switch cfg.Model {
	case "minimal", "random", "lr", "none":
	default:
		return fmt.Errorf("--model %q: expected minimal, random, lr or none", cfg.Model)
	}
	if p.Position < 0 || p.Position > 1000 {
		return fmt.Errorf("--position %d: expected a place in the server check list from 1 to 1000", p.Position)
	}
	if p.DetectMax < p.DetectMin {
		return fmt.Errorf("--detect-max %v: expected at least --detect-min (%v)", p.DetectMax, p.DetectMin)
	}
	for _, d := range []struct {
		flag string
		d    time.Duration
	}{{"--processing", cfg.Processing}, {"--max-processing", cfg.MaxProcessing}, {"--detect-min", p.DetectMin},
		{"--detect-max", p.DetectMax + 2*time.Second*time.Duration(max(p.Position-1, 0))}, {"--reaction", p.Reaction}, {"--recovery", p.Recovery}} {
		if _, err := simserver.Scale(d.flag, d.d, p.Scale); err != nil {
			return err
		}
	}
	if err := checkSchedule(cfg.Faults, p.Scale); err != nil {
		return err
	}
	if cfg.Model == "lr" {
		if cfg.LR == nil {
			return fmt.Errorf("--model lr needs a model file")
		}
		return cfg.LR.Check(cfg.LR.Source, p.Scale, cfg.MaxInflight)
	}
	return nil
}

// checkSchedule refuses a repeating schedule whose faults come closer than
// minFaultPeriod once scaled, and offsets beyond a century.
func checkSchedule(s Schedule, scale float64) error {
	var first, period time.Duration
	var name string
	switch v := s.(type) {
	case every:
		first, period, name = time.Duration(v), time.Duration(v), "every:"+time.Duration(v).String()
	case mascots:
		first, period, name = 5*time.Minute, time.Minute, "mascots"
	case list:
		if len(v) > 0 {
			_, err := simserver.Scale("--faults file: offset", v[len(v)-1], scale)
			return err
		}
		return nil
	default:
		return nil
	}
	if _, err := simserver.Scale("--faults "+name+": first fault at", first, scale); err != nil {
		return err
	}
	if d := time.Duration(float64(period) * scale); d < minFaultPeriod {
		return fmt.Errorf("--faults %s × --time-scale %g: faults %v apart would make the fault loop spin; expected at least %v apart",
			name, scale, d, minFaultPeriod)
	}
	return nil
}
