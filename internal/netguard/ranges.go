package netguard

import (
	"net/netip"
)

// rangeKind is what a special-purpose range is to the guard.
type rangeKind int

const (
	// reserved ranges are refused always: nothing a webhook should reach
	// lives there (documentation, benchmarking, protocol anycast, multicast,
	// broadcast, unspecified, reserved).
	reserved rangeKind = iota
	// private ranges are refused unless ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE:
	// the operator's own networks (RFC 1918, unique-local, loopback,
	// shared address space, local-use NAT64).
	private
	// neverReach ranges are refused even with ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE:
	// link-local addresses, where cloud metadata services answer, and the
	// metadata services' own addresses.
	neverReach
	// translated ranges carry an IPv4 address (IPv4-mapped, NAT64, 6to4,
	// Teredo) and are judged by the address they carry.
	translated
)

// specialRange is an entry of the deny list.
type specialRange struct {
	prefix netip.Prefix
	name   string
	kind   rangeKind
	// embedded returns the IPv4 addresses an address of this range carries.
	embedded func(netip.Addr) []netip.Addr
	// guessed: the position of the embedded address depends on the
	// network's configuration, so each candidate is only refused when it
	// is never reachable (a wrong guess is random bits).
	guessed bool
}

func r(prefix, name string, kind rangeKind) specialRange {
	return specialRange{prefix: netip.MustParsePrefix(prefix), name: name, kind: kind}
}

func withEmbedded(s specialRange, f func(netip.Addr) []netip.Addr) specialRange {
	s.embedded = f
	return s
}

// specialRanges is the deny list: every entry of IANA's IPv4 and IPv6
// Special-Purpose Address Registries (by their registry names), plus the
// multicast ranges, the deprecated IPv4-compatible and site-local IPv6
// ranges, and the cloud metadata services' addresses. The most specific
// entry that contains an address decides; an IPv6 address that no entry
// contains is refused unless it is global unicast (2000::/3).
var specialRanges = []specialRange{
	// IPv4 Special-Purpose Address Registry.
	r("0.0.0.0/8", `"This network"`, reserved),
	r("0.0.0.0/32", `"This host on this network"`, reserved),
	r("10.0.0.0/8", "Private-Use", private),
	r("100.64.0.0/10", "Shared Address Space", private),
	r("127.0.0.0/8", "Loopback", private),
	r("169.254.0.0/16", "Link Local", neverReach),
	r("172.16.0.0/12", "Private-Use", private),
	r("192.0.0.0/24", "IETF Protocol Assignments", reserved),
	r("192.0.0.0/29", "IPv4 Service Continuity Prefix", reserved),
	r("192.0.0.8/32", "IPv4 dummy address", reserved),
	r("192.0.0.9/32", "Port Control Protocol Anycast", reserved),
	r("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", reserved),
	r("192.0.0.170/32", "NAT64/DNS64 Discovery", reserved),
	r("192.0.0.171/32", "NAT64/DNS64 Discovery", reserved),
	r("192.0.2.0/24", "Documentation (TEST-NET-1)", reserved),
	r("192.31.196.0/24", "AS112-v4", reserved),
	r("192.52.193.0/24", "AMT", reserved),
	r("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", reserved),
	r("192.168.0.0/16", "Private-Use", private),
	r("192.175.48.0/24", "Direct Delegation AS112 Service", reserved),
	r("198.18.0.0/15", "Benchmarking", reserved),
	r("198.51.100.0/24", "Documentation (TEST-NET-2)", reserved),
	r("203.0.113.0/24", "Documentation (TEST-NET-3)", reserved),
	r("240.0.0.0/4", "Reserved", reserved),
	r("255.255.255.255/32", "Limited Broadcast", reserved),
	// IPv4 beside the registry.
	r("224.0.0.0/4", "Multicast", reserved),
	r("169.254.169.254/32", "cloud metadata service", neverReach),
	r("100.100.100.200/32", "cloud metadata service (Alibaba Cloud)", neverReach),
	r("168.63.129.16/32", "cloud platform service (Azure WireServer)", neverReach),

	// IPv6 Special-Purpose Address Registry.
	r("::1/128", "Loopback Address", private),
	r("::/128", "Unspecified Address", reserved),
	withEmbedded(r("::ffff:0:0/96", "IPv4-mapped Address", translated), last32),
	withEmbedded(r("64:ff9b::/96", "IPv4-IPv6 Translat.", translated), last32),
	{prefix: netip.MustParsePrefix("64:ff9b:1::/48"), name: "IPv4-IPv6 Translat. (local-use)", kind: private, embedded: rfc6052Candidates, guessed: true},
	r("100::/64", "Discard-Only Address Block", reserved),
	r("100:0:0:1::/64", "Dummy IPv6 Prefix", reserved),
	r("2001::/23", "IETF Protocol Assignments", reserved),
	withEmbedded(r("2001::/32", "TEREDO", translated), teredo),
	r("2001:1::1/128", "Port Control Protocol Anycast", reserved),
	r("2001:1::2/128", "Traversal Using Relays around NAT Anycast", reserved),
	r("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", reserved),
	r("2001:2::/48", "Benchmarking", reserved),
	r("2001:3::/32", "AMT", reserved),
	r("2001:4:112::/48", "AS112-v6", reserved),
	r("2001:10::/28", "Deprecated (previously ORCHID)", reserved),
	r("2001:20::/28", "ORCHIDv2", reserved),
	r("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", reserved),
	r("2001:db8::/32", "Documentation", reserved),
	withEmbedded(r("2002::/16", "6to4", translated), sixToFour),
	r("2620:4f:8000::/48", "Direct Delegation AS112 Service", reserved),
	r("3fff::/20", "Documentation", reserved),
	r("5f00::/16", "Segment Routing (SRv6) SIDs", reserved),
	r("fc00::/7", "Unique-Local", private),
	r("fe80::/10", "Link-Local Unicast", neverReach),
	// IPv6 beside the registry.
	withEmbedded(r("::/96", "IPv4-compatible Address (deprecated)", reserved), last32),
	r("fec0::/10", "Site-Local (deprecated)", reserved),
	r("ff00::/8", "Multicast", reserved),
	r("fd00:ec2::254/128", "cloud metadata service (AWS, IPv6)", neverReach),
}

