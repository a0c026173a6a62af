package fire

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	cases := map[string]string{
		":8089":                      "127.0.0.1:8089",
		"localhost:1337":             "localhost:1337",
		"http://127.0.0.1:8080/base": "127.0.0.1:8080",
		"https://localhost":          "localhost:443",
		"http://[::1]/x":             "[::1]:80", // found by fuzzing: was [[::1]]:80
		"[::1]:8089":                 "[::1]:8089",
	}
	for in, want := range cases {
		tg, err := ParseTarget(in)
		if err != nil || tg.Addr != want {
			t.Errorf("%q: %+v %v, want %s", in, tg, err, want)
		}
	}
	if tg, _ := ParseTarget("http://127.0.0.1:8080/base/"); tg.URL("/x") != "http://127.0.0.1:8080/base/x" {
		t.Errorf("base path: %s", tg.URL("/x"))
	}
	for _, bad := range []string{"ftp://x", "]0", "", "8089", ":99999", ":0", "localhost", "http://u:p@h:1/"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// --target: accepted targets dial a host:port; rejected ones say what was expected.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{":8089", "127.0.0.1:1337", "http://localhost:8080/tools.descartes.teastore.webui", "https://[::1]/x", "ftp://x", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tgt, err := ParseTarget(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "--target") {
				t.Fatalf("error %q: not one line about --target", err)
			}
			return
		}
		_, port, err := net.SplitHostPort(tgt.Addr)
		if err != nil {
			t.Fatalf("%q → dial address %q: %v", s, tgt.Addr, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			t.Fatalf("%q → port %q", s, port)
		}
	})
}
