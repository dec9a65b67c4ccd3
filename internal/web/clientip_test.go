package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	h := &Handler{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}}
	for _, tc := range []struct {
		name, peer  string
		xff, fwd    []string
		want, limit string
	}{
		{"no proxy", "192.0.2.1:5000", nil, nil, "192.0.2.1", "192.0.2.1"},
		{"untrusted peer, forged header", "192.0.2.1:5000", []string{"203.0.113.9"}, nil, "192.0.2.1", "192.0.2.1"},
		{"untrusted peer, forged Forwarded", "192.0.2.1:5000", nil, []string{"for=203.0.113.9"}, "192.0.2.1", "192.0.2.1"},
		{"trusted proxy", "10.0.0.2:5000", []string{"203.0.113.9"}, nil, "203.0.113.9", "203.0.113.9"},
		{"trusted proxy, client's forged entries on the left", "10.0.0.2:5000", []string{"1.1.1.1, 198.51.100.1, 203.0.113.9"}, nil, "203.0.113.9", "203.0.113.9"},
		{"two trusted proxies", "10.0.0.2:5000", []string{"203.0.113.9, 10.0.0.3"}, nil, "203.0.113.9", "203.0.113.9"},
		{"several header lines", "10.0.0.2:5000", []string{"198.51.100.1", "203.0.113.9, 10.0.0.3"}, nil, "203.0.113.9", "203.0.113.9"},
		{"a port on the entry", "10.0.0.2:5000", []string{"203.0.113.9:4711"}, nil, "203.0.113.9", "203.0.113.9"},
		{"IPv6 client, by its /64", "[2001:db8:ffff::1]:443", []string{"2001:db8:1:2:3:4:5:6"}, nil, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"IPv4-mapped", "10.0.0.2:5000", []string{"::ffff:203.0.113.9"}, nil, "203.0.113.9", "203.0.113.9"},
		{"Forwarded", "10.0.0.2:5000", nil, []string{`for=198.51.100.1, for="[2001:db8:cafe::17]:4711";proto=https`}, "2001:db8:cafe::17", "2001:db8:cafe::/64"},
		{"Forwarded, proxy entry last", "10.0.0.2:5000", nil, []string{"for=203.0.113.9;by=10.0.0.2, For=10.0.0.3"}, "203.0.113.9", "203.0.113.9"},
		{"X-Forwarded-For wins over Forwarded", "10.0.0.2:5000", []string{"203.0.113.9"}, []string{"for=198.51.100.1"}, "203.0.113.9", "203.0.113.9"},
		{"only proxies", "10.0.0.2:5000", []string{"10.0.0.5"}, nil, "10.0.0.5", "10.0.0.5"},
		{"no header", "10.0.0.2:5000", nil, nil, "10.0.0.2", "10.0.0.2"},
		{"nonsense, nearest proxy kept", "10.0.0.2:5000", []string{"203.0.113.9, unknown"}, nil, "10.0.0.2", "10.0.0.2"},
		{"obfuscated Forwarded", "10.0.0.2:5000", nil, []string{"for=_hidden"}, "10.0.0.2", "10.0.0.2"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		for _, v := range tc.fwd {
			r.Header.Add("Forwarded", v)
		}
		got := h.clientAddr(r)
		if got.String() != tc.want || addrKey(r, got) != tc.limit {
			t.Errorf("%s: %s, counted as %s; want %s, %s", tc.name, got, addrKey(r, got), tc.want, tc.limit)
		}
	}
}
