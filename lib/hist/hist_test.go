package hist

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perflab/perflab/lib/record"
)

// exact percentile of sorted µs values, nearest rank as HdrHistogram defines it
func exactQuantile(sorted []int64, q float64) int64 {
	n := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(n, 0)]
}

func TestQuantilesMatchSamples(t *testing.T) {
	var vals []int64
	for i := int64(1); i <= 10000; i++ {
		vals = append(vals, i*137%100000+1000) // 1 ms .. 101 ms, shuffled
	}
	h := New()
	for _, v := range vals {
		h.RecordUS(v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		got, want := h.Quantile(q), exactQuantile(vals, q)
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 0.001 {
			t.Errorf("q%.3f: got %d µs, want %d µs (±0.1%%)", q, got, want)
		}
	}
}

func TestAccExactAndMergeOfHalvesEqualsWhole(t *testing.T) {
	th := []Threshold{{Label: "10s", D: 10 * time.Second}, {Label: "30s", D: 30 * time.Second}}
	whole, a, b := NewAcc(th...), NewAcc(th...), NewAcc(th...)
	t0 := time.Date(2020, 6, 30, 15, 20, 0, 0, time.UTC)
	vals := []int64{2020, 2003, 10000, 10001, 29999, 30001, 35500, 2001, 4000}
	for i, ms := range vals {
		ts := t0.Add(time.Duration(i) * time.Second)
		whole.Add(ts, ms*1000, false)
		if i < len(vals)/2 {
			a.Add(ts, ms*1000, false)
		} else {
			b.Add(ts, ms*1000, false)
		}
	}
	whole.Add(t0, 0, true)
	b.Add(t0, 0, true)
	sa, sb := a.Stats(record.TypeInterval, true), b.Stats(record.TypeInterval, true)
	m := NewAcc(th...)
	for _, s := range []*record.Stats{&sa, &sb} {
		if err := m.AddStats(s); err != nil {
			t.Fatal(err)
		}
	}
	got, want := m.Stats(record.TypeSummary, true), whole.Stats(record.TypeSummary, true)
	if got.Count != 9 || got.Errors != 1 || got.MinMS != 2001 || got.MaxMS != 35500 {
		t.Fatalf("merged: count %d errors %d min %v max %v", got.Count, got.Errors, got.MinMS, got.MaxMS)
	}
	if got.Exceed["10s"] != 4 || got.Exceed["30s"] != 2 {
		t.Fatalf("exceed: got %v, want 10s:4 30s:2 (10000 ms is not above 10 s)", got.Exceed)
	}
	for _, p := range [][2]float64{{got.MeanMS, want.MeanMS}, {got.P50MS, want.P50MS}, {got.P99MS, want.P99MS}} {
		if math.Abs(p[0]-p[1]) > 0.01 {
			t.Errorf("merged %v != whole %v", p[0], p[1])
		}
	}
	if !sameHist(t, got.Hist, want.Hist) {
		t.Error("merged histogram differs from the whole's")
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	h := New()
	for i := int64(1); i < 5000; i += 7 {
		h.RecordUS(i * 1000)
	}
	s, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if d.Count() != h.Count() || d.Quantile(0.99) != h.Quantile(0.99) || d.MaxUS() != h.MaxUS() {
		t.Fatalf("round trip changed the histogram")
	}
	if _, err := Decode("not a histogram"); err == nil {
		t.Fatal("garbage decoded without error")
	}
}

func TestClampKeepsOutOfRangeValues(t *testing.T) {
	h := New()
	h.RecordUS(0)
	h.RecordUS(highestUS * 10)
	if h.Count() != 2 {
		t.Fatalf("count %d, want 2", h.Count())
	}
}

func sameHist(t *testing.T, a, b string) bool {
	t.Helper()
	ha, err1 := Decode(a)
	hb, err2 := Decode(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("decode: %v %v", err1, err2)
	}
	return ha.h.Equals(hb.h)
}

// The sparse path (raw values encoded straight to V2) must give what the
// library gives for the same values: same percentiles, same decoded histogram.
func TestSparseEncodingMatchesLibrary(t *testing.T) {
	sets := [][]int64{
		{1},
		{1, 2, 3, 2047, 2048, 2049, 4095, 4096, 100000, 2_000_000, 2_000_001, 31_000_000},
		{highestUS, 5, 5, 5},
	}
	var rnd []int64
	x := uint64(12345)
	for i := 0; i < 5000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		rnd = append(rnd, int64(x%60_000_000)+1)
	}
	sets = append(sets, rnd)
	for _, vals := range sets {
		sparse := NewAcc()
		lib := New()
		for _, v := range vals {
			sparse.record(v)
			lib.RecordUS(v)
		}
		st := sparse.Stats(record.TypeInterval, true)
		dec, err := Decode(st.Hist)
		if err != nil {
			t.Fatal(err)
		}
		if !dec.h.Equals(lib.h) {
			t.Fatalf("sparse encoding of %d values decodes to a different histogram", len(vals))
		}
		for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
			if a, b := quantileSorted(sparse.vals, q), lib.Quantile(q); a != b {
				t.Fatalf("q%v: sparse %d, library %d", q, a, b)
			}
		}
	}
}

