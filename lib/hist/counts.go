package hist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Merging thousands of statistics records through the library decoded each
// into a dense histogram (a 200 KB counts array, zeroed, then walked slot by
// slot to merge it): most of histo's time on fire's feedback. Counts decodes
// the V2 encoding straight into its few non-empty slots, reusing its
// buffers, and adds them to a histogram slot by slot; the library is only
// asked for encodings with other parameters than ours.

// countsLen is the number of slots of a histogram with our parameters:
// buckets until 2048 << (b-1) covers highestUS, plus one, times 1024.
var countsLen = func() int {
	buckets, v := 1, int64(2*subBucketHalfCount)
	for v < highestUS {
		v <<= 1
		buckets++
	}
	return (buckets + 1) * subBucketHalfCount
}()

// valueOfIndex is the lowest value counted in slot idx (the inverse of countsIndex).
func valueOfIndex(idx int) int64 {
	if idx < 2*subBucketHalfCount {
		return int64(idx)
	}
	b := idx>>subBucketHalfCountMag - 1
	return int64(idx-b<<subBucketHalfCountMag) << uint(b)
}

// Counts is a histogram decoded as its non-empty slots, in value order. The
// zero value is ready to use; Decode reuses its memory.
type Counts struct {
	idx   []int32
	n     []int64
	total int64

	b64  []byte
	raw  bytes.Buffer
	src  bytes.Reader
	zr   io.ReadCloser
	full *H // for encodings with other parameters
}

// encoding cookies (HdrHistogram V2; the low nibble's 0x10 is masked off)
const (
	cookieV2           = 0x1c849303
	cookieV2Compressed = 0x1c849304
	headerV2           = 40
)

// Decode parses the text form written by Encode (or any V2 compressed
// HdrHistogram), replacing what c held. Input from files is not trusted:
// every malformed encoding is an error, never a panic or a huge allocation.
func (c *Counts) Decode(s string) error {
	c.Reset()
	if len(s) < 12 {
		return fmt.Errorf("bad encoded histogram: %d characters", len(s))
	}
	var err error
	c.b64, err = base64.StdEncoding.AppendDecode(c.b64[:0], []byte(s))
	if err != nil {
		return fmt.Errorf("bad encoded histogram: %v", err)
	}
	be := binary.BigEndian
	if len(c.b64) < 8 || be.Uint32(c.b64)&^0xf0 != cookieV2Compressed {
		return errors.New("bad encoded histogram: not a V2 compressed HdrHistogram")
	}
	n := be.Uint32(c.b64[4:])
	if int64(n) > int64(len(c.b64)-8) {
		return fmt.Errorf("bad encoded histogram: %d compressed bytes announced, %d present", n, len(c.b64)-8)
	}
	c.src.Reset(c.b64[8 : 8+n])
	if err := c.inflate(); err != nil {
		return fmt.Errorf("bad encoded histogram: %v", err)
	}
	raw := c.raw.Bytes()
	if len(raw) < headerV2 || be.Uint32(raw)&^0xf0 != cookieV2 || int(be.Uint32(raw[4:])) != len(raw)-headerV2 {
		return errors.New("bad encoded histogram: bad V2 header")
	}
	digits, lowest, highest := be.Uint32(raw[12:]), be.Uint64(raw[16:]), be.Uint64(raw[24:])
	if digits == sigDigits && lowest == lowestUS && highest == highestUS {
		return c.fill(raw[headerV2:])
	}
	// Another producer's parameters: the library decodes them, within
	// bounds that keep its dense array small (5 digits to 2^63 would be
	// hundreds of megabytes).
	if digits < 1 || digits > sigDigits || lowest < 1 || lowest > highest || highest > 1<<42 {
		return fmt.Errorf("bad encoded histogram: %d digits from %d to %d: expected at most %d digits up to 2^42",
			digits, lowest, highest, sigDigits)
	}
	return c.decodeForeign(s)
}

