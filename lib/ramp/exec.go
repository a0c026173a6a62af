package ramp

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/stats"
)

// ExecDriver runs a foreign load tester per level: a shell command with
// {users} and {duration} filled in, whose Locust-format log (its stdout or
// LogFile) is read with histo's parser.
type ExecDriver struct {
	Template string
	LogFile  string
	Stderr   io.Writer
	mu       sync.Mutex
}

// Measure runs the command for one level.
func (e *ExecDriver) Measure(l *Level) Measure {
	return func(ctx context.Context, users int, _ bool) (record.Step, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		secs := int(l.Duration.Round(time.Second) / time.Second)
		cmdline := strings.NewReplacer("{users}", strconv.Itoa(users), "{duration}", strconv.Itoa(secs)+"s",
			"{seconds}", strconv.Itoa(secs)).Replace(e.Template)
		if e.LogFile != "" {
			os.Remove(e.LogFile)
		}
		// bound the run: the tester gets its duration plus a minute, then is killed
		cctx, cancel := context.WithTimeout(ctx, l.Duration+time.Minute)
		defer cancel()
		cmd := exec.CommandContext(cctx, "sh", "-c", cmdline)
		cmd.Stderr = e.Stderr
		var out strings.Builder
		cmd.Stdout = &out
		start := time.Now()
		if err := cmd.Run(); err != nil && cctx.Err() == nil {
			fmt.Fprintf(e.Stderr, "rampctl: %q: %v (its log is still evaluated)\n", cmdline, err)
		}
		var r io.Reader = strings.NewReader(out.String())
		name := "stdout of " + cmdline
		if e.LogFile != "" {
			f, err := os.Open(e.LogFile)
			if err != nil {
				return record.Step{}, fmt.Errorf("--exec-log: %v", err)
			}
			defer f.Close()
			r, name = f, e.LogFile
		}
		res, err := stats.Run(ctx, stats.Options{Since: start.Add(l.Warmup), Warn: e.Stderr, TimeScale: l.TimeScale}, []stats.Input{{Name: name, R: r}}, io.Discard)
		if err != nil {
			return record.Step{}, err
		}
		st := FromStats(users, &res.Summary)
		st.Pass = l.Req.Evaluate(&res.Summary).Pass
		st.Headroom = math.Min(l.Req.Headroom(&res.Summary), 1e9)
		if l.Pause > 0 {
			time.Sleep(l.Pause)
		}
		return st, nil
	}
}
