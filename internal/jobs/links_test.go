package jobs

import (
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// flakyBox is an SMTP server on loopback that keeps every message it is
// sent, and answers the first fail of them with a temporary error, as
// when a reply is lost after the message went through: the sender retries
// a message the recipient already has.
type flakyBox struct {
	mu   sync.Mutex
	data []string
	fail int
	addr string
}

type flakySession struct{ box *flakyBox }

func (s flakySession) Reset()                                    {}
func (s flakySession) Logout() error                             { return nil }
func (s flakySession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s flakySession) Rcpt(to string, _ *smtp.RcptOptions) error { return nil }
func (s flakySession) Data(r io.Reader) error {
	b, _ := io.ReadAll(r) // quoted-printable, undone well enough for links below
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.data = append(s.box.data, strings.NewReplacer("=\r\n", "", "=\n", "", "=3D", "=").Replace(string(b)))
	if s.box.fail > 0 {
		s.box.fail--
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	return nil
}

func newFlakyBox(t *testing.T, fail int) *flakyBox {
	t.Helper()
	box := &flakyBox{fail: fail}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return flakySession{box}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Close() })
	box.addr = ln.Addr().String()
	return box
}

func (b *flakyBox) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.data...)
}

var emailedToken = regexp.MustCompile(`http://onboardiq\.test/(?:portal/acme/magic|reset)\?token=(oiql_[0-9a-f]{32}_[A-Za-z0-9_-]{43})`)

