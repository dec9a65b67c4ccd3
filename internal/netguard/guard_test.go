package netguard_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/netguard"
)

// verdicts in the guard's two modes.
const (
	public  = iota // allowed in both
	private        // refused unless AllowPrivate
	refused        // refused in both
)

var addressCases = []struct {
	addr string
	want int
	name string // what the refusal names (the range's registry name), if anything
}{
	// Accepted and dialled before the deny list followed the registries.
	{"::127.0.0.1", refused, "IPv4-compatible"},
	{"64:ff9b::7f00:1", private, "Loopback"},          // NAT64 of 127.0.0.1
	{"64:ff9b::a9fe:a9fe", refused, "cloud metadata"}, // NAT64 of 169.254.169.254
	{"2002:7f00:1::", private, "Loopback"},            // 6to4 of 127.0.0.1
	{"2002:a9fe:a9fe::", refused, "metadata"},         // 6to4 of 169.254.169.254
	{"fec0::1", refused, "Site-Local"},                // deprecated site-local
	{"240.0.0.1", refused, "Reserved"},                // class E
	{"192.0.0.1", refused, "IPv4 Service Continuity"}, // IETF protocol assignments
	{"100::1", refused, "Discard-Only"},
	{"2001:db8::1", refused, "Documentation"},
	// Cloud metadata: never, whatever the mode.
	{"169.254.169.254", refused, "cloud metadata"},
	{"::ffff:169.254.169.254", refused, "cloud metadata"},
	{"fd00:ec2::254", refused, "AWS"},
	{"100.100.100.200", refused, "Alibaba"},
	{"168.63.129.16", refused, "WireServer"},
	{"fe80::a9fe:a9fe", refused, "Link-Local Unicast"},
	{"fe80::1%eth0", refused, "Link-Local Unicast"},
	// Teredo (2001::/32): the client is the complement of the last 32 bits.
	{"2001:0:4136:e378:8000:63bf:3fff:fdd2", refused, "Documentation (TEST-NET-1)"}, // RFC 4380's example: client 192.0.2.45
	{"2001:0:4136:e378:8000:63bf:80ff:fffe", private, "Loopback"},                   // client 127.0.0.1
	{"2001:0:4136:e378:8000:63bf:5601:5601", refused, "cloud metadata"},             // client 169.254.169.254
	{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", public, ""},                            // client 8.8.8.8, server 65.54.227.120
	// Local-use NAT64 (64:ff9b:1::/48): private; the carried address is
	// refused when it is metadata, whatever prefix length the network uses.
	{"64:ff9b:1::a00:1", private, "local-use"},
	{"64:ff9b:1::a9fe:a9fe", refused, "metadata"},
	{"64:ff9b:1:a9fe:a9:fe00::", refused, "metadata"},
	// IPv4-mapped.
	{"::ffff:127.0.0.1", private, "Loopback"},
	{"::ffff:10.0.0.1", private, "Private-Use"},
	{"::ffff:8.8.8.8", public, ""},
	// Public, also carried.
	{"93.184.215.14", public, ""},
	{"1.1.1.1", public, ""},
	{"100.128.0.1", public, ""},
	{"2606:4700::1111", public, ""},
	{"64:ff9b::808:808", public, ""},
	{"2002:808:808::1", public, ""},
	// Outside IPv6 global unicast, in no entry.
	{"4000::1", refused, "global unicast"},
	{"e000::1", refused, "global unicast"},

	// Every entry of the IPv4 Special-Purpose Address Registry.
	{"0.1.2.3", refused, `"This network"`},
	{"0.0.0.0", refused, `"This host on this network"`},
	{"10.1.2.3", private, "Private-Use"},
	{"100.64.0.1", private, "Shared Address Space"},
	{"100.127.255.254", private, "Shared Address Space"},
	{"127.0.0.1", private, "Loopback"},
	{"127.8.9.1", private, "Loopback"},
	{"169.254.1.1", refused, "Link Local"},
	{"172.16.0.1", private, "Private-Use"},
	{"172.31.255.255", private, "Private-Use"},
	{"192.0.0.200", refused, "IETF Protocol Assignments"},
	{"192.0.0.7", refused, "IPv4 Service Continuity Prefix"},
	{"192.0.0.8", refused, "IPv4 dummy address"},
	{"192.0.0.9", refused, "Port Control Protocol Anycast"},
	{"192.0.0.10", refused, "Traversal Using Relays around NAT Anycast"},
	{"192.0.0.170", refused, "NAT64/DNS64 Discovery"},
	{"192.0.0.171", refused, "NAT64/DNS64 Discovery"},
	{"192.0.2.1", refused, "TEST-NET-1"},
	{"192.31.196.1", refused, "AS112-v4"},
	{"192.52.193.1", refused, "AMT"},
	{"192.88.99.1", refused, "6to4 Relay Anycast"},
	{"192.168.1.1", private, "Private-Use"},
	{"192.175.48.1", refused, "Direct Delegation AS112 Service"},
	{"198.18.0.1", refused, "Benchmarking"},
	{"198.19.255.255", refused, "Benchmarking"},
	{"198.51.100.1", refused, "TEST-NET-2"},
	{"203.0.113.1", refused, "TEST-NET-3"},
	{"250.1.2.3", refused, "Reserved"},
	{"255.255.255.255", refused, "Limited Broadcast"},
	{"224.0.0.1", refused, "Multicast"},
	{"239.255.255.250", refused, "Multicast"},

	// Every entry of the IPv6 Special-Purpose Address Registry.
	{"::1", private, "Loopback Address"},
	{"::", refused, "Unspecified Address"},
	{"::ffff:0.0.0.1", refused, `"This network"`}, // IPv4-mapped: judged by what it carries
	{"64:ff9b::a00:1", private, "Private-Use"},    // IPv4-IPv6 Translat.: likewise
	{"64:ff9b:1::1", private, "local-use"},
	{"100::ffff", refused, "Discard-Only Address Block"},
	{"100:0:0:1::1", refused, "Dummy IPv6 Prefix"},
	{"2001:100::1", refused, "IETF Protocol Assignments"},
	{"2001:1::1", refused, "Port Control Protocol Anycast"},
	{"2001:1::2", refused, "Traversal Using Relays around NAT Anycast"},
	{"2001:1::3", refused, "DNS-SD Service Registration Protocol Anycast"},
	{"2001:2::1", refused, "Benchmarking"},
	{"2001:3::1", refused, "AMT"},
	{"2001:4:112::1", refused, "AS112-v6"},
	{"2001:10::1", refused, "ORCHID"},
	{"2001:20::1", refused, "ORCHIDv2"},
	{"2001:30::1", refused, "Drone Remote ID"},
	{"2001:db8:1::1", refused, "Documentation"},
	{"2002::", refused, `"This host on this network"`}, // 6to4 of 0.0.0.0
	{"2620:4f:8000::1", refused, "Direct Delegation AS112 Service"},
	{"3fff::1", refused, "Documentation"},
	{"5f00::1", refused, "Segment Routing"},
	{"fc00::1", private, "Unique-Local"},
	{"fd00::1", private, "Unique-Local"},
	{"fe80::1", refused, "Link-Local Unicast"},
	{"ff02::1", refused, "Multicast"},
}

func TestForbiddenAddresses(t *testing.T) {
	t.Parallel()
	strict, open := &netguard.Guard{}, &netguard.Guard{AllowPrivate: true}
	for _, c := range addressCases {
		a := netip.MustParseAddr(c.addr)
		s, o := strict.Forbidden(a), open.Forbidden(a)
		wantStrict, wantOpen := c.want != public, c.want == refused
		if (s != "") != wantStrict {
			t.Errorf("%s: refused %v (%q), want %v", c.addr, s != "", s, wantStrict)
		}
		if (o != "") != wantOpen {
			t.Errorf("%s with AllowPrivate: refused %v (%q), want %v", c.addr, o != "", o, wantOpen)
		}
		why := o // the refusal of both modes, or the strict mode's
		if why == "" {
			why = s
		}
		if !strings.Contains(why, c.name) {
			t.Errorf("%s: %q does not say %q", c.addr, why, c.name)
		}
	}
}

// TestCheckURL: the rules apply to what a URL's host resolves to, and to
// the names of metadata services whatever they resolve to; with
// AllowPrivate too.
func TestCheckURL(t *testing.T) {
	t.Parallel()
	resolvesTo := func(addr string) func(context.Context, string) ([]netip.Addr, error) {
		return func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr(addr)}, nil
		}
	}
	for _, allowPrivate := range []bool{false, true} {
		publicDNS := &netguard.Guard{AllowPrivate: allowPrivate, Lookup: resolvesTo("93.184.215.14")}
		for _, u := range []string{
			"https://169.254.169.254/latest", "https://[64:ff9b::a9fe:a9fe]/", "https://[::ffff:a9fe:a9fe]/", "https://[2002:a9fe:a9fe::]/",
			"https://[fd00:ec2::254]/latest", "https://[fe80::a9fe:a9fe%25eth0]/", "https://100.100.100.200/",
			"https://metadata.google.internal/computeMetadata/v1/", "https://METADATA.GOOGLE.INTERNAL./", "https://metadata.goog/",
			"https://metadata/", "https://instance-data/latest/", "https://instance-data.ec2.internal/",
			"https://[::127.0.0.1]/", "https://240.0.0.1/", "https://192.0.0.1/", "https://[100::1]/", "https://[2001:db8::1]/", "https://[fec0::1]/",
		} {
			if err := publicDNS.CheckURL(context.Background(), u, false); err == nil {
				t.Errorf("%s accepted (AllowPrivate %v)", u, allowPrivate)
			}
		}
		metadataDNS := &netguard.Guard{AllowPrivate: allowPrivate, Lookup: resolvesTo("169.254.169.254")}
		if err := metadataDNS.CheckURL(context.Background(), "https://hooks.example.com/", false); err == nil {
			t.Errorf("a name resolving to the metadata address accepted (AllowPrivate %v)", allowPrivate)
		}
		if err := publicDNS.CheckURL(context.Background(), "https://hooks.example.com/x", false); err != nil {
			t.Errorf("a public URL refused (AllowPrivate %v): %v", allowPrivate, err)
		}
	}
	onPrem := &netguard.Guard{AllowPrivate: true, Lookup: resolvesTo("10.20.30.40")}
	for _, u := range []string{"http://n8n.corp.example:5678/webhook/x", "http://127.0.0.1:5678/", "http://[fd12::5]/", "https://[64:ff9b::7f00:1]/"} {
		if err := onPrem.CheckURL(context.Background(), u, false); err != nil {
			t.Errorf("%s refused with AllowPrivate: %v", u, err)
		}
		if err := (&netguard.Guard{Lookup: onPrem.Lookup}).CheckURL(context.Background(), u, true); err == nil {
			t.Errorf("%s accepted without AllowPrivate", u)
		}
	}
}

