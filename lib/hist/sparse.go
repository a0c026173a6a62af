package hist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// An interval of a few thousand samples does not need a 24k-slot histogram:
// Acc keeps its raw values and encodes them straight into HdrHistogram's V2
// compressed format. The index arithmetic below is HdrHistogram's for our
// fixed parameters (lowest 1, 3 significant digits: 2048 sub-buckets);
// TestSparseEncodingMatchesLibrary holds it equal to the library's.
const (
	subBucketHalfCountMag = 10
	subBucketHalfCount    = 1 << subBucketHalfCountMag
	subBucketMask         = 2*subBucketHalfCount - 1
)

func bucketIndex(v int64) int {
	return 64 - bits.LeadingZeros64(uint64(v|subBucketMask)) - (subBucketHalfCountMag + 1)
}

func countsIndex(v int64) int {
	b := bucketIndex(v)
	return (b+1)<<subBucketHalfCountMag + int(v>>uint(b)) - subBucketHalfCount
}

// highestEquivalent is the largest value that shares v's histogram slot: the
// value HdrHistogram reports for a percentile landing on v.
func highestEquivalent(v int64) int64 {
	b := bucketIndex(v)
	return (v>>uint(b))<<uint(b) + int64(1)<<uint(b) - 1
}

// quantileSorted returns what HdrHistogram's ValueAtQuantile would for the
// same values: nearest rank, reported as the slot's highest equivalent value.
func quantileSorted(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int64(q*float64(len(sorted)) + 0.5)
	rank = min(max(rank, 1), int64(len(sorted)))
	return highestEquivalent(sorted[rank-1])
}

var zpool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

// encodeSorted writes sorted values as the base64 text of a V2 compressed
// histogram, decodable by hdrhistogram-go's Decode.
func encodeSorted(sorted []int64) string {
	var counts []byte
	var tmp [binary.MaxVarintLen64]byte
	put := func(v int64) {
		n := binary.PutVarint(tmp[:], v) // zig-zag LEB128, as the V2 format
		counts = append(counts, tmp[:n]...)
	}
	next := 0 // next counts index to write
	for i := 0; i < len(sorted); {
		idx := countsIndex(sorted[i])
		n := int64(0)
		for i < len(sorted) && countsIndex(sorted[i]) == idx {
			n++
			i++
		}
		if z := idx - next; z > 1 {
			put(-int64(z))
		} else if z == 1 {
			put(0)
		}
		put(n)
		next = idx + 1
	}
	var raw bytes.Buffer
	be := binary.BigEndian
	var h [40]byte
	be.PutUint32(h[0:], uint32(0x1c849303|0x10)) // V2 encoding cookie
	be.PutUint32(h[4:], uint32(len(counts)))
	be.PutUint32(h[8:], 0) // normalizing index offset
	be.PutUint32(h[12:], sigDigits)
	be.PutUint64(h[16:], lowestUS)
	be.PutUint64(h[24:], highestUS)
	be.PutUint64(h[32:], math.Float64bits(1.0))
	raw.Write(h[:])
	raw.Write(counts)
	var comp bytes.Buffer
	zw := zpool.Get().(*zlib.Writer)
	zw.Reset(&comp)
	zw.Write(raw.Bytes())
	zw.Close()
	zpool.Put(zw)
	out := make([]byte, 8, 8+comp.Len())
	be.PutUint32(out[0:], uint32(0x1c849304|0x10)) // V2 compressed cookie
	be.PutUint32(out[4:], uint32(comp.Len()))
	out = append(out, comp.Bytes()...)
	return base64.StdEncoding.EncodeToString(out)
}

func sortValues(v []int64) { slices.Sort(v) }
