package hist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perflab/perflab/lib/record"
)

// valueSets are latency sets (µs) that exercise every bucket edge and the
// clamped ends.
func valueSets() [][]int64 {
	sets := [][]int64{
		{1},
		{0, 1, 2, 3, 2047, 2048, 2049, 4095, 4096, 100000, 2_000_000, 2_000_001, 31_000_000},
		{highestUS, highestUS * 5, 5, 5, 5},
		{highestUS + 7_200_000_000}, // beyond the range: the histogram holds it at its end, the extremes exactly
	}
	x := uint64(12345)
	for _, n := range []int{100, 5000, 70000} {
		var rnd []int64
		for i := 0; i < n; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			rnd = append(rnd, int64(x%60_000_000)+1)
		}
		sets = append(sets, rnd)
	}
	return sets
}

// Counts decodes what the library decodes, and answers every question as
// the library's histogram does, for both encoders (the library's and ours).
func TestCountsMatchLibrary(t *testing.T) {
	for _, vals := range valueSets() {
		lib := New()
		acc := NewAcc()
		for _, v := range vals {
			lib.RecordUS(v)
			acc.record(v)
		}
		libEnc, err := lib.Encode()
		if err != nil {
			t.Fatal(err)
		}
		for _, enc := range []string{libEnc, acc.Stats(record.TypeInterval, true).Hist} {
			var c Counts
			if err := c.Decode(enc); err != nil {
				t.Fatal(err)
			}
			if c.Total() != lib.Count() || c.MaxUS() != lib.MaxUS() || c.MinUS() != lib.h.Min() {
				t.Fatalf("%d values: total %d min %d max %d, library %d %d %d", len(vals), c.Total(), c.MinUS(), c.MaxUS(), lib.Count(), lib.h.Min(), lib.MaxUS())
			}
			for _, q := range []float64{0.001, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
				if a, b := c.Quantile(q), lib.Quantile(q); a != b {
					t.Fatalf("%d values: q%v: %d, library %d", len(vals), q, a, b)
				}
			}
			for _, us := range []int64{0, 1, 2048, 4095, 10_000_000, 30_000_000, highestUS} {
				if a, b := c.CountAbove(us), lib.CountAbove(us); a != b {
					t.Fatalf("%d values: above %d: %d, library %d", len(vals), us, a, b)
				}
			}
			h := New()
			h.AddCounts(&c)
			if !h.h.Equals(lib.h) {
				t.Fatalf("%d values: AddCounts gives another histogram", len(vals))
			}
		}
	}
}

// An encoding with other parameters (another producer's) is recorded at
// ours; one whose parameters would make the library allocate hundreds of
// megabytes is refused.
func TestCountsForeignParameters(t *testing.T) {
	f := hdr.New(1, 1_000_000_000, 2)
	for _, v := range []int64{5, 1000, 2_000_000, 999_000_000} {
		f.RecordValue(v)
	}
	b, _ := f.Encode(hdr.V2CompressedEncodingCookieBase)
	var c Counts
	if err := c.Decode(string(b)); err != nil {
		t.Fatal(err)
	}
	if c.Total() != 4 || c.MinUS() != 5 || c.MaxUS() < 989_000_000 || c.MaxUS() > 1_010_000_000 { // 2 digits: within 1 %
		t.Fatalf("total %d min %d max %d", c.Total(), c.MinUS(), c.MaxUS())
	}
	big := hdr.New(1, 1<<62, 5)
	big.RecordValue(7)
	b, _ = big.Encode(hdr.V2CompressedEncodingCookieBase)
	if err := c.Decode(string(b)); err == nil || !strings.Contains(err.Error(), "expected at most 3 digits") {
		t.Fatalf("err %v", err)
	}
}

