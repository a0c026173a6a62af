package rampctl

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func runArgs(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runFake(context.Background(), args, nil, &out, &errb)
	return out.String(), errb.String(), code
}

// A failed write on --legacy-log stops the run (exit 2) and loses nothing:
// the level's record is in -o, and --resume continues to the same answer.
func TestLegacyLogWriteErrorKeepsRecords(t *testing.T) {
	dir := t.TempDir()
	steps := filepath.Join(dir, "steps.jsonl")
	search := []string{"--fire", "$FAKEFIRE", "--target", "service=1ms", "--think", "100ms", "--max-p99", "200ms", "--step-duration", "2s", "--warmup", "1s"}
	_, stderr, code := runArgs(t, append(search, "--legacy-log", "/dev/full", "-o", steps)...)
	if code != 2 || !strings.Contains(stderr, "rampctl: writing /dev/full: no space left on device (after 1 level: continue with --resume "+steps+")") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	b, _ := os.ReadFile(steps)
	if !regexp.MustCompile(`^\{"type":"step","users":10,[^\n]*\}\n$`).Match(b) {
		t.Fatalf("-o holds %q, want the first level's record, whole", b)
	}
	out, stderr, code := runArgs(t, append(search, "--resume", steps)...)
	if code != 0 || strings.Count(out, `"resumed":true`) != 1 || !strings.Contains(out, `"saturation_users":300,"first_fail_users":308`) {
		t.Fatalf("resumed: exit %d\n%s\n%s", code, out, stderr)
	}
}

// locust writes a Locust log line with the time now; its latency is
// {users} × 10 ms.
const logLine = `echo "[$(date '+%Y-%m-%d %H:%M:%S,%3N')] h/INFO/x: Response time {users}0 ms"`

// --exec: each level's log is a new file in the run's directory, read from
// there; a log of the user's (--exec-log) is read, never deleted or cut.
func TestExecLogsKeptPerLevel(t *testing.T) {
	for _, tc := range []struct {
		name, exec string
		own        bool // --exec-log own.log
	}{
		{"stdout", "sleep 0.3; " + logLine + "; " + logLine, false},
		{"{log}", "sleep 0.3; (" + logLine + "; " + logLine + ") >> {log}", false},
		{"--exec-log", "sleep 0.3; (" + logLine + "; " + logLine + ") >> OWN", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			own := filepath.Join(dir, "own.log")
			old := "[2020-06-30 15:20:02,168] h/INFO/x: Response time 99999 ms\n"
			os.WriteFile(own, []byte(old), 0o644)
			args := []string{"--exec", strings.ReplaceAll(tc.exec, "OWN", own), "--start", "4", "--max-users", "6", "--search", "linear",
				"--step", "1", "--max-mean", "55ms", "--step-duration", "1s", "--warmup", "100ms", "-o", filepath.Join(dir, "steps.jsonl")}
			if tc.own {
				args = append(args, "--exec-log", own)
			}
			_, stderr, code := runArgs(t, args...)
			if code != 0 || !strings.Contains(stderr, "rampctl: each level's log is kept in "+filepath.Join(dir, "steps.levels")+"\n") {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "steps.jsonl"))
			for _, want := range []string{`"users":4,.*"count":2,"errors":0,"mean_ms":40,`, `"users":5,.*"count":2,"errors":0,"mean_ms":50,`,
				`"users":6,.*"count":2,"errors":0,"mean_ms":60,.*"pass":false`, `"saturation_users":5,"first_fail_users":6`} {
				if !regexp.MustCompile(want).Match(b) {
					t.Fatalf("no record matches %s:\n%s", want, b)
				}
			}
			for i, users := range []string{"4", "5", "6"} {
				lv, err := os.ReadFile(filepath.Join(dir, "steps.levels", "level-00"+string(rune('1'+i))+"-"+users+"users.log"))
				if err != nil || strings.Count(string(lv), "Response time "+users+"0 ms") != 2 || strings.Count(string(lv), "\n") != 2 {
					t.Fatalf("level %s's log: %q, %v", users, lv, err)
				}
			}
			if b, _ := os.ReadFile(own); !strings.HasPrefix(string(b), old) {
				t.Fatalf("own.log lost its first line: %q", b)
			}
		})
	}
}
