package ramp

import (
	"context"
	"io"

	"github.com/perflab/perflab/lib/record"
)

// ReadSteps reads the step records of an interrupted run (for --resume),
// with the tools' one record reader: a malformed line, such as the
// truncated last line a crash leaves, is reported and skipped.
func ReadSteps(r io.Reader, name string, p *record.Problems) (map[int]record.Step, error) {
	out := map[int]record.Step{}
	rd := record.NewReader(context.Background(), r, name, p)
	for rd.Next() {
		var s record.Step
		if rd.Type() != record.TypeStep || !rd.Decode(&s) {
			continue
		}
		if prev, ok := out[s.Users]; ok && !prev.Pass {
			continue // a level that failed once stays failed
		}
		out[s.Users] = s
	}
	return out, rd.Err()
}

// Resuming wraps m so levels already recorded are not measured again.
func Resuming(done map[int]record.Step, m Measure) Measure {
	return func(ctx context.Context, users int, quick bool) (record.Step, error) {
		if s, ok := done[users]; ok {
			delete(done, users) // a repeat measures again
			s.Resumed = true
			return s, nil
		}
		return m(ctx, users, quick)
	}
}
