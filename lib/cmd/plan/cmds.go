package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/plan"
	"github.com/perflab/perflab/lib/record"
)

// Each subcommand checks its flags first (flagError), then writes its plan.

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

func (c *mascotsCmd) check() error {
	return first(checkCount("--devices", c.Devices, 1), checkDuration("--duration", c.Duration, true),
		checkSpawn("--spawn", c.Spawn, c.Devices), checkDuration("--think", c.Think, true))
}

func (c *mascotsCmd) Run(g *globals) error {
	if err := c.check(); err != nil {
		return err
	}
	sc := &record.Plan{Type: record.TypeScenario, Name: "alarm-device", ThinkMS: ms(c.Think), Steps: []record.Request{plan.AlarmStep}}
	return plan.Closed(g.direct(), "mascots", g.Seed, sc, c.Devices, c.Spawn, c.Duration)
}

type multiCmd struct {
	mascotsCmd
}

func (c *multiCmd) Run(g *globals) error {
	if err := c.check(); err != nil {
		return err
	}
	sc := &record.Plan{Type: record.TypeScenario, Name: "alarm-device-multi", ThinkMS: ms(c.Think),
		Steps: []record.Request{plan.AlarmStep, plan.StatusStep, plan.StatusStep}}
	return plan.Closed(g.direct(), "multi", g.Seed, sc, c.Devices, c.Spawn, c.Duration)
}

type constantCmd struct {
	Users    int           `xor:"model" help:"Closed model: this many virtual users."`
	Rate     float64       `xor:"model" help:"Open model: arrivals per second."`
	Duration time.Duration `default:"0s" help:"Run length (0: until stopped)."`
	Poisson  bool          `help:"Open model: exponential inter-arrival times instead of uniform."`
	Spawn    float64       `default:"0" help:"Closed model: users started per second (0: all at once)."`
	request
}

func (c *constantCmd) check() error {
	var model error
	switch {
	case c.Users == 0 && c.Rate == 0:
		model = fmt.Errorf("expected --users N (closed model) or --rate R (open model)")
	case c.Users != 0:
		model = first(checkCount("--users", c.Users, 1), checkSpawn("--spawn", c.Spawn, c.Users))
		if model == nil && c.Poisson {
			model = fmt.Errorf("--poisson: applies to --rate (the open model) only")
		}
	default:
		model = checkRate("--rate", c.Rate)
		if model == nil && c.Spawn != 0 {
			model = fmt.Errorf("--spawn %v: applies to --users (the closed model) only", c.Spawn)
		}
	}
	return first(badFlag(model), checkDuration("--duration", c.Duration, true), c.request.check())
}

func (c *constantCmd) Run(g *globals) error {
	if err := c.check(); err != nil {
		return err
	}
	sc := c.scenario("constant")
	if c.Users > 0 {
		return plan.Closed(g.direct(), "constant", g.Seed, sc, c.Users, c.Spawn, c.Duration)
	}
	return plan.Open(g.direct(), "constant", g.Seed, sc, c.Rate, c.Poisson, c.Duration)
}

type stepsCmd struct {
	From  int           `default:"1" help:"Users in the first step."`
	Step  int           `default:"10" help:"Users added per step."`
	Every time.Duration `default:"2m" help:"Length of a step."`
	Until int           `default:"0" help:"Last step's users (0: no limit; the plan goes on to plan.MaxUsers users, streamed as fire reads it)."`
	Think time.Duration `default:"1s" help:"Think time after each send."`
}

func (c *stepsCmd) Run(g *globals) error {
	if err := first(badFlag(plan.CheckSteps(c.From, c.Step, c.Every, c.Until)), checkDuration("--think", c.Think, true)); err != nil {
		return err
	}
	sc := &record.Plan{Type: record.TypeScenario, Name: "alarm-device", ThinkMS: ms(c.Think), Steps: []record.Request{plan.AlarmStep}}
	return plan.Steps(g.ctx, g.direct(), g.Seed, sc, c.From, c.Step, c.Every, c.Until)
}

type traceCmd struct {
	File    string  `arg:"" help:"Production load file (YYYY-MM-DD HH:MM:SS<TAB>RPS: N/s lines); - is stdin."`
	Speedup float64 `default:"1" help:"Play the trace this many times faster (60: an hour in a minute)."`
	From    string  `help:"Start at this time of day (HH:MM:SS)."`
	To      string  `help:"Stop before this time of day (HH:MM:SS)."`
	Names   string  `help:"Request-name list to draw each request from (default: All_Request_Names.log beside FILE, else POST /fake_call)."`
	Alarms  float64 `name:"alarm-share" default:"-1" help:"Share of the drawn requests that are alarms (${alarm}). Default: from FILE's name: 0 for Requests_without_alarms_DAY.log; for All_requests_per_time_unit_DAY.log, the difference of the two files' totals (3.2 % on 2020-12-28); otherwise every name alike."`
}

