package rampctl

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/ramp"
	"github.com/perflab/perflab/lib/record"
)

// loadFunc returns what fire is sent for a level: the study's alarm
// devices, or what --plan-cmd prints.
func loadFunc(f *flags) func(int) (ramp.Load, error) {
	if f.PlanCmd == "" {
		return deviceLoad(f)
	}
	return func(users int) (ramp.Load, error) {
		cmdline := strings.ReplaceAll(f.PlanCmd, "{users}", strconv.Itoa(users))
		out, err := runPlanCmd(cmdline)
		if err != nil {
			return ramp.Load{}, err
		}
		return readLoad(out, cmdline, f.Seed)
	}
}

// deviceLoad is the default workload: the study's alarm devices.
func deviceLoad(f *flags) func(int) (ramp.Load, error) {
	sc := &record.Plan{Type: record.TypeScenario, Name: "alarm-device", ThinkMS: float64(f.Think) / 1e6, Steps: []record.Request{plan.AlarmStep}}
	sent := false
	return func(users int) (ramp.Load, error) {
		var l ramp.Load
		if !sent {
			l.Scenarios, sent = []*record.Plan{sc}, true
		}
		// new devices start spread over one think time, not all in the
		// same millisecond: real devices are not synchronised, and a
		// burst would measure the start-up, not the level
		st := &record.Plan{Type: record.TypeStage, Users: plan.Ptr(users)}
		if f.Think > 0 {
			st.SpawnRate = float64(users) / f.Think.Seconds()
		}
		l.Stages = []*record.Plan{st}
		return l, nil
	}
}

// runPlanCmd runs a level's plan command; plan beside rampctl comes first
// on its PATH, as fire is found.
func runPlanCmd(cmdline string) (*bytes.Buffer, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command("sh", "-c", cmdline)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if exe, err := os.Executable(); err == nil {
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(exe)+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("--plan-cmd %q: %v: %s", cmdline, err, strings.TrimSpace(errb.String()))
	}
	return &out, nil
}

// readLoad keeps every scenario of a plan and the first stage of each
// group (a plan with groups, like plan production, sets them all at a
// level); the rest (later stages, the end) is rampctl's to decide.
func readLoad(r io.Reader, cmdline string, seed int64) (ramp.Load, error) {
	dec := plan.NewDecoder(r, "--plan-cmd output")
	var l ramp.Load
	scenario, staged := map[string]bool{}, map[string]bool{}
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ramp.Load{}, err
		}
		switch {
		case rec.Type == record.TypePlan && rec.Seed != 0 && rec.Seed != seed:
			// a seed in the plan that the run ignores would look reproducible and not be
			return ramp.Load{}, fmt.Errorf("--plan-cmd %q writes seed %d, but rampctl sends fire seed %d: give both the same seed (rampctl --seed, plan --seed)", cmdline, rec.Seed, seed)
		case rec.Type == record.TypeScenario:
			l.Scenarios = append(l.Scenarios, rec)
			scenario[rec.Group] = true
		case rec.Type == record.TypeStage && !staged[rec.Group]:
			if !scenario[rec.Group] {
				return ramp.Load{}, fmt.Errorf("--plan-cmd %q: a stage for group %q before its scenario", cmdline, rec.Group)
			}
			l.Stages = append(l.Stages, rec)
			staged[rec.Group] = true
		}
	}
	if len(l.Stages) == 0 {
		return ramp.Load{}, fmt.Errorf("--plan-cmd %q: expected a scenario and a stage", cmdline)
	}
	return l, nil
}
