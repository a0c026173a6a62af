package ramp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perflab/perflab/lib/record"
	"github.com/perflab/perflab/lib/stats"
)

// ExecDriver runs a foreign load tester per level: a shell command with
// {users}, {duration} ("120s"), {seconds} and {log} filled in, whose
// Locust-format log is read with histo's parser.
//
// Each level's log is a new file in Dir, the run's own place, and is kept:
// the tester writes it when the command uses {log}; else rampctl writes
// the tester's stdout there, or, with LogFile, what the tester appended to
// that file during the level. rampctl never deletes, truncates or writes a
// file it did not create (a user's own log was once lost that way).
type ExecDriver struct {
	Template string
	LogFile  string // the tester's own log (--exec-log), only read
	Dir      string // where each level's log goes
	Stderr   io.Writer
	mu       sync.Mutex
	levels   int
}

// Measure runs the command for one level.
func (e *ExecDriver) Measure(l *Level) Measure {
	return func(ctx context.Context, users int, _ bool) (record.Step, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.levels++
		logPath, err := createNew(e.Dir, fmt.Sprintf("level-%03d-%dusers", e.levels, users), ".log")
		if err != nil {
			return record.Step{}, err
		}
		start := time.Now()
		if err := e.run(ctx, l, users, logPath); err != nil {
			return record.Step{}, err
		}
		st, err := e.read(ctx, l, users, logPath, start)
		if err != nil {
			return st, err
		}
		return st, sleep(ctx, l.Pause)
	}
}

// run runs the tester for one level and leaves its log at logPath.
func (e *ExecDriver) run(ctx context.Context, l *Level, users int, logPath string) error {
	secs := int(l.Duration.Round(time.Second) / time.Second)
	cmdline := strings.NewReplacer("{users}", strconv.Itoa(users), "{duration}", strconv.Itoa(secs)+"s",
		"{seconds}", strconv.Itoa(secs), "{log}", shellQuote(logPath)).Replace(e.Template)
	var from int64 // where this level's part of LogFile starts
	if e.LogFile != "" {
		if fi, err := os.Stat(e.LogFile); err == nil {
			from = fi.Size()
		}
	}
	// bound the run: the tester gets its duration plus a minute, then is killed
	cctx, cancel := context.WithTimeout(ctx, l.Duration+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, "sh", "-c", cmdline)
	cmd.Stderr, cmd.Stdout = e.Stderr, e.Stderr
	var out *os.File
	if e.LogFile == "" && !strings.Contains(e.Template, "{log}") {
		f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		out, cmd.Stdout = f, f
	}
	stop := e.tick(l, users)
	err := cmd.Run()
	stop()
	if out != nil {
		if cerr := out.Close(); cerr != nil {
			return fmt.Errorf("writing %s: %v", logPath, cerr)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "rampctl: %q: %v (its log is still evaluated)\n", cmdline, err)
	}
	if e.LogFile != "" {
		return copyTail(e.LogFile, from, logPath)
	}
	return nil
}

// tick tells the level's progress every second while the tester runs (its
// statistics are read only at the end); stop ends it.
func (e *ExecDriver) tick(l *Level, users int) (stop func()) {
	if l.Progress == nil {
		return func() {}
	}
	start, done := time.Now(), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				l.Progress(users, time.Since(start), nil)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// read evaluates a level's log: what completed after the warm-up.
func (e *ExecDriver) read(ctx context.Context, l *Level, users int, logPath string, start time.Time) (record.Step, error) {
	f, err := os.Open(logPath)
	if err != nil {
		return record.Step{}, err
	}
	defer f.Close()
	opts := stats.Options{Since: start.Add(l.Warmup), TimeScale: l.TimeScale, Problems: &record.Problems{Tool: "rampctl", W: e.Stderr}}
	res, err := stats.Run(ctx, opts, []stats.Input{{Name: logPath, R: f}}, io.Discard)
	if err != nil {
		return record.Step{}, err
	}
	st := FromStats(users, &res.Summary)
	st.Pass = l.Req.Evaluate(&res.Summary).Pass
	st.Headroom = math.Min(l.Req.Headroom(&res.Summary), 1e9)
	return st, nil
}

// copyTail copies what src holds from offset on (all of it if src shrank:
// the tester started it anew) to dst.
func copyTail(src string, from int64, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("--exec-log: %v", err)
	}
	defer in.Close()
	if fi, err := in.Stat(); err == nil && fi.Size() < from {
		from = 0
	}
	if _, err := in.Seek(from, io.SeekStart); err != nil {
		return fmt.Errorf("--exec-log: %v", err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying %s to %s: %v", src, dst, err)
	}
	return nil
}

// createNew creates an empty file dir/base+ext that did not exist (base-2,
// base-3, … when it did: a resumed run writes beside the first one).
func createNew(dir, base, ext string) (string, error) {
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		p := filepath.Join(dir, name+ext)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) && i < 1000 {
			continue
		}
		if err != nil {
			return "", err
		}
		return p, f.Close()
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
