package ars

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// Schedule says when faults are injected, as offsets from the start (unscaled).
type Schedule interface {
	// Next returns the i-th fault's offset (i from 0), or false if there is none.
	Next(i int) (time.Duration, bool)
}

type noFaults struct{}

func (noFaults) Next(int) (time.Duration, bool) { return 0, false }

type every time.Duration

func (e every) Next(i int) (time.Duration, bool) { return time.Duration(i+1) * time.Duration(e), true }

// mascots is the paper's "three faults in a row": minutes 5, 6, 7, then every 7 minutes.
type mascots struct{}

func (mascots) Next(i int) (time.Duration, bool) {
	return time.Duration(5+i%3+7*(i/3)) * time.Minute, true
}

type list []time.Duration

func (l list) Next(i int) (time.Duration, bool) {
	if i < len(l) {
		return l[i], true
	}
	return 0, false
}

// ParseSchedule reads "none", "every:DURATION", "mascots" or "file:PATH"
// (one offset a line: a Go duration like 5m30s, or seconds; # comments).
func ParseSchedule(s string) (Schedule, error) {
	switch {
	case s == "" || s == "none":
		return noFaults{}, nil
	case s == "mascots":
		return mascots{}, nil
	case strings.HasPrefix(s, "every:"):
		d, err := time.ParseDuration(s[6:])
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--faults %q: expected every:DURATION, e.g. every:10m", s)
		}
		return every(d), nil
	case strings.HasPrefix(s, "file:"):
		return readScheduleFile(s[5:])
	}
	return nil, fmt.Errorf("--faults %q: expected none, every:DURATION, mascots or file:PATH", s)
}

func readScheduleFile(path string) (Schedule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readSchedule(f, path)
}

// maxOffset bounds a schedule's offsets (a century: beyond, durations overflow).
const maxOffset = 100 * 365 * 24 * time.Hour

func readSchedule(r io.Reader, path string) (Schedule, error) {
	var l list
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		d, err := time.ParseDuration(t)
		if err != nil {
			sec, err2 := strconv.ParseFloat(t, 64)
			if err2 != nil || math.IsNaN(sec) || sec < 0 || sec > maxOffset.Seconds() {
				return nil, fmt.Errorf("%s line %d: expected an offset like 5m30s or 330, got %q", path, n, t)
			}
			d = time.Duration(sec * float64(time.Second))
		}
		if d < 0 || d > maxOffset {
			return nil, fmt.Errorf("%s line %d: expected an offset from 0 to 100 years, got %q", path, n, t)
		}
		if len(l) > 0 && d < l[len(l)-1] {
			return nil, fmt.Errorf("%s line %d: expected offsets in increasing order", path, n)
		}
		l = append(l, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return l, nil
}

// FaultParams are the fault-management durations (unscaled).
type FaultParams struct {
	DetectMin, DetectMax time.Duration // uniform detection time (26–34 s)
	Position             int           // this ARS's place in the server check list
	Reaction             time.Duration // operator reaction time
	Recovery             time.Duration // recovery action time
	Scale                float64       // multiplies every duration
}

// Faults is the fault-management state machine. Durations are drawn from a
// seeded generator, so equal seeds give equal outages.
type Faults struct {
	p       FaultParams
	mu      sync.Mutex
	rng     *rand.Rand
	faulted bool
	count   int
	emit    func(record.Event)
	now     func() time.Time
	after   func(time.Duration, func())
}

// NewFaults returns a healthy ARS; emit receives every event (may be nil).
func NewFaults(p FaultParams, seed int64, emit func(record.Event)) *Faults {
	if p.Scale <= 0 {
		p.Scale = 1
	}
	return &Faults{p: p, rng: rand.New(rand.NewPCG(uint64(seed), 7)), emit: emit,
		now: time.Now, after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

func (f *Faults) scale(d time.Duration) time.Duration { return time.Duration(float64(d) * f.p.Scale) }

// Faulted reports whether POST/PUT must answer 500 now.
func (f *Faults) Faulted() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.faulted
}

// Count is the number of faults injected so far.
func (f *Faults) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count
}

// Outage draws the next outage's phases: detection, then reaction, then recovery.
func (f *Faults) drawDetection() time.Duration {
	span := f.p.DetectMax - f.p.DetectMin
	d := f.p.DetectMin + time.Duration(f.rng.Float64()*float64(span))
	return d + 2*time.Second*time.Duration(max(f.p.Position-1, 0))
}

// Trigger injects a fault now. A fault while faulted is ignored (false).
func (f *Faults) Trigger() bool {
	f.mu.Lock()
	if f.faulted {
		f.mu.Unlock()
		return false
	}
	f.faulted = true
	f.count++
	n := f.count
	detect := f.scale(f.drawDetection())
	react, recov := f.scale(f.p.Reaction), f.scale(f.p.Recovery)
	f.mu.Unlock()
	t0 := f.now()
	f.send(record.Event{Event: record.EvFault, TS: t0, Fault: n, OutageS: (detect + react + recov).Seconds(), DetectS: detect.Seconds()})
	f.after(detect, func() {
		t := f.now()
		f.send(record.Event{Event: record.EvDetected, TS: t, Fault: n})
		f.send(record.Event{Event: record.EvNotified, TS: t, Fault: n})
		f.after(react, func() {
			f.send(record.Event{Event: record.EvRecovery, TS: f.now(), Fault: n})
			f.after(recov, func() {
				f.mu.Lock()
				f.faulted = false
				f.mu.Unlock()
				f.send(record.Event{Event: record.EvRecovered, TS: f.now(), Fault: n})
			})
		})
	})
	return true
}

func (f *Faults) send(e record.Event) {
	e.Type = "event"
	if f.emit != nil {
		f.emit(e)
	}
}

// Run injects faults on schedule from start until stop is closed.
func (f *Faults) Run(s Schedule, start time.Time, stop <-chan struct{}) {
	for i := 0; ; i++ {
		off, ok := s.Next(i)
		if !ok {
			return
		}
		t := time.NewTimer(time.Until(start.Add(f.scale(off))))
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C:
			f.Trigger()
		}
	}
}
