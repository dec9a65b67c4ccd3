package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"strings"

	"github.com/wneessen/go-mail"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Categories of a failed email, as the delivery log shows them to the
// tenant's admins. The mail server's own words describe the operator's
// infrastructure (host names, relays, policies), so they go to the
// operator's log only.
const (
	SMTPRejected      = "rejected by the mail server"
	SMTPDeferred      = "temporarily refused by the mail server"
	SMTPUnreachable   = "mail server unreachable"
	SMTPAuthFailed    = "authentication with the mail server failed"
	SMTPTLSFailed     = "secure connection (TLS) to the mail server failed"
	SMTPTimedOut      = "timed out"
	SMTPMisconfigured = "the server's mail settings are invalid (ONBOARDIQ_SMTP_URL)"
	SMTPFailed        = "sending failed (the details are in the server's log)"
)

// smtpReplies are the standard meanings of SMTP reply codes (RFC 5321,
// RFC 4954 for authentication, RFC 7504 for 521 and 556).
var smtpReplies = map[int]string{
	421: "service not available",
	450: "mailbox unavailable",
	451: "local error in processing",
	452: "insufficient system storage",
	454: "temporary authentication failure",
	455: "unable to accommodate parameters",
	500: "command not recognized",
	501: "syntax error in parameters",
	502: "command not implemented",
	503: "bad sequence of commands",
	504: "command parameter not implemented",
	521: "does not accept mail",
	530: "authentication required",
	534: "authentication mechanism too weak",
	535: "authentication credentials invalid",
	538: "encryption required for authentication",
	550: "mailbox unavailable",
	551: "user not local",
	552: "exceeded storage allocation",
	553: "mailbox name not allowed",
	554: "transaction failed",
	555: "parameters not recognized",
	556: "domain does not accept mail",
}

// smtpFailure is the outcome of a send that failed with err: a category and
// a short reason made of the reply code and its standard meaning. The
// full error is logged for the operator. A 5xx reply to the message is
// final; anything else is retried.
func (m *Mailer) smtpFailure(ctx context.Context, o *postgres.Outbound, err error) Outcome {
	result, retry := describeSMTPError(err)
	m.logger().WarnContext(ctx, "email not sent", "delivery_id", o.ID, "message_id", o.MessageID,
		"result", result, "retry", retry, "smtp_error", err.Error())
	return Outcome{Result: result, Retry: retry, Bounce: hardBounce(err)}
}

// hardBounce reports whether err is the mail server refusing the
// recipient for good: a permanent (5xx) reply to RCPT TO.
func hardBounce(err error) bool {
	var se *mail.SendError
	return errors.As(err, &se) && se.Reason == mail.ErrSMTPRcptTo && !se.IsTemp() && se.ErrorCode() >= 500
}

// smtpSettingsFailure is the outcome when the SMTP URL cannot be used.
func (m *Mailer) smtpSettingsFailure(ctx context.Context, o *postgres.Outbound, err error) Outcome {
	m.logger().ErrorContext(ctx, "email not sent: ONBOARDIQ_SMTP_URL is unusable", "delivery_id", o.ID, "error", err.Error())
	return Outcome{Result: SMTPMisconfigured}
}

func (m *Mailer) logger() *slog.Logger {
	if m.Logger != nil {
		return m.Logger
	}
	return slog.Default()
}

// describeSMTPError returns the tenant-facing result for err and whether
// the send is worth retrying.
func describeSMTPError(err error) (string, bool) {
	code, enhanced, final := 0, "", false
	var se *mail.SendError
	var reply *textproto.Error
	switch {
	case errors.As(err, &se) && se.ErrorCode() != 0:
		// A reply to the message's commands: a 5xx refuses this message
		// for good.
		code, enhanced = se.ErrorCode(), se.EnhancedStatusCode()
		final = !se.IsTemp() && code >= 500
	case errors.As(err, &reply):
		// A reply while connecting (greeting, EHLO, STARTTLS): about the
		// server, not the message, so worth trying again.
		code = reply.Code
	}
	var tlsAlert tls.AlertError
	var tlsRecord tls.RecordHeaderError
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var badCert x509.CertificateInvalidError
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	text := err.Error()
	switch {
	case authFailure(err, code):
		return withCode(SMTPAuthFailed, code, ""), true
	case code >= 500:
		return withCode(SMTPRejected, code, enhanced), !final
	case code >= 400:
		return withCode(SMTPDeferred, code, enhanced), true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout(), strings.Contains(text, "i/o timeout"):
		return SMTPTimedOut, true
	case errors.As(err, &tlsAlert), errors.As(err, &tlsRecord), errors.As(err, &unknownCA), errors.As(err, &badHost),
		errors.As(err, &badCert), strings.Contains(text, "STARTTLS"), strings.Contains(text, "tls: "):
		return SMTPTLSFailed, true
	case errors.As(err, &dnsErr), errors.As(err, &opErr) && opErr.Op == "dial", strings.HasPrefix(text, "dial failed: "):
		return SMTPUnreachable, true
	}
	return SMTPFailed, true
}

// authFailure reports whether err happened while authenticating.
func authFailure(err error, code int) bool {
	switch code {
	case 454, 530, 534, 535, 538:
		return true
	}
	text := err.Error()
	return errors.Is(err, mail.ErrNoSupportedAuthDiscovered) || strings.Contains(text, "SMTP AUTH failed") ||
		strings.Contains(text, "server does not support SMTP AUTH")
}

// withCode is category (code enhanced: meaning), leaving out what is not
// known.
func withCode(category string, code int, enhanced string) string {
	if code == 0 {
		return category
	}
	meaning := smtpReplies[code]
	if meaning == "" {
		meaning = map[bool]string{true: "permanent failure", false: "temporary failure"}[code >= 500]
	}
	if enhanced != "" {
		return fmt.Sprintf("%s (%d %s: %s)", category, code, enhanced, meaning)
	}
	return fmt.Sprintf("%s (%d: %s)", category, code, meaning)
}
