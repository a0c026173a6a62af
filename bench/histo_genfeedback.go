//go:build ignore

// histo_genfeedback writes the feedback files of a segmented run, as N
// `fire --segment I/N --feedback` would: for the histo merge benchmark.
//
//	go run bench/histo_genfeedback.go DIR SEGMENTS SECONDS RATE
//
// DIR/seg-I.jsonl holds segment I's start mark, an interval record a second
// (run, segment, encoded histogram) of RATE responses a second (about 2 s
// each, a tail to 30 s, one error in 200), its summary and its end mark.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/perflab/perflab/lib/hist"
	"github.com/perflab/perflab/lib/record"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: go run bench/histo_genfeedback.go DIR SEGMENTS SECONDS RATE")
		os.Exit(2)
	}
	dir := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	secs, _ := strconv.Atoi(os.Args[3])
	rate, _ := strconv.Atoi(os.Args[4])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i := 1; i <= n; i++ {
		if err := segment(filepath.Join(dir, fmt.Sprintf("seg-%d.jsonl", i)), i, n, secs, rate); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func segment(path string, i, n, secs, rate int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	put := func(v any) {
		b, _ := json.Marshal(v)
		w.Write(append(b, '\n'))
	}
	start := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	id := record.SegmentID(i, n)
	lag := float64(i%7) * 0.9
	mark := record.Segment{Type: record.TypeSegment, Run: "bench", Segment: id, Phase: record.SegmentStart,
		TS: start.Add(time.Duration(lag * float64(time.Millisecond))), StartAt: start, LagMS: lag}
	put(mark)
	x := uint64(i)*0x9e3779b97f4a7c15 + 1
	iv, total := hist.NewAcc(), hist.NewAcc()
	for s := 0; s < secs; s++ {
		at := start.Add(time.Duration(s) * time.Second)
		for k := 0; k < rate; k++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			us := int64(1_950_000 + x%100_000)
			if x%1000 == 0 {
				us = int64(2_000_000 + x%28_000_000) // the tail: a fault's long answers
			}
			t := at.Add(time.Duration(k) * time.Second / time.Duration(rate))
			failed := x%200 == 7
			iv.Add(t, us, failed)
			total.Add(t, us, failed)
		}
		iv.Start, iv.End = at, at.Add(time.Second)
		st := iv.Stats(record.TypeInterval, true)
		st.Run, st.Segment = "bench", id
		put(&st)
		iv.Reset()
	}
	sum := total.Stats(record.TypeSummary, true)
	sum.Run, sum.Segment = "bench", id
	put(&sum)
	end := mark
	end.Phase, end.TS, end.Status, end.Count, end.Errors = record.SegmentEnd, start.Add(time.Duration(secs)*time.Second), record.SegmentOK, sum.Count, sum.Errors
	put(end)
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
