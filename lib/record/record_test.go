package record

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestSampleRoundTrip(t *testing.T) {
	s := Sample{Type: TypeSample, TS: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		Scheduled: time.Date(2026, 1, 2, 3, 4, 4, 0, time.UTC), Name: `fake"call`, LatencyUS: 1234567,
		Status: 500, Tries: 4, Error: "gave up", Users: 7, Run: "r1", Segment: "2/4"}
	var got Sample
	if err := json.Unmarshal(s.AppendJSON(nil), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip: got %+v, want %+v", got, s)
	}
	if !got.Failed() {
		t.Fatal("status 500 must count as failed")
	}
}
