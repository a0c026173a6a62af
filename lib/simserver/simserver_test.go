package simserver

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestGateBoundsTheModel(t *testing.T) {
	g := Gate{Max: 2}
	first, second, third := g.Enter(), g.Enter(), g.Enter()
	if !first || !second || third {
		t.Fatal("a gate of 2 must admit two and turn the third away")
	}
	g.Leave()
	if g.Inflight() != 1 || !g.Enter() {
		t.Fatal("a left request frees its place")
	}
	if g.Turned() != 1 {
		t.Fatalf("turned away %d, want 1", g.Turned())
	}
	var open Gate
	for i := 0; i < 1000; i++ {
		if !open.Enter() {
			t.Fatal("Max 0 is no bound")
		}
	}
}

func TestLatenessRecordsAndReports(t *testing.T) {
	l := NewLateness()
	now := time.Now()
	for i := 0; i < 99; i++ {
		l.Done(now) // due now: late by the time it takes to record
	}
	l.Done(now.Add(-50 * time.Millisecond))
	n, p99, worst := l.Accuracy()
	if n != 100 || worst < 50*time.Millisecond || worst > 150*time.Millisecond || p99 > 20*time.Millisecond {
		t.Fatalf("n %d p99 %v worst %v", n, p99, worst)
	}
	var b bytes.Buffer
	l.Report(&b, "sim")
	if !strings.HasPrefix(b.String(), "sim: 100 requests; answers left ") {
		t.Fatalf("report %q", b.String())
	}
}
