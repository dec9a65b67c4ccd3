// Package notify sends what OnboardIQ has to tell people and systems: email
// over SMTP and signed webhooks, through an HTTP client that refuses to
// reach private networks.
package notify

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/onboardiq/onboardiq"
)

// Guard decides which webhook URLs and addresses may be reached. Unless
// AllowPrivate, it refuses loopback, private, link-local (cloud metadata
// among them), CGNAT, multicast and unspecified addresses, at registration
// and again at dial time on the address the name resolved to, so a name
// that later resolves elsewhere cannot slip through.
type Guard struct {
	AllowPrivate bool
	// Lookup resolves a host name; nil means the system resolver.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
var benchmarks = netip.MustParsePrefix("198.18.0.0/15")

// Forbidden reports why addr may not be reached, or "".
func (g *Guard) Forbidden(addr netip.Addr) string {
	if g.AllowPrivate {
		return ""
	}
	addr = addr.Unmap()
	switch {
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsPrivate():
		return "a private address"
	case addr.IsLinkLocalUnicast():
		return "a link-local address (cloud metadata lives there)"
	case addr.IsMulticast(), addr.IsLinkLocalMulticast(), addr.IsInterfaceLocalMulticast():
		return "a multicast address"
	case addr.IsUnspecified(), thisNetwork.Contains(addr):
		return "an unspecified address"
	case cgnat.Contains(addr):
		return "a carrier-grade NAT address"
	case benchmarks.Contains(addr), addr == netip.MustParseAddr("255.255.255.255"):
		return "a reserved address"
	}
	return ""
}

func (g *Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	if g.Lookup != nil {
		return g.Lookup(ctx, host)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	return ips, err
}

// CheckURL validates a webhook URL for registration: https (http only when
// allowHTTP or private targets are allowed), a host, no credentials, and
// every address the host resolves to allowed.
func (g *Guard) CheckURL(ctx context.Context, raw string, allowHTTP bool) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return onboardiq.Invalid("url", "must be an absolute https:// URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (allowHTTP || g.AllowPrivate):
	case u.Scheme == "http":
		return onboardiq.Invalid("url", "must use https (an admin may allow http for this endpoint with allow_http)")
	default:
		return onboardiq.Invalid("url", "must be an https:// URL")
	}
	if u.User != nil {
		return onboardiq.Invalid("url", "must not carry credentials; verify deliveries with the signing secret")
	}
	addrs, err := g.lookup(ctx, u.Hostname())
	if err != nil || len(addrs) == 0 {
		return onboardiq.Invalid("url", "the host %s does not resolve", u.Hostname())
	}
	for _, a := range addrs {
		if why := g.Forbidden(a); why != "" {
			return onboardiq.Invalid("url", "the host %s resolves to %s, %s; set ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE=true for on-premises targets", u.Hostname(), a, why)
		}
	}
	return nil
}

// DialContext resolves addr's host itself, refuses forbidden addresses,
// and dials an allowed one by IP.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	var d net.Dialer
	var lastErr error = fmt.Errorf("%s has no address", host)
	for _, a := range addrs {
		if why := g.Forbidden(a); why != "" {
			lastErr = fmt.Errorf("refused to connect to %s: %s is %s", host, a, why)
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}
