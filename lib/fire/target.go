package fire

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Target is where fire sends: scheme, dial address and base path.
type Target struct {
	TLS  bool
	Addr string // host:port to dial
	Host string // Host header
	Base string // path prefix without trailing slash
}

// ParseTarget accepts "host:port", ":port" (127.0.0.1), or an http(s) URL.
func ParseTarget(s string) (Target, error) {
	orig := s
	if s == "" {
		return Target{}, fmt.Errorf("empty --target")
	}
	if !strings.Contains(s, "://") {
		if strings.HasPrefix(s, ":") {
			s = "127.0.0.1" + s
		}
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Target{}, fmt.Errorf("bad --target %q: expected host:port, :port or an http(s) URL", orig)
	}
	t := Target{TLS: u.Scheme == "https", Host: u.Host, Base: strings.TrimSuffix(u.Path, "/")}
	host, port := u.Hostname(), u.Port() // brackets of an IPv6 literal removed
	if port == "" {
		port = "80"
		if t.TLS {
			port = "443"
		}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	t.Addr = net.JoinHostPort(host, port)
	if _, _, err := net.SplitHostPort(t.Addr); err != nil || strings.ContainsAny(host, "[]") {
		return Target{}, fmt.Errorf("bad --target %q: expected host:port, :port or an http(s) URL", orig)
	}
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
