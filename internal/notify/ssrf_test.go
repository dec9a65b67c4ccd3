package notify_test

import (
	"net/netip"
	"testing"

	"github.com/onboardiq/onboardiq/internal/notify"
)

func TestForbiddenAddresses(t *testing.T) {
	t.Parallel()
	strict, open := &notify.Guard{}, &notify.Guard{AllowPrivate: true}
	refused := []string{
		"127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1", // loopback, also IPv4-mapped
		"10.1.2.3", "172.16.0.1", "192.168.1.1", "fd00::1", // private
		"169.254.169.254", "fe80::1", "::ffff:169.254.169.254", // link-local: cloud metadata
		"224.0.0.1", "ff02::1", // multicast
		"0.0.0.0", "0.1.2.3", "::", // unspecified, this network
		"100.64.0.1", "100.127.255.254", // CGNAT
		"198.18.0.1", "255.255.255.255", // reserved
	}
	for _, s := range refused {
		a := netip.MustParseAddr(s)
		if strict.Forbidden(a) == "" {
			t.Errorf("%s is allowed", s)
		}
		if why := open.Forbidden(a); why != "" {
			t.Errorf("%s refused with AllowPrivate: %s", s, why)
		}
	}
	for _, s := range []string{"93.184.215.14", "1.1.1.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"} {
		if why := strict.Forbidden(netip.MustParseAddr(s)); why != "" {
			t.Errorf("public %s refused: %s", s, why)
		}
	}
}