// tokensIn lists the link tokens in an email, each once.
func tokensIn(data string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range emailedToken.FindAllStringSubmatch(data, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// noSecretsStored fails when a delivery, an attempt or a queued job holds a
// link token.
func (f *fixture) noSecretsStored(t *testing.T, tokens ...string) {
	t.Helper()
	for _, q := range []string{`SELECT coalesce(string_agg(d::text, ' '), '') FROM deliveries d`,
		`SELECT coalesce(string_agg(a::text, ' '), '') FROM delivery_attempts a`} {
		var all string
		err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, q).Scan(&all)
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(all, "oiql_") {
			t.Errorf("%s: a stored row holds a link token", q)
		}
		for _, tok := range tokens {
			if tok != "" && strings.Contains(all, tok[len("oiql_")+33:]) {
				t.Errorf("%s: a stored row holds the link's secret", q)
			}
		}
	}
	var jobs string
	if err := f.db.App.Pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(args::text, ' '), '') FROM river_job`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(jobs, "oiql_") {
		t.Error("a queued job holds a link token")
	}
}

// sendLink asks for a link as the web page does and returns the request's
// own link and the queued email's delivery id.
func (f *fixture) sendLink(t *testing.T, email, purpose string) (string, uuid.UUID) {
	t.Helper()
	before := f.pending(t, "email")
	link, err := f.db.App.SendLoginLink(context.Background(), "acme", email, purpose, "http://onboardiq.test")
	if err != nil || link.URL == "" {
		t.Fatalf("send a %s link to %s: %v, %v", purpose, email, link, err)
	}
	after := f.pending(t, "email")
	if len(after) != len(before)+1 {
		t.Fatalf("%d emails queued, want one more than %d", len(after), len(before))
	}
	tok := emailedToken.FindStringSubmatch(link.URL)
	if tok == nil {
		t.Fatalf("the request's link %q", link.URL)
	}
	return tok[1], after[len(after)-1]
}

// TestLinkEmailsHoldNoSecret: sign-in and reset emails are queued with the
// link token's id only; the worker issues a new secret as it sends, so the
// emailed link works, the database never holds a usable link, and a retry
// makes the link of the earlier attempt stop working.
func TestLinkEmailsHoldNoSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	box := newFlakyBox(t, 1)
	w := &EmailWorker{DB: f.db.App, Mailer: &notify.Mailer{SMTPURL: "smtp://" + box.addr, From: "OnboardIQ <onboardiq@acme.example>", BaseURL: "http://onboardiq.test"}}

	// A contact's sign-in link: the first attempt's reply is lost, so it
	// is sent again with a new secret.
	own, id := f.sendLink(t, "hannah.becker@globex.example", postgres.LinkSignIn)
	f.noSecretsStored(t, own)
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: id}, 1)); err == nil {
		t.Fatal("a 451 was not retried")
	}
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: id}, 2)); err != nil {
		t.Fatal(err)
	}
	mails := box.all()
	if len(mails) != 2 || !strings.Contains(mails[1], "Subject: Your sign-in link for Acme Software") {
		t.Fatalf("%d emails: %q", len(mails), mails)
	}
	first, second := tokensIn(mails[0]), tokensIn(mails[1])
	if len(first) != 1 || len(second) != 1 || first[0] == second[0] || first[0] == own {
		t.Fatalf("the emails' links: %q then %q (the request's %q)", first, second, own)
	}
	f.noSecretsStored(t, own, first[0], second[0])
	for _, stale := range []string{own, first[0]} {
		if _, _, err := f.db.App.SignInWithLink(ctx, "acme", stale); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
			t.Errorf("a link from before the last send works: %v", err)
		}
	}
	if _, p, err := f.db.App.SignInWithLink(ctx, "acme", second[0]); err != nil || p.Email != "hannah.becker@globex.example" {
		t.Errorf("the emailed link: %v", err)
	}
	// Used: a late retry sends nothing, and issues nothing.
	if err := f.db.App.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE deliveries SET status = 'retrying' WHERE delivery_id = $1`, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: id}, 3)); err != nil {
		t.Fatal(err)
	}
	if n := len(box.all()); n != 2 {
		t.Errorf("a used link was sent again (%d emails)", n)
	}

	// A reset link, sent at once: its link sets a password.
	own, id = f.sendLink(t, "sam.lee@acme.example", postgres.LinkReset)
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: id}, 1)); err != nil {
		t.Fatal(err)
	}
	mails = box.all()
	reset := tokensIn(mails[len(mails)-1])
	if len(reset) != 1 || reset[0] == own || !strings.Contains(mails[len(mails)-1], "http://onboardiq.test/reset?token="+reset[0]) {
		t.Fatalf("the reset email's links: %q", reset)
	}
	f.noSecretsStored(t, own, reset[0])
	if _, _, err := f.db.App.ResetPassword(ctx, own, "a new password 789"); err == nil {
		t.Error("the request's own reset link works after the email was sent")
	}
	if _, _, err := f.db.App.ResetPassword(ctx, reset[0], "a new password 789"); err != nil {
		t.Errorf("the emailed reset link: %v", err)
	}
}

// TestLinkEmailsWithoutSMTP: with no SMTP server nothing is sent and
// nothing reissued, so the request's own link (which the log and the
// development mailbox show) is the one that works; the database still
// holds no link.
func TestLinkEmailsWithoutSMTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	w := &EmailWorker{DB: f.db.App, Mailer: &notify.Mailer{From: "OnboardIQ <onboardiq@acme.example>", BaseURL: "http://onboardiq.test"}}
	signin, id1 := f.sendLink(t, "hannah.becker@globex.example", postgres.LinkSignIn)
	reset, id2 := f.sendLink(t, "sam.lee@acme.example", postgres.LinkReset)
	for _, id := range []uuid.UUID{id1, id2} {
		if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: id}, 1)); err != nil {
			t.Fatal(err)
		}
		if d := f.delivery(t, id); d.Status != "failed" || !strings.Contains(*d.LastError, "no SMTP server") {
			t.Errorf("without SMTP: %+v", d.Delivery)
		}
	}
	f.noSecretsStored(t, signin, reset)
	if _, _, err := f.db.App.SignInWithLink(ctx, "acme", signin); err != nil {
		t.Errorf("the request's sign-in link: %v", err)
	}
	if _, _, err := f.db.App.ResetPassword(ctx, reset, "a new password 789"); err != nil {
		t.Errorf("the request's reset link: %v", err)
	}
}
