package jobs

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// greeter is an SMTP server on loopback that answers every connection with
// greeting and hangs up.
func greeter(t *testing.T, greeting string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(greeting + "\r\n"))
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestEmailErrorsShownAsCategories: what the mail server says about itself
// (its host names, addresses, relays) stays in the operator's log; the
// delivery log, which tenant admins read, records a category and the reply
// code's standard meaning.
func TestEmailErrorsShownAsCategories(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.scan(t)
	ids := f.pending(t, "email")
	// The server's words, which must not reach the tenant.
	const revealing = "relay mx-internal-7.corp.acme-infra.net [10.20.0.7] policy=strict-relay-v2"
	cases := []struct {
		name    string
		smtpURL string
		reject  *smtp.SMTPError
		status  string // the delivery's status after the attempt
		want    string // the attempt's result
	}{
		{"5xx to the message", "smtp://" + f.box.addr,
			&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<dana.whitfield@acme.example>: Recipient address rejected: " + revealing},
			"failed", notify.SMTPRejected + " (550 5.1.1: mailbox unavailable)"},
		{"4xx to the message", "smtp://" + f.box.addr,
			&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary lookup failure on " + revealing},
			"retrying", notify.SMTPDeferred + " (451 4.3.0: local error in processing)"},
		{"5xx greeting", "smtp://" + greeter(t, "554 5.7.1 "+revealing+" refuses 127.0.0.1"), nil,
			"retrying", notify.SMTPRejected + " (554: transaction failed)"},
		{"nothing listening", "smtp://" + closedPort(t), nil, "retrying", notify.SMTPUnreachable},
		{"credentials the server cannot take", "smtp://onboardiq:hunter2@" + f.box.addr, nil, "retrying", notify.SMTPAuthFailed},
	}
	if len(ids) == 0 {
		t.Fatal("no email queued")
	}
	// One delivery per case: copies of the first.
	for len(ids) < len(cases) {
		var id uuid.UUID
		err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, notification_id, event_type, recipient, message_id)
SELECT tenant_id, channel, notification_id, event_type, recipient, $2 FROM deliveries WHERE delivery_id = $1
RETURNING delivery_id`, ids[0], fmt.Sprintf("msg_copy%d", len(ids))).Scan(&id)
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for i, c := range cases {
		var log syncBuffer
		mailer := *f.mailer
		mailer.SMTPURL = c.smtpURL
		mailer.Logger = slog.New(slog.NewTextHandler(&log, nil))
		f.box.mu.Lock()
		f.box.reject = func() *smtp.SMTPError {
			if c.reject == nil {
				return nil
			}
			return c.reject
		}
		f.box.mu.Unlock()
		w := &EmailWorker{DB: f.db.App, Mailer: &mailer}
		err := w.Work(context.Background(), job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: ids[i]}, 1))
		if (err != nil) != (c.status == "retrying") {
			t.Errorf("%s: Work returned %v, want a retry: %v", c.name, err, c.status == "retrying")
		}
		d := f.delivery(t, ids[i])
		if d.Status != c.status || len(d.Attempts) != 1 || d.Attempts[0].Result != c.want || d.LastError == nil || *d.LastError != c.want {
			t.Errorf("%s: status %s, attempts %+v, last error %v; want %s with %q", c.name, d.Status, d.Attempts, deref(d.LastError), c.status, c.want)
		}
		for _, leak := range []string{"mx-internal", "10.20.0.7", "policy=", "Recipient address rejected", "hunter2", "127.0.0.1"} {
			if strings.Contains(d.Attempts[0].Result, leak) {
				t.Errorf("%s: the delivery log shows %q: %q", c.name, leak, d.Attempts[0].Result)
			}
		}
		if c.reject != nil || strings.Contains(c.name, "greeting") {
			if !strings.Contains(log.String(), "mx-internal-7.corp.acme-infra.net") || !strings.Contains(log.String(), ids[i].String()) {
				t.Errorf("%s: the operator's log lacks the server's words or the delivery id:\n%s", c.name, log.String())
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
