// Package netguard decides which addresses OnboardIQ may reach on behalf
// of a tenant (webhook targets): the store checks a URL with it when an
// endpoint is registered or changed, and the webhook sender dials through
// it, so a name that later resolves elsewhere is refused too.
package netguard

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/onboardiq/onboardiq"
)

// Guard decides which webhook URLs and addresses may be reached, at
// registration and again at dial time on the addresses the name resolves
// to then, so a name that later resolves elsewhere (DNS rebinding) cannot
// slip through: both go through Forbidden.
//
// Refused always: every special-purpose range of IANA's registries
// (specialRanges), IPv6 outside global unicast, link-local addresses and
// the cloud metadata services (by address and by name), and any IPv6
// address that carries (NAT64, 6to4, Teredo, IPv4-mapped) a refused IPv4
// address. AllowPrivate opens the private ranges only: RFC 1918,
// unique-local (fc00::/7), loopback, shared address space (100.64.0.0/10)
// and local-use NAT64, for an on-premises target.
type Guard struct {
	AllowPrivate bool
	// Lookup resolves a host name; nil means the system resolver.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Forbidden reports why addr may not be reached, or "".
func (g *Guard) Forbidden(addr netip.Addr) string {
	return g.forbidden(addr.WithZone(""))
}

func (g *Guard) forbidden(a netip.Addr) string {
	s, ok := lookupRange(a)
	if !ok {
		if a.Is6() && !globalUnicast.Contains(a) {
			return fmt.Sprintf("%s is outside the IPv6 global unicast range %s", a, globalUnicast)
		}
		return ""
	}
	in := fmt.Sprintf("%s is in %s (%s)", a, s.prefix, s.name)
	switch {
	case s.kind == neverReach:
		return in + ", which is never reachable from webhooks (link-local and cloud metadata)"
	case s.kind == reserved:
		return in + ", a special-purpose range"
	case s.kind == private && !g.AllowPrivate:
		return in + ", a private range; set ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE=true for on-premises targets"
	}
	if s.embedded == nil {
		return ""
	}
	for _, e := range s.embedded(a) {
		why := g.forbidden(e)
		if s.guessed {
			if ranged, ok := lookupRange(e); !ok || ranged.kind != neverReach {
				continue
			}
		}
		if why != "" {
			return fmt.Sprintf("%s, and carries %s: %s", in, e, why)
		}
	}
	return ""
}

// forbiddenHost reports why a host name may not be reached, or "".
func forbiddenHost(host string) string {
	if metadataHosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
		return fmt.Sprintf("%s is a cloud metadata service, which is never reachable from webhooks", host)
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
	if why := forbiddenHost(u.Hostname()); why != "" {
		return onboardiq.Invalid("url", "%s", why)
	}
	addrs, err := g.lookup(ctx, u.Hostname())
	if err != nil || len(addrs) == 0 {
		return onboardiq.Invalid("url", "the host %s does not resolve", u.Hostname())
	}
	for _, a := range addrs {
		if why := g.Forbidden(a); why != "" {
			return onboardiq.Invalid("url", "the host %s may not be reached: %s", u.Hostname(), why)
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
	if why := forbiddenHost(host); why != "" {
		return nil, fmt.Errorf("refused to connect to %s: %s", host, why)
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	var d net.Dialer
	var lastErr error = fmt.Errorf("%s has no address", host)
	for _, a := range addrs {
		if why := g.Forbidden(a); why != "" {
			lastErr = fmt.Errorf("refused to connect to %s: %s", host, why)
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
