// Package plan is the plan command: it writes a load plan as JSON lines on
// stdout, for fire. (It imports the plan library, lib/plan, under the same
// name.)
package plan

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
)

// request describes the one request of a generic scenario.
type request struct {
	Method string            `default:"GET" help:"HTTP method."`
	Path   string            `default:"/" help:"Request path."`
	Body   string            `help:"Request body."`
	Header map[string]string `short:"H" help:"Request header (repeatable): -H Content-Type=application/json."`
	Repeat bool              `help:"Repeat each send until a 2xx answer arrives (the study's repeating client)."`
	Think  time.Duration     `default:"0s" help:"Closed model: think time after each completed send."`
}

func (q *request) scenario(name string) *record.Plan {
	return &record.Plan{Type: record.TypeScenario, Name: name, ThinkMS: ms(q.Think), Steps: []record.Request{{
		Name: "request", Method: q.Method, Path: q.Path, Body: q.Body, Headers: q.Header, Repeat: q.Repeat}}}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type mascotsCmd struct {
	Devices  int           `default:"1" help:"Number of alarm devices (virtual users)."`
	Duration time.Duration `default:"0s" help:"Run length (0: until stopped)."`
	Spawn    float64       `default:"0" help:"Devices started per second (0: all at once)."`
	Think    time.Duration `default:"1s" help:"Wait after each answer (the study's 1 s; scale it with the simulator's --time-scale)."`
}

func (c *mascotsCmd) Run(g *globals) error {
	sc := &record.Plan{Type: record.TypeScenario, Name: "alarm-device", ThinkMS: ms(c.Think), Steps: []record.Request{plan.AlarmStep}}
	return plan.Closed(g.enc, "mascots", g.Seed, sc, c.Devices, c.Spawn, c.Duration)
}

type multiCmd struct {
	mascotsCmd
}

func (c *multiCmd) Run(g *globals) error {
	sc := &record.Plan{Type: record.TypeScenario, Name: "alarm-device-multi", ThinkMS: ms(c.Think),
		Steps: []record.Request{plan.AlarmStep, plan.StatusStep, plan.StatusStep}}
	return plan.Closed(g.enc, "multi", g.Seed, sc, c.Devices, c.Spawn, c.Duration)
}

type constantCmd struct {
	Users    int           `xor:"model" help:"Closed model: this many virtual users."`
	Rate     float64       `xor:"model" help:"Open model: arrivals per second."`
	Duration time.Duration `required:"" help:"Run length."`
	Poisson  bool          `help:"Open model: exponential inter-arrival times instead of uniform."`
	Spawn    float64       `default:"0" help:"Closed model: users started per second (0: all at once)."`
	request
}

func (c *constantCmd) Run(g *globals) error {
	if (c.Users > 0) == (c.Rate > 0) {
		return cli.Usagef("plan constant: expected exactly one of --users N or --rate R (> 0)")
	}
	sc := c.scenario("constant")
	if c.Users > 0 {
		return plan.Closed(g.enc, "constant", g.Seed, sc, c.Users, c.Spawn, c.Duration)
	}
	return plan.Open(g.enc, "constant", g.Seed, sc, c.Rate, c.Poisson, c.Duration)
}

type stepsCmd struct {
	From  int           `default:"1" help:"Users in the first step."`
	Step  int           `default:"10" help:"Users added per step."`
	Every time.Duration `default:"2m" help:"Length of a step."`
	Until int           `default:"0" help:"Last step's users (0: no end)."`
	Think time.Duration `default:"1s" help:"Think time after each send."`
}

func (c *stepsCmd) Run(g *globals) error {
	sc := &record.Plan{Type: record.TypeScenario, Name: "alarm-device", ThinkMS: ms(c.Think), Steps: []record.Request{plan.AlarmStep}}
	return cli.Usage(plan.Steps(g.enc, g.Seed, sc, c.From, c.Step, c.Every, c.Until))
}

type traceCmd struct {
	File    string  `arg:"" help:"Production load file (YYYY-MM-DD HH:MM:SS<TAB>RPS: N/s lines); - is stdin."`
	Speedup float64 `default:"1" help:"Play the trace this many times faster (60: an hour in a minute)."`
	From    string  `help:"Start at this time of day (HH:MM:SS)."`
	To      string  `help:"Stop before this time of day (HH:MM:SS)."`
	Names   string  `help:"Request-name list to draw each request from (default: All_Request_Names.log beside FILE, else POST /fake_call)."`
	Alarms  float64 `name:"alarm-share" default:"-1" help:"Share of the drawn requests that are alarms (${alarm}). Default: from FILE's name: 0 for Requests_without_alarms_DAY.log; for All_requests_per_time_unit_DAY.log, the difference of the two files' totals (3.2 % on 2020-12-28); otherwise every name alike."`
}

func (c *traceCmd) Run(g *globals) error {
	in, err := cli.OpenIn(c.File, g.stdin)
	if err != nil {
		return cli.Usage(err)
	}
	defer in.Close()
	names := c.Names
	if names == "" && c.File != "-" {
		names = plan.NamesBeside(c.File)
	}
	sc := &record.Plan{Type: record.TypeScenario, Name: "production", Steps: []record.Request{plan.AlarmStep}}
	if names != "" {
		steps, err := plan.RequestNames(names)
		if err != nil {
			return cli.Usage(err)
		}
		if c.Alarms > 1 || (c.Alarms < 0 && c.Alarms != -1) {
			return cli.Usagef("--alarm-share %v: expected 0 to 1 (or -1: from the file's name)", c.Alarms)
		}
		share, ok := c.Alarms, c.Alarms >= 0
		if !ok && c.File != "-" {
			if share, ok, err = plan.AlarmShare(c.File); err != nil {
				return cli.Usage(err)
			}
		}
		if ok {
			if steps, err = plan.WeightAlarms(steps, share); err != nil {
				return cli.Usage(err)
			}
			fmt.Fprintf(os.Stderr, "plan: %.2f %% of the requests are alarms (%s)\n", share*100, plan.AlarmName)
		}
		sc.Name, sc.Steps, sc.Order = "production", steps, "random"
	}
	return cli.Usage(plan.Trace(g.enc, g.Seed, sc, in, cli.DisplayName(c.File), c.Speedup, c.From, c.To))
}

type productionCmd struct {
	Users     int           `default:"70" help:"Users, each POSTing a request name drawn from --names (the alarm packet left out) after each think."`
	Devices   int           `default:"14" help:"Alarm devices POSTing /${alarmName}, resent until answered (14 at a mean of 55 s send the 22,479 alarms of 2020-12-28)."`
	Think     time.Duration `default:"1s" help:"Users' wait after each answer."`
	DeviceMin time.Duration `name:"device-think-min" default:"20s" help:"Alarm devices' shortest wait after an answer (EN 50136 SP6)."`
	DeviceMax time.Duration `name:"device-think-max" default:"90s" help:"Alarm devices' longest wait (DP4); each wait is drawn between the two."`
	Duration  time.Duration `default:"0s" help:"Run length (0: until stopped)."`
	Names     string        `help:"The production ARS's request names, one a line (default: ${namesFile} from the working directory, else from the repository of this binary)."`
}

const namesFile = "../shared/data/gs-production-workload/All_Request_Names.log"

// defaultNames finds the shared data's name list from the working directory
// or from the repository the binary was built in (bin/plan → ../../shared).
func defaultNames() (string, error) {
	tried := []string{namesFile}
	if exe, err := os.Executable(); err == nil {
		tried = append(tried, filepath.Join(filepath.Dir(exe), "..", namesFile))
	}
	for _, p := range tried {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no request-name list at %s: give --names FILE", strings.Join(tried, " or "))
}

func (c *productionCmd) Run(g *globals) error {
	var names []record.Request
	if c.Users > 0 {
		var err error
		if c.Names == "" {
			if c.Names, err = defaultNames(); err != nil {
				return cli.Usage(err)
			}
		}
		if names, err = plan.RequestNames(c.Names); err != nil {
			return cli.Usagef("--names: %v", err)
		}
	}
	return cli.Usage(plan.Production(g.enc, g.Seed, names, c.Users, c.Devices, c.Think, c.DeviceMin, c.DeviceMax, c.Duration))
}

type profileCmd struct {
	File     string  `arg:"" help:"Load profile CSV (time_s,rps); - is stdin."`
	Workload string  `default:"request" enum:"request,teastore" help:"request: the one request of --method/--path (open model, rps as arrivals); teastore: TeaStore browsing sessions, rps as users thinking 1 s (the study's Locust shape)."`
	Buy      float64 `default:"0" help:"teastore: chance that a session buys."`
	request
}

func (c *profileCmd) Run(g *globals) error {
	in, err := cli.OpenIn(c.File, g.stdin)
	if err != nil {
		return cli.Usage(err)
	}
	defer in.Close()
	if c.Workload == "teastore" {
		think := c.Think
		if think == 0 {
			think = time.Second
		}
		return cli.Usage(plan.Profile(g.enc, g.Seed, plan.TeaStore(think, c.Buy), in, cli.DisplayName(c.File), true))
	}
	return cli.Usage(plan.Profile(g.enc, g.Seed, c.scenario("profile"), in, cli.DisplayName(c.File), false))
}

type teastoreCmd struct {
	Users    int           `default:"1" help:"Virtual users, each running browsing sessions."`
	Duration time.Duration `default:"0s" help:"Run length (0: until stopped)."`
	Think    time.Duration `default:"1s" help:"Wait after each request."`
	Buy      float64       `default:"0.5" help:"Chance that a session buys (TeaStore's example: 50/50)."`
	Spawn    float64       `default:"0" help:"Users started per second (0: all at once)."`
}

func (c *teastoreCmd) Run(g *globals) error {
	if c.Buy < 0 || c.Buy > 1 {
		return cli.Usagef("--buy must be in [0, 1]")
	}
	return plan.Closed(g.enc, "teastore", g.Seed, plan.TeaStore(c.Think, c.Buy), c.Users, c.Spawn, c.Duration)
}

type globals struct {
	Version kong.VersionFlag `help:"Print the version and exit."`
	Seed    int64            `default:"42" help:"Seed written into the plan for every random choice."`
	enc     *plan.Encoder
	stdin   io.Reader
}

type cmd struct {
	globals
	Mascots    mascotsCmd    `cmd:"" help:"The study's alarm devices: POST /fake_call, repeat until 2xx, think 1 s."`
	Multi      multiCmd      `cmd:"" help:"Alarm devices that also POST /get_status twice per alarm."`
	Constant   constantCmd   `cmd:"" help:"Constant load: --users N (closed) or --rate R (open)."`
	Steps      stepsCmd      `cmd:"" help:"Linear step plan of alarm devices: --from N --step N --every D [--until N]."`
	Trace      traceCmd      `cmd:"" help:"Replay a production load file as an open-model arrival rate."`
	Production productionCmd `cmd:"" help:"The production ARS's workload: 70 users POSTing request names once a second and alarm devices every 20–90 s."`
	Profile    profileCmd    `cmd:"" help:"Replay a time_s,rps load profile (TeaStore's) as an open-model rate."`
	Teastore   teastoreCmd   `cmd:"" help:"TeaStore browsing sessions (home, login, browse, buy, profile, logout) for fire against teasim or a real TeaStore."`
}

// Run is the plan command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c cmd
	k, code, ok := cli.Parse("plan", &c, args, stdout, stderr,
		kong.Vars{"alarm": "POST /" + plan.AlarmName, "alarmName": plan.AlarmName, "namesFile": namesFile},
		kong.Description("Write a load plan as JSON lines on stdout (docs/formats.md), for fire.\n\nExit codes: 0 ok, 2 usage or input error."))
	if !ok {
		return code
	}
	c.enc, c.stdin = plan.NewEncoder(stdout), stdin
	err := k.Run(&c.globals)
	if err == nil {
		if err = c.enc.Flush(); err != nil {
			err = fmt.Errorf("writing plan: %w", err)
		}
	}
	return cli.Fail(stderr, "plan", err)
}
