// Package hist wraps HdrHistogram for latencies recorded in microseconds and
// defines the statistics record every perflab tool exchanges (docs/formats.md).
package hist

import (
	"io"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

const (
	// Lowest and highest trackable latency in µs: 1 µs to 3 hours, because the
	// production ARS model has nightly-backup requests of up to 2,799 s.
	lowestUS  = 1
	highestUS = 3 * 3600 * 1_000_000
	sigDigits = 3
)

// H is a latency histogram in microseconds. The zero value is not usable; call New.
type H struct{ h *hdr.Histogram }

// New returns an empty histogram.
func New() *H { return &H{hdr.New(lowestUS, highestUS, sigDigits)} }

// Record adds one latency. Values beyond the range are clamped so nothing is lost.
func (h *H) Record(d time.Duration) { h.RecordUS(d.Microseconds()) }

// RecordUS adds one latency given in microseconds.
func (h *H) RecordUS(us int64) {
	if us < lowestUS {
		us = lowestUS
	} else if us > highestUS {
		us = highestUS
	}
	_ = h.h.RecordValue(us) // cannot fail after clamping
}

// Merge adds every value of o to h.
func (h *H) Merge(o *H) {
	if o != nil {
		h.h.Merge(o.h)
	}
}

// Reset empties the histogram, keeping its memory.
func (h *H) Reset() { h.h.Reset() }

// Count is the number of recorded values.
func (h *H) Count() int64 { return h.h.TotalCount() }

// Quantile returns the value at quantile q in [0,1] (not percent, unlike the
// underlying library) in microseconds.
func (h *H) Quantile(q float64) int64 {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return h.h.ValueAtQuantile(q * 100)
}

// MaxUS is the largest recorded value (at the histogram's precision), in microseconds.
func (h *H) MaxUS() int64 {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return h.h.Max()
}

// CountAbove counts values strictly above us (at the histogram's precision).
func (h *H) CountAbove(us int64) int64 {
	var n int64
	for _, b := range h.h.Distribution() {
		if b.From > us {
			n += b.Count
		}
	}
	return n
}

// Encode returns the compressed base64 text form of the histogram, which
// merges exactly after decoding.
func (h *H) Encode() (string, error) {
	b, err := h.h.Encode(hdr.V2CompressedEncodingCookieBase)
	return string(b), err
}

// Decode parses the text form written by Encode (see Counts.Decode: input
// from files is not trusted).
func Decode(s string) (*H, error) {
	var c Counts
	if err := c.Decode(s); err != nil {
		return nil, err
	}
	h := New()
	h.AddCounts(&c)
	return h, nil
}

// recordN adds n values us, clamped into the range.
func (h *H) recordN(us, n int64) {
	_ = h.h.RecordValues(min(max(us, lowestUS), highestUS), n)
}

// PercentilesPrint writes the standard .hgrm percentile distribution in milliseconds.
func (h *H) PercentilesPrint(w io.Writer) error { return h.PercentilesPrintScaled(w, 1) }

// PercentilesPrintScaled writes the .hgrm percentile distribution in model
// milliseconds for a run at time scale f (real ÷ f; f 0 is 1), as Acc.Stats
// reports its latencies.
func (h *H) PercentilesPrintScaled(w io.Writer, f float64) error {
	if !(f > 0) {
		f = 1
	}
	_, err := h.h.PercentilesPrint(w, 5, 1000*f)
	return err
}

func ms(us int64) float64 { return float64(us) / 1000 }
