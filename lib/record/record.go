// Package record declares every JSON-lines record the perflab tools exchange,
// once: the plan stream (plan, scenario, stage, end), samples, statistics
// (interval, summary), verdicts, rampctl's steps and result, arssim's events
// and state, and a run's manifest. docs/formats.md specifies them and a test
// keeps the two in step. Reader is the one way every tool reads them.
package record

// Record type names: the "type" field of every record.
const (
	TypePlan     = "plan"     // plan header
	TypeScenario = "scenario" // what a virtual user or an arrival does
	TypeStage    = "stage"    // a change of users or rate
	TypeEnd      = "end"      // end of a plan
	TypeSample   = "sample"   // one completed send (fire --format jsonl)
	TypeInterval = "interval" // statistics of a time interval
	TypeSummary  = "summary"  // statistics of a whole run
	TypeVerdict  = "verdict"  // a requirement's checks
	TypeStep     = "step"     // one load level of rampctl
	TypeResult   = "result"   // rampctl's answer
	TypeEvent    = "event"    // one step of arssim's fault management
	TypeState    = "state"    // arssim's GET /_arssim/state
	TypeManifest = "manifest" // a run directory's manifest.json
	TypeSegment  = "segment"  // start and end of one segment of a segmented run
)

// Version is the stream format's version (docs/formats.md): the plan
// header's and the manifest's "version".
const Version = 1

// New returns a pointer to a new zero record of type typ, or nil for a type
// this package does not declare.
func New(typ string) any {
	switch typ {
	case TypePlan, TypeScenario, TypeStage, TypeEnd:
		return &Plan{}
	case TypeSample:
		return &Sample{}
	case TypeInterval, TypeSummary:
		return &Stats{}
	case TypeVerdict:
		return &Verdict{}
	case TypeStep:
		return &Step{}
	case TypeResult:
		return &Result{}
	case TypeEvent:
		return &Event{}
	case TypeState:
		return &State{}
	case TypeManifest:
		return &Manifest{}
	case TypeSegment:
		return &Segment{}
	}
	return nil
}

// Types lists every record type, in the order docs/formats.md presents them.
func Types() []string {
	return []string{TypePlan, TypeScenario, TypeStage, TypeEnd, TypeSample, TypeInterval, TypeSummary,
		TypeVerdict, TypeStep, TypeResult, TypeEvent, TypeState, TypeManifest, TypeSegment}
}