// inflate decompresses c.src into c.raw, refusing more than an encoding of
// our parameters can hold (a small line must not inflate to gigabytes).
func (c *Counts) inflate() error {
	var err error
	if c.zr == nil {
		c.zr, err = zlib.NewReader(&c.src)
	} else {
		err = c.zr.(zlib.Resetter).Reset(&c.src, nil)
	}
	if err != nil {
		return err
	}
	limit := int64(headerV2 + 10*countsLen)
	c.raw.Reset()
	n, err := c.raw.ReadFrom(io.LimitReader(c.zr, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return errors.New("larger than any histogram of 1 µs to 3 h")
	}
	return nil
}

// fill reads the V2 payload: zig-zag LEB128 numbers (at most 9 bytes, the
// ninth holding 8 bits), a count each, or a negative run of empty slots.
func (c *Counts) fill(p []byte) error {
	idx := 0
	for len(p) > 0 {
		var u uint64
		i := 0
		for ; i < 9; i++ {
			if i == len(p) {
				return errors.New("bad encoded histogram: truncated count")
			}
			if i == 8 {
				u |= uint64(p[i]) << 56
				break
			}
			u |= uint64(p[i]&0x7f) << (7 * i)
			if p[i] < 0x80 {
				break
			}
		}
		p = p[i+1:]
		v := int64(u>>1) ^ -int64(u&1)
		if v < 0 {
			idx += int(min(-uint64(v), uint64(countsLen)+1)) // a run of empty slots
			continue
		}
		if idx >= countsLen {
			return fmt.Errorf("bad encoded histogram: slot %d beyond %d", idx, countsLen)
		}
		if v > 0 {
			if c.total > math.MaxInt64-v {
				return errors.New("bad encoded histogram: its count overflows")
			}
			c.idx, c.n = append(c.idx, int32(idx)), append(c.n, v)
			c.total += v
		}
		idx++
	}
	return nil
}

// decodeForeign takes an encoding with other parameters through the
// library and records its values at our parameters (clamped into our range,
// so nothing is dropped).
func (c *Counts) decodeForeign(s string) (err error) {
	defer func() {
		if r := recover(); r != nil { // the library panics on some malformed encodings
			err = fmt.Errorf("bad encoded histogram: %v", r)
		}
	}()
	hh, err := hdr.Decode([]byte(s))
	if err != nil {
		return fmt.Errorf("bad encoded histogram: %w", err)
	}
	if c.full == nil {
		c.full = New()
	}
	c.full.Reset()
	for _, b := range hh.Distribution() {
		if b.Count > 0 {
			c.full.recordN(b.From, b.Count)
		}
	}
	for i, n := range c.full.h.Export().Counts {
		if n > 0 {
			c.idx, c.n = append(c.idx, int32(i)), append(c.n, n)
			c.total += n
		}
	}
	return nil
}

// Reset empties c (an absent histogram), keeping its memory.
func (c *Counts) Reset() { c.idx, c.n, c.total = c.idx[:0], c.n[:0], 0 }

// Total is the number of recorded values.
func (c *Counts) Total() int64 { return c.total }

// MinUS is the lowest value the first non-empty slot holds (0 if empty).
func (c *Counts) MinUS() int64 {
	if len(c.idx) == 0 {
		return 0
	}
	return valueOfIndex(int(c.idx[0]))
}

// MaxUS is the highest value the last non-empty slot holds, as H.MaxUS.
func (c *Counts) MaxUS() int64 {
	if len(c.idx) == 0 {
		return 0
	}
	return highestEquivalent(valueOfIndex(int(c.idx[len(c.idx)-1])))
}

// Quantile returns what H.Quantile returns for the same histogram.
func (c *Counts) Quantile(q float64) int64 {
	if c.total == 0 {
		return 0
	}
	pct := min(q*100, 100) // computed as the library does, so the two agree to the µs
	rank := int64(pct/100*float64(c.total) + 0.5)
	if rank <= 0 {
		return 0 // the library's answer for a rank below the first value
	}
	var cum int64
	for i, n := range c.n {
		cum += n
		if cum >= rank {
			return highestEquivalent(valueOfIndex(int(c.idx[i])))
		}
	}
	return highestEquivalent(valueOfIndex(int(c.idx[len(c.idx)-1])))
}

// CountAbove counts the values in slots wholly above us, as H.CountAbove.
func (c *Counts) CountAbove(us int64) int64 {
	var n int64
	for i := len(c.idx) - 1; i >= 0 && valueOfIndex(int(c.idx[i])) > us; i-- {
		n += c.n[i]
	}
	return n
}

// countAboveAny counts the values in slots that reach above us.
func (c *Counts) countAboveAny(us int64) int64 {
	var n int64
	for i := len(c.idx) - 1; i >= 0 && highestEquivalent(valueOfIndex(int(c.idx[i]))) > us; i-- {
		n += c.n[i]
	}
	return n
}

// AddCounts adds every value of c to h.
func (h *H) AddCounts(c *Counts) {
	for i, idx := range c.idx {
		_ = h.h.RecordValues(valueOfIndex(int(idx)), c.n[i]) // in range: checked when decoded
	}
}
