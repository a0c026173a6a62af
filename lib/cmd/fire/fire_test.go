package fire

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perflab/perflab/lib/cli/clitest"
)

// TestCLI runs fire in process over the cases in testdata/cases.txt.
func TestCLI(t *testing.T) { clitest.Run(t, "testdata/cases.txt", Run) }

const openPlan = `{"type":"plan","version":1,"seed":7}
{"type":"scenario","steps":[{"method":"GET","path":"/"}]}
{"type":"stage","at_ms":0,"rate_rps":50}
{"type":"end","at_ms":200}
`

// The requirement flags are histo's: a violated one is exit 1 with the
// verdict on stderr, a held one exit 0.
func TestRequirementExitCodes(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { time.Sleep(20 * time.Millisecond) }}
	go s.Serve(ln)
	defer s.Shutdown()
	for _, c := range []struct {
		req    string
		code   int
		stderr string
	}{
		{"--max-p99=5ms", 1, "fire: requirement p99<=5ms: VIOLATED\nfire: requirement violated\n"},
		{"--require=study", 0, "fire: requirement mean<=10s,max<=30s: held\n"},
	} {
		var out, stderr bytes.Buffer
		code := Run(context.Background(), []string{"-t", ln.Addr().String(), "--progress", "0", c.req},
			strings.NewReader(openPlan), &out, &stderr)
		if code != c.code || !strings.HasSuffix(stderr.String(), c.stderr) || strings.Count(out.String(), "Response time") != 10 {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", c.req, code, c.code, stderr.String())
		}
	}
}
