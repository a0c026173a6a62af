package simserver

import (
	"runtime"

	"github.com/perflab/perflab/lib/record"
)

// Fill sets the process-wide connection counters of s from reg.
func (reg *Conns) Fill(s *record.State) {
	s.Conns = int64(reg.Open())
	s.Goroutines = runtime.NumGoroutine()
	s.FDExhausted = reg.Exhausted.Load()
	s.ConnsShed = reg.Shed.Load()
	s.ConnsRefused = reg.Refused.Load()
	s.ConnErrors = reg.ConnErrors.Load()
}

// FillOutputs sets the write-error counters of s from the log and event outputs (either may be nil).
func FillOutputs(s *record.State, log, events *Output) {
	s.LogWriteErrors, s.LogBytesLost = log.Errors(), log.Lost()
	s.EventsWriteErrors, s.EventsBytesLost = events.Errors(), events.Lost()
}
