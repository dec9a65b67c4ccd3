package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"testing"

	"github.com/wneessen/go-mail"
)

// TestDescribeSMTPError covers the failures a loopback server cannot
// produce quickly: timeouts, TLS, name resolution, authentication replies.
// The go-mail wrappings are the ones its client adds.
func TestDescribeSMTPError(t *testing.T) {
	t.Parallel()
	secretText := "mx-internal-7.corp.example 10.20.0.7"
	cases := []struct {
		name  string
		err   error
		want  string
		retry bool
	}{
		{"dial timeout", fmt.Errorf("dial failed: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}), SMTPTimedOut, true},
		{"context deadline", fmt.Errorf("dial failed: %w", context.DeadlineExceeded), SMTPTimedOut, true},
		{"read timeout", errors.New("send failed: sending message content: write tcp 10.20.0.7:25: i/o timeout"), SMTPTimedOut, true},
		{"no such host", fmt.Errorf("dial failed: %w", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: secretText}}), SMTPUnreachable, true},
		{"refused", fmt.Errorf("dial failed: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused " + secretText)}), SMTPUnreachable, true},
		{"credentials", fmt.Errorf("dial failed: %w", fmt.Errorf("SMTP AUTH failed: %w", &textproto.Error{Code: 535, Msg: "5.7.8 " + secretText})),
			SMTPAuthFailed + " (535: authentication credentials invalid)", true},
		{"no mechanism", fmt.Errorf("dial failed: %w", mail.ErrNoSupportedAuthDiscovered), SMTPAuthFailed, true},
		{"untrusted certificate", fmt.Errorf("dial failed: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), SMTPTLSFailed, true},
		{"wrong host certificate", fmt.Errorf("dial failed: %w", x509.HostnameError{Host: secretText}), SMTPTLSFailed, true},
		{"tls alert", fmt.Errorf("dial failed: %w", tls.AlertError(40)), SMTPTLSFailed, true},
		{"no STARTTLS", errors.New(`dial failed: STARTTLS mode set to: "TLSMandatory", but target host does not support STARTTLS`), SMTPTLSFailed, true},
		{"greeting 421", fmt.Errorf("dial failed: %w", &textproto.Error{Code: 421, Msg: secretText + " closing"}), SMTPDeferred + " (421: service not available)", true},
		{"unknown code", fmt.Errorf("dial failed: %w", &textproto.Error{Code: 599, Msg: secretText}), SMTPRejected + " (599: permanent failure)", true},
		{"anything else", errors.New("send failed: " + secretText), SMTPFailed, true},
	}
	for _, c := range cases {
		got, retry := describeSMTPError(c.err)
		if got != c.want || retry != c.retry {
			t.Errorf("%s: %q, retry %v; want %q, retry %v", c.name, got, retry, c.want, c.retry)
		}
	}
}