func (c *traceCmd) check() error {
	if !(c.Speedup > 0 && c.Speedup <= plan.MaxRateRPS) {
		return badFlag(fmt.Errorf("--speedup %v: expected more than 0, at most %g", c.Speedup, plan.MaxRateRPS))
	}
	for _, f := range [][2]string{{"--from", c.From}, {"--to", c.To}} {
		if _, err := time.Parse(time.TimeOnly, f[1]); f[1] != "" && err != nil {
			return badFlag(fmt.Errorf("%s %q: expected a time of day HH:MM:SS", f[0], f[1]))
		}
	}
	if c.Alarms != -1 {
		return checkShare("--alarm-share", c.Alarms)
	}
	return nil
}

func (c *traceCmd) Run(g *globals) error {
	if err := c.check(); err != nil {
		return err
	}
	sc, err := c.scenario(g)
	if err != nil {
		return err
	}
	in, err := cli.OpenIn(c.File, g.stdin)
	if err != nil {
		return err
	}
	defer in.Close()
	return cli.Usage(plan.Trace(g.ctx, g.spooled(), g.Seed, sc, in, cli.DisplayName(c.File), c.Speedup, c.From, c.To))
}

// scenario is the trace's scenario: the alarm, or the request names drawn
// with the alarms' share.
func (c *traceCmd) scenario(g *globals) (*record.Plan, error) {
	sc := &record.Plan{Type: record.TypeScenario, Name: "production", Steps: []record.Request{plan.AlarmStep}}
	names := c.Names
	if names == "" && c.File != "-" {
		names = plan.NamesBeside(c.File)
	}
	if names == "" {
		return sc, nil
	}
	steps, err := plan.RequestNames(names)
	if err != nil {
		return nil, cli.Usage(err)
	}
	share, ok := c.Alarms, c.Alarms >= 0
	if !ok && c.File != "-" {
		if share, ok, err = plan.AlarmShare(c.File); err != nil {
			return nil, cli.Usage(err)
		}
	}
	if ok {
		if steps, err = plan.WeightAlarms(steps, share); err != nil {
			return nil, cli.Usagef("%s: %v", names, err)
		}
		fmt.Fprintf(g.stderr, "plan: %.2f %% of the requests are alarms (%s)\n", share*100, plan.AlarmName)
	}
	sc.Steps, sc.Order = steps, "random"
	return sc, nil
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
	err := first(badFlag(plan.CheckProduction(c.Users, c.Devices, c.Think, c.DeviceMin, c.DeviceMax)),
		checkDuration("--duration", c.Duration, true))
	if err != nil {
		return err
	}
	var names []record.Request
	if c.Users > 0 {
		if c.Names == "" {
			if c.Names, err = defaultNames(); err != nil {
				return cli.Usage(err)
			}
		}
		if names, err = plan.RequestNames(c.Names); err != nil {
			return cli.Usage(err)
		}
	}
	return cli.Usage(plan.Production(g.direct(), g.Seed, names, c.Users, c.Devices, c.Think, c.DeviceMin, c.DeviceMax, c.Duration))
}

type profileCmd struct {
	File     string  `arg:"" help:"Load profile CSV (time_s,rps); - is stdin."`
	Workload string  `default:"request" enum:"request,teastore" help:"request: the one request of --method/--path (open model, rps as arrivals); teastore: TeaStore browsing sessions, rps as users thinking 1 s (the study's Locust shape)."`
	Buy      float64 `default:"0" help:"teastore: chance that a session buys."`
	request
}

func (c *profileCmd) Run(g *globals) error {
	if err := first(checkShare("--buy", c.Buy), c.request.check()); err != nil {
		return err
	}
	sc := c.scenario("profile")
	if c.Workload == "teastore" {
		think := c.Think
		if think == 0 {
			think = time.Second
		}
		sc = plan.TeaStore(think, c.Buy)
	}
	in, err := cli.OpenIn(c.File, g.stdin)
	if err != nil {
		return err
	}
	defer in.Close()
	return cli.Usage(plan.Profile(g.ctx, g.spooled(), g.Seed, sc, in, cli.DisplayName(c.File), c.Workload == "teastore"))
}

type teastoreCmd struct {
	Users    int           `default:"1" help:"Virtual users, each running browsing sessions."`
	Duration time.Duration `default:"0s" help:"Run length (0: until stopped)."`
	Think    time.Duration `default:"1s" help:"Wait after each request."`
	Buy      float64       `default:"0.5" help:"Chance that a session buys (TeaStore's example: 50/50)."`
	Spawn    float64       `default:"0" help:"Users started per second (0: all at once)."`
}

func (c *teastoreCmd) Run(g *globals) error {
	err := first(checkCount("--users", c.Users, 1), checkDuration("--duration", c.Duration, true),
		checkDuration("--think", c.Think, true), checkShare("--buy", c.Buy), checkSpawn("--spawn", c.Spawn, c.Users))
	if err != nil {
		return err
	}
	return plan.Closed(g.direct(), "teastore", g.Seed, plan.TeaStore(c.Think, c.Buy), c.Users, c.Spawn, c.Duration)
}
