package stats

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// BenchmarkMergeFeedback merges 20 segments' feedback (an interval record
// a second for 60 s each): the cost of histo on a segmented run's records.
func BenchmarkMergeFeedback(b *testing.B) {
	t := &testing.T{}
	var files []string
	for i, ss := range segmentSends(20) {
		files = append(files, segmentFile(t, i+1, 20, ss, segOpts{kind: "feedback"}))
	}
	b.ResetTimer()
	for range b.N {
		var ins []Input
		for _, f := range files {
			ins = append(ins, Input{Name: "f", R: strings.NewReader(f)})
		}
		if _, err := Run(context.Background(), Options{Interval: time.Second, Exceed: study}, ins, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLog reads a Locust log of 200,000 responses (and the
// study's "Sending to" lines between), the bench (4) workload.
func BenchmarkParseLog(b *testing.B) {
	g := &genLog{n: 200_000, t: time.Date(2020, 6, 30, 15, 20, 0, 0, time.UTC)}
	var sb strings.Builder
	io.Copy(&sb, g)
	log := strings.ReplaceAll(sb.String(), "ms\n", "ms\n[2020-06-30 15:20:00,000] Juris-MBP.fritz.box/INFO/RepeatingHttpClient: Sending to http://localhost:1337/fake_call\n")
	b.SetBytes(int64(len(log)))
	b.ResetTimer()
	for range b.N {
		if _, err := Run(context.Background(), Options{Interval: time.Second, Exceed: study}, []Input{{"log", strings.NewReader(log)}}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