// TestDialRefuses: at dial time the same rules apply to whatever the name
// resolves to then (DNS rebinding), and to metadata names.
func TestDialRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ host, resolves string }{
		{"rebound.example.com", "64:ff9b::a9fe:a9fe"},
		{"rebound.example.com", "2002:7f00:1::"},
		{"rebound.example.com", "::127.0.0.1"},
		{"rebound.example.com", "169.254.169.254"},
		{"metadata.google.internal", "93.184.215.14"},
	} {
		for _, allowPrivate := range []bool{false, true} {
			if tc.resolves == "2002:7f00:1::" && allowPrivate {
				continue // loopback, carried: AllowPrivate opens it
			}
			asked := false
			g := &netguard.Guard{AllowPrivate: allowPrivate, Lookup: func(context.Context, string) ([]netip.Addr, error) {
				asked = true
				return []netip.Addr{netip.MustParseAddr(tc.resolves)}, nil
			}}
			conn, err := g.DialContext(context.Background(), "tcp", tc.host+":443")
			if err == nil {
				conn.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "refused to connect") {
				t.Errorf("dial %s (%s), AllowPrivate %v: %v", tc.host, tc.resolves, allowPrivate, err)
			}
			if tc.host == "metadata.google.internal" && asked {
				t.Error("a metadata name was resolved before it was refused")
			}
		}
	}
}
