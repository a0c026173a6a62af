package fire

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Target is where fire sends: scheme, dial address and base path.
type Target struct {
	TLS  bool
	Addr string // host:port to dial
	Host string // Host header
	Base string // path prefix without trailing slash
}

// ParseTarget accepts "host:port", ":port" (127.0.0.1), or an http(s) URL
// (its port defaults to the scheme's). Errors say what was expected.
func ParseTarget(s string) (Target, error) {
	orig := s
	bad := func(why string) (Target, error) {
		return Target{}, fmt.Errorf("--target %q: %s", orig, why)
	}
	const expected = "expected host:port, :port or an http(s) URL"
	if s == "" {
		return bad(expected)
	}
	if !strings.Contains(s, "://") {
		if _, err := strconv.Atoi(s); err == nil {
			return bad(fmt.Sprintf("expected host:port or :port (did you mean \":%s\"?)", s))
		}
		if strings.HasPrefix(s, ":") {
			s = "127.0.0.1" + s
		}
		if _, _, err := net.SplitHostPort(s); err != nil {
			return bad("expected host:port or :port, or an http(s) URL")
		}
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return bad(expected)
	}
	t := Target{TLS: u.Scheme == "https", Host: u.Host, Base: strings.TrimSuffix(u.Path, "/")}
	host, port := u.Hostname(), u.Port() // brackets of an IPv6 literal removed
	if port == "" {
		port = "80"
		if t.TLS {
			port = "443"
		}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return bad(fmt.Sprintf("port %q: expected 1 to 65535", port))
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if strings.ContainsAny(host, "[]/ ") {
		return bad(expected)
	}
	t.Addr = net.JoinHostPort(host, port)
	return t, nil
}

// URL returns the full URL of path on the target.
func (t Target) URL(path string) string {
	scheme := "http"
	if t.TLS {
		scheme = "https"
	}
	return scheme + "://" + t.Host + t.Base + path
}
