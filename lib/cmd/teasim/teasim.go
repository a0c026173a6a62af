// Command teasim simulates the TeaStore WebUI: its pages, actions, redirects
// and session cookie, answering after the learned processing-time model.
package teasim

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/cli"
	"github.com/perflab/perflab/lib/regress"
	"github.com/perflab/perflab/lib/simserver"
	"github.com/perflab/perflab/sims/teasim/models"
	"github.com/perflab/perflab/sims/teasim/store"
)

type flags struct {
	Version     kong.VersionFlag `help:"Print the version and exit."`
	Config      kong.ConfigFlag  `help:"JSON file of flag values; flags on the command line win."`
	Listen      string           `default:"127.0.0.1:8080" help:"Address of the WebUI (under /tools.descartes.teastore.webui/)."`
	LogsListen  string           `default:"127.0.0.1:8081" help:"Address of the log endpoint (GET /logs/reset); empty: none."`
	ModelFile   string           `default:"rast-2022-teastore" help:"Processing-time model: a shipped name or a JSON model file (features pr1, pr3, type)."`
	TimeScale   float64          `default:"1" help:"Multiply every model duration by this."`
	Seed        int64            `default:"42" help:"Seed of the recommendations shown on product pages."`
	Log         string           `help:"Write one line per request (command, processing time, status) to this file."`
	Events      string           `help:"Write JSON-lines events (logs_reset) to this file."`
	MaxInflight int              `default:"100000" help:"Requests in the model at once at most; more get 503 at once."`
}

// Run is the teasim command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f flags
	if _, code, ok := cli.Parse("teasim", &f, args, stdout, stderr,
		kong.Description("Simulated TeaStore WebUI: pages and actions of the real one, session state in the sessionBlob cookie, "+
			"each answer after the RAST 2022 model's processing time (X-Process-Time).\n\nExit codes: 0 ok (stopped by a signal), 2 usage or input error."),
		kong.Configuration(simserver.JSONConfig)); !ok {
		return code
	}
	return cli.Fail(stderr, "teasim", run(ctx, &f, stdout, stderr))
}

func run(ctx context.Context, f *flags, stdout, stderr io.Writer) error {
	shipped := models.FS
	m, err := regress.Open(shipped, f.ModelFile)
	if err != nil {
		return cli.Usage(err)
	}
	store.Seed = f.Seed
	cfg := store.Config{Model: m, TimeScale: f.TimeScale, MaxInflight: f.MaxInflight, LogName: f.Log, EventsName: f.Events}
	for _, o := range []struct {
		path string
		w    *io.Writer
	}{{f.Log, &cfg.Log}, {f.Events, &cfg.Events}} {
		if o.path == "" {
			continue
		}
		w, err := os.Create(o.path)
		if err != nil {
			return cli.Usage(err)
		}
		defer w.Close()
		*o.w = w
	}
	s, err := store.NewServer(cfg)
	if err != nil {
		return cli.Usage(err)
	}
	ln, err := net.Listen("tcp", f.Listen)
	if err != nil {
		return cli.Usage(fmt.Errorf("cannot listen on %s: %v", f.Listen, err))
	}
	cli.OnSecondSignal(ctx, s.Flush)
	ctx, cancel := context.WithCancel(ctx) // one server failing stops the other
	defer cancel()
	errc := make(chan error, 2)
	serve := func(h fasthttp.RequestHandler, name string, ln net.Listener) {
		err := simserver.Serve(ctx, simserver.HTTP(h, name), ln, 2*time.Second)
		cancel()
		errc <- err
	}
	go serve(s.Handler, "teasim", ln)
	servers := 1
	if f.LogsListen != "" {
		lln, err := net.Listen("tcp", f.LogsListen)
		if err != nil {
			return cli.Usage(fmt.Errorf("cannot listen on %s: %v", f.LogsListen, err))
		}
		go serve(s.LogsHandler, "teasim-logs", lln)
		servers++
	}
	fmt.Fprintf(stderr, "teasim: WebUI on http://%s%s/ (logs on %s), model %s, time scale %g\n",
		ln.Addr(), store.Prefix, f.LogsListen, strings.TrimSuffix(f.ModelFile, ".json"), f.TimeScale)
	for i := 0; i < servers; i++ {
		if e := <-errc; e != nil && err == nil {
			err = e
		}
	}
	s.Flush()
	s.Lateness().Report(stderr, "teasim")
	return err
}
