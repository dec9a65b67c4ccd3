package web

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address of the client that sent r. It is the TCP peer,
// unless the peer is one of TrustedProxies: then it is the rightmost
// address of X-Forwarded-For (or, when there is none, of Forwarded's for=)
// that is not a trusted proxy. Addresses left of it were written by the
// client and are not believed. It is the zero Addr when the peer cannot be
// read.
func (h *Handler) clientAddr(r *http.Request) netip.Addr {
	addr := parseHop(r.RemoteAddr)
	if !addr.IsValid() || !h.trusted(addr) {
		return addr
	}
	hops := forwardedHops(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHop(hops[i])
		if !a.IsValid() {
			// Only a client writes nonsense, and only left of what the
			// proxies added: stop at the nearest proxy.
			return addr
		}
		if !h.trusted(a) {
			return a
		}
		addr = a
	}
	return addr
}

func (h *Handler) trusted(a netip.Addr) bool {
	for _, p := range h.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedHops lists the addresses a request passed through, oldest first:
// X-Forwarded-For's, or when it is absent Forwarded's for= parameters
// (RFC 7239).
func forwardedHops(header http.Header) []string {
	var hops []string
	if xff := header.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, line := range xff {
			for hop := range strings.SplitSeq(line, ",") {
				hops = append(hops, strings.TrimSpace(hop))
			}
		}
		return hops
	}
	for _, line := range header.Values("Forwarded") {
		for element := range strings.SplitSeq(line, ",") {
			for pair := range strings.SplitSeq(element, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hops = append(hops, strings.Trim(v, `"`))
				}
			}
		}
	}
	return hops
}

// parseHop reads an address as proxies write it: 192.0.2.1, 2001:db8::1,
// 192.0.2.1:4711 or [2001:db8::1]:4711. It returns the zero Addr for
// anything else ("unknown", obfuscated identifiers).
func parseHop(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// addrKey is what the per-address limiter counts: an IPv4 address, or an
// IPv6 address's /64 (one subscriber's usual allocation, which a client can
// otherwise walk through at will).
func addrKey(r *http.Request, a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "peer " + r.RemoteAddr
	case a.Is6():
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
