// Command target is a bare fasthttp server answering 200 with no work, the
// common target of the load-generator benchmarks (bench/run.sh). With
// -sleep it sleeps that long per request, as a server with latency would.
package main

import (
	"flag"
	"log"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:18500", "address")
	sleep := flag.Duration("sleep", 0, "sleep per request")
	flag.Parse()
	h := func(ctx *fasthttp.RequestCtx) {
		if *sleep > 0 {
			time.Sleep(*sleep)
		}
		ctx.SetStatusCode(200)
	}
	log.Fatal((&fasthttp.Server{Handler: h, NoDefaultDate: true, NoDefaultServerHeader: true}).ListenAndServe(*addr))
}
