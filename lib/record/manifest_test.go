package record

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The distributed run's manifest fields in docs/formats.md decode into
// Manifest with no field unknown, and what they say survives the trip.
func TestManifestExampleInFormatsDoc(t *testing.T) {
	b, err := os.ReadFile("../../docs/formats.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "A segmented run on many machines")
	if i < 0 {
		t.Fatal("docs/formats.md lost its distributed manifest example")
	}
	doc = doc[i:]
	start := strings.Index(doc, "```json\n") + len("```json\n")
	end := strings.Index(doc[start:], "```")
	dec := json.NewDecoder(bytes.NewReader([]byte(doc[start : start+end])))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("the example does not decode into Manifest: %v", err)
	}
	if len(m.Hosts) != 2 || len(m.Segments) != 2 || m.Complete == nil || *m.Complete || m.HistoExit == nil || *m.HistoExit != 5 {
		t.Fatalf("decoded %+v", m)
	}
	s := m.Segments[1]
	if s.Segment != "2/2" || s.Exit != 137 || s.LagMS == nil || *s.LagMS != 1.4 || s.Status != "" || m.Hosts[1].SSHLogin != ":" {
		t.Fatalf("segment 2: %+v, host 2: %+v", s, m.Hosts[1])
	}
	// an unsegmented run's manifest has none of these fields
	out, _ := json.Marshal(Manifest{Type: TypeManifest})
	for _, f := range []string{"run", "start_at", "hosts", "segments", "complete", "histo_exit"} {
		if strings.Contains(string(out), `"`+f+`"`) {
			t.Errorf("unsegmented manifest has %q: %s", f, out)
		}
	}
}