func BenchmarkIntervalStats(b *testing.B) {
	a := NewAcc()
	for i := 0; i < b.N; i++ {
		a.Reset()
		for j := 0; j < 100; j++ {
			a.record(int64(2_000_000 + j*5000))
		}
		a.Stats(record.TypeInterval, true)
	}
}

func TestAccMergeEqualsOneAcc(t *testing.T) {
	th := []Threshold{{Label: "1s", D: time.Second}}
	whole, a, b := NewAcc(th...), NewAcc(th...), NewAcc(th...)
	t0 := time.Now()
	for i := 0; i < 70000; i++ { // b goes dense (over sparseMax), a stays sparse
		us := int64(1000 + i*17%2_000_000)
		whole.Add(t0, us, i%1000 == 0)
		if i < 500 {
			a.Add(t0, us, i%1000 == 0)
		} else {
			b.Add(t0, us, i%1000 == 0)
		}
	}
	a.Merge(b)
	got, want := a.Stats(record.TypeSummary, false), whole.Stats(record.TypeSummary, false)
	if got.Count != want.Count || got.Errors != want.Errors || got.MinMS != want.MinMS || got.MaxMS != want.MaxMS ||
		got.MeanMS != want.MeanMS || got.P99MS != want.P99MS || got.Exceed["1s"] != want.Exceed["1s"] {
		t.Fatalf("merged %+v\nwhole  %+v", got, want)
	}
}

// Counts (histo's decoder) and the library decode the same encodings to the
// same histogram; neither panics. Counts alone refuses payloads larger than
// any histogram of ours and parameters whose dense array would be huge.
func FuzzDecode(f *testing.F) {
	h := New()
	h.RecordUS(1234)
	h.RecordUS(99_000_000)
	enc, _ := h.Encode()
	f.Add(enc)
	f.Add(NewAcc().Stats(record.TypeInterval, true).Hist)
	f.Add("")
	f.Add("HISTFAAAAA==")
	f.Fuzz(func(t *testing.T, s string) {
		var c Counts
		err := c.Decode(s)
		lib, libErr := libDecode(s)
		switch {
		case err == nil && libErr != nil:
			t.Fatalf("Counts decoded what the library refuses (%v)", libErr)
		case err != nil && libErr == nil && !strings.Contains(err.Error(), "larger than any") && !strings.Contains(err.Error(), "expected at most"):
			t.Fatalf("Counts refused what the library decodes: %v", err)
		case err == nil && lib.HighestTrackableValue() == highestUS && lib.SignificantFigures() == sigDigits && lib.LowestTrackableValue() == lowestUS:
			d := New()
			d.AddCounts(&c)
			if !d.h.Equals(lib) || c.Total() != lib.TotalCount() || c.Total() < 0 {
				t.Fatalf("Counts and the library decode different histograms")
			}
		}
	})
}

// libDecode is the library's own decode, its panics recovered.
func libDecode(s string) (h *hdr.Histogram, err error) {
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	return hdr.Decode([]byte(s))
}