// encodeRaw builds a V2 compressed encoding of our parameters around a raw
// payload, for malformed payloads.
func encodeRaw(payload []byte) string {
	var raw bytes.Buffer
	var h [40]byte
	be := binary.BigEndian
	be.PutUint32(h[0:], cookieV2|0x10)
	be.PutUint32(h[4:], uint32(len(payload)))
	be.PutUint32(h[12:], sigDigits)
	be.PutUint64(h[16:], lowestUS)
	be.PutUint64(h[24:], highestUS)
	raw.Write(h[:])
	raw.Write(payload)
	var comp bytes.Buffer
	zw := zlib.NewWriter(&comp)
	zw.Write(raw.Bytes())
	zw.Close()
	out := make([]byte, 8, 8+comp.Len())
	be.PutUint32(out[0:], cookieV2Compressed|0x10)
	be.PutUint32(out[4:], uint32(comp.Len()))
	return base64.StdEncoding.EncodeToString(append(out, comp.Bytes()...))
}

func zigzag(v int64) []byte { return binary.AppendVarint(nil, v) }

func TestCountsRefuseMalformedEncodings(t *testing.T) {
	cases := map[string]string{
		"short":                 "HISTFAAAA",
		"not base64":            "HISTFAAAAB!!!!!!!!!!",
		"another cookie":        base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")),
		"a slot beyond the end": encodeRaw(append(zigzag(-int64(countsLen)), zigzag(1)...)),
		"an endless empty run":  encodeRaw(append(zigzag(-1<<62), zigzag(3)...)),
		"a truncated count":     encodeRaw([]byte{0x80}),
		"an overflowing count":  encodeRaw(append(zigzag(1<<62), zigzag(1<<62)...)),
		"a payload bigger than any histogram of ours": encodeRaw(bytes.Repeat(zigzag(-1), 10*countsLen+1)),
	}
	for name, enc := range cases {
		var c Counts
		if err := c.Decode(enc); err == nil || !strings.HasPrefix(err.Error(), "bad encoded histogram") {
			t.Errorf("%s: err %v", name, err)
		}
		if _, err := Decode(enc); err == nil {
			t.Errorf("%s: Decode accepted it", name)
		}
	}
	var c Counts // the edge itself is fine
	if err := c.Decode(encodeRaw(append(zigzag(-int64(countsLen-1)), zigzag(2)...))); err != nil || c.Total() != 2 {
		t.Fatalf("last slot: %v, total %d", err, c.Total())
	}
}

// A record Acc.Stats writes agrees with its own histogram at any scale;
// one that contradicts it is refused.
func TestCheckStats(t *testing.T) {
	th := []Threshold{{Label: "10s", D: 10 * time.Second}, {Label: "30s", D: 30 * time.Second}, {Label: "2ms", D: 2 * time.Millisecond}}
	for _, vals := range valueSets() {
		for _, scale := range []float64{1, 0.1, 0.05, 3, 1000} {
			a := NewAcc(th...)
			a.SetScale(scale)
			for _, v := range vals {
				a.Add(time.Unix(0, 0), v, false)
			}
			for _, dense := range []bool{false, true} {
				if dense {
					a.Hist()
				}
				s := a.Stats(record.TypeSummary, true)
				var c Counts
				if err := c.Decode(s.Hist); err != nil {
					t.Fatal(err)
				}
				if err := s.Check(); err != nil {
					t.Fatalf("%d values, scale %v: Check: %v", len(vals), scale, err)
				}
				if err := CheckStats(&s, &c); err != nil {
					t.Fatalf("%d values, scale %v: CheckStats: %v", len(vals), scale, err)
				}
				if len(vals) < 1000 {
					continue
				}
				for name, spoil := range map[string]func(*record.Stats){
					"count":  func(s *record.Stats) { s.Count++ },
					"min":    func(s *record.Stats) { s.MinMS /= 2 },
					"max":    func(s *record.Stats) { s.MaxMS *= 1.5 },
					"p50":    func(s *record.Stats) { s.P50MS = s.P90MS },
					"p99":    func(s *record.Stats) { s.P99MS = s.P50MS; s.P90MS = s.P50MS },
					"exceed": func(s *record.Stats) { s.Exceed["2ms"] = 3 },
				} {
					bad := s
					bad.Exceed = map[string]int64{"10s": s.Exceed["10s"], "30s": s.Exceed["30s"], "2ms": s.Exceed["2ms"]}
					spoil(&bad)
					if err := CheckStats(&bad, &c); err == nil {
						t.Errorf("%d values, scale %v: a spoilt %s passed", len(vals), scale, name)
					}
				}
			}
		}
	}
}