var globalUnicast = netip.MustParsePrefix("2000::/3")

// metadataHosts are names of cloud metadata services, refused whatever
// they resolve to.
var metadataHosts = map[string]bool{
	"metadata":                   true,
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"instance-data":              true,
	"instance-data.ec2.internal": true,
}

// lookupRange returns the most specific entry containing a.
func lookupRange(a netip.Addr) (specialRange, bool) {
	var best specialRange
	found := false
	for _, s := range specialRanges {
		if s.prefix.Contains(a) && (!found || s.prefix.Bits() > best.prefix.Bits()) {
			best, found = s, true
		}
	}
	return best, found
}

func v4(b ...byte) netip.Addr { return netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]}) }

// last32 is the IPv4 address in the last 32 bits (IPv4-mapped,
// IPv4-compatible, NAT64 with a /96 prefix).
func last32(a netip.Addr) []netip.Addr {
	b := a.As16()
	return []netip.Addr{v4(b[12:]...)}
}

// sixToFour is a 6to4 address's IPv4 address: bits 16 to 47.
func sixToFour(a netip.Addr) []netip.Addr {
	b := a.As16()
	return []netip.Addr{v4(b[2:6]...)}
}

// teredo returns a Teredo address's client (the complement of the last 32
// bits: where the packets go) and its server (bits 32 to 63).
func teredo(a netip.Addr) []netip.Addr {
	b := a.As16()
	return []netip.Addr{v4(^b[12], ^b[13], ^b[14], ^b[15]), v4(b[4:8]...)}
}

// rfc6052Candidates returns the IPv4 address embedded under each prefix
// length RFC 6052 allows within a /48 (48, 56, 64, 96); bits 64 to 71 are
// skipped.
func rfc6052Candidates(a netip.Addr) []netip.Addr {
	b := a.As16()
	return []netip.Addr{
		v4(b[6], b[7], b[9], b[10]),
		v4(b[7], b[9], b[10], b[11]),
		v4(b[9], b[10], b[11], b[12]),
		v4(b[12:]...),
	}
}
