// Command arssim simulates the Alarm Receiving Software of the MASCOTS 2020
// study: an HTTP server with the study's processing-time and fault models.
package arssim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/alecthomas/kong"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/regress"
	"github.com/perflab/perflab/lib/simserver"
	"github.com/perflab/perflab/sims/arssim/ars"
	"github.com/perflab/perflab/sims/arssim/models"
)

type flags struct {
	Version       kong.VersionFlag `help:"Print the version and exit."`
	Config        kong.ConfigFlag  `help:"JSON file of flag values (keys as flag names, e.g. {\"model\":\"lr\"}); flags on the command line win."`
	Listen        string           `default:"127.0.0.1:1337" help:"Address to listen on."`
	Preset        string           `default:"staging" enum:"staging,production" help:"Parameter preset, the ARS's two parameter sets: staging (2 s min, 10 s max processing) or production (6 s, 2799 s)."`
	Model         string           `default:"minimal" enum:"minimal,random,lr,none" help:"Processing-time model: minimal (paper: FIFO, fixed time), random, lr (regression), none (answer at once)."`
	Processing    time.Duration    `help:"Min processing time (minimal: every request's time; random: upper bound). Default: the preset's."`
	MaxProcessing time.Duration    `help:"Max processing time (lr: cap on one request). Default: the preset's."`
	ModelFile     string           `help:"lr model: a shipped name (rast-2022, ridge-2023, lr-2020) or a JSON file. Default: rast-2022."`
	Faults        string           `default:"none" help:"Fault schedule: none, every:DURATION, mascots (minutes 5, 6, 7, then every 7 min), file:PATH."`
	DetectMin     time.Duration    `default:"26s" help:"Fault detection time, lower bound (uniform)."`
	DetectMax     time.Duration    `default:"34s" help:"Fault detection time, upper bound."`
	Position      int              `default:"2" help:"Position of this ARS in the server check list (adds 2 s per place after the first)."`
	Reaction      time.Duration    `default:"1s" help:"Operator reaction time."`
	Recovery      time.Duration    `default:"500ms" help:"Recovery action time."`
	TimeScale     float64          `default:"1" help:"Multiply every model duration (processing, detection, reaction, recovery, schedule) by this."`
	Seed          int64            `default:"42" help:"Seed of every random choice."`
	Log           string           `help:"Write the original ARS log lines to this file (- for stdout)."`
	Events        string           `help:"Write fault events as JSON lines to this file (- for stdout), for plotrt."`
	MaxInflight   int              `default:"100000" help:"Requests in the model at once at most; more get 503 at once."`
	ControlToken  string           `env:"ARSSIM_CONTROL_TOKEN" help:"Token (header X-Control-Token) that opens the control endpoint to non-loopback peers."`
}

// Run is the arssim command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("arssim", &f, args, stdout, stderr,
		kong.Description("Simulated Alarm Receiving Software (MASCOTS 2020). POST/PUT: 200 after the model's processing time, "+
			"500 at once while faulted; GET/DELETE: 200. Control: POST /_arssim/fault, GET /_arssim/state (loopback or token).\n\n"+
			"Exit codes: 0 ok (stopped by a signal), 2 usage or input error."),
		kong.Configuration(simserver.JSONConfig)); !ok {
		return code
	}
	return cli.Fail(stderr, "arssim", run(ctx, &f, stdout, stderr))
}

// open opens --log or --events ("-": stdout). Not a cli.Output: its first
// error sticks, while the simulator keeps trying (simserver.Output counts
// and reports each failed write), so a disk that frees up is written again.
func open(path string, stdout io.Writer) (io.WriteCloser, error) {
	switch path {
	case "":
		return nil, nil
	case "-":
		return nopCloser{stdout}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, cli.Usagef("%s: %v", path, errors.Unwrap(err))
	}
	return f, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func run(ctx context.Context, f *flags, stdout, stderr io.Writer) error {
	p := ars.Presets[f.Preset]
	if f.Processing == 0 {
		f.Processing = p.Processing
	}
	if f.MaxProcessing == 0 {
		f.MaxProcessing = p.MaxProcessing
	}
	if f.ModelFile == "" {
		f.ModelFile = p.ModelFile
	}
	if f.DetectMax < f.DetectMin {
		return cli.Usagef("--detect-max must be >= --detect-min")
	}
	sched, err := ars.ParseSchedule(f.Faults)
	if err != nil {
		return cli.Usage(err)
	}
	cfg := ars.Config{
		Model: f.Model, Processing: f.Processing, MaxProcessing: f.MaxProcessing, Faults: sched, Seed: f.Seed,
		MaxInflight: f.MaxInflight, ControlToken: f.ControlToken, LogName: f.Log, EventsName: f.Events,
		FaultParams: ars.FaultParams{DetectMin: f.DetectMin, DetectMax: f.DetectMax, Position: f.Position,
			Reaction: f.Reaction, Recovery: f.Recovery, Scale: f.TimeScale},
	}
	if f.Model == "lr" {
		shipped := models.FS
		if cfg.LR, err = regress.Open(shipped, f.ModelFile); err != nil {
			return cli.Usage(err)
		}
	}
	logW, err := open(f.Log, stdout)
	if err != nil {
		return cli.Usage(err)
	}
	evW, err := open(f.Events, stdout)
	if err != nil {
		return cli.Usage(err)
	}
	if logW != nil {
		defer logW.Close()
		cfg.Log = logW
	}
	if evW != nil {
		defer evW.Close()
		cfg.Events = evW
	}
	s, err := ars.NewServer(cfg)
	if err != nil {
		return cli.Usage(err)
	}
	ln, err := net.Listen("tcp", f.Listen)
	if err != nil {
		return cli.Usage(fmt.Errorf("cannot listen on %s: %v", f.Listen, err))
	}
	fmt.Fprintf(stderr, "arssim: listening on %s (model %s, preset %s, faults %s, time scale %g)\n",
		ln.Addr(), f.Model, f.Preset, f.Faults, f.TimeScale)
	cli.OnSecondSignal(ctx, s.Close)
	s.Start()
	defer s.Close()
	err = simserver.Serve(ctx, s.NewHTTPServer(), ln, 2*time.Second)
	s.Lateness().Report(stderr, "arssim")
	return err
}
