package jobs

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

var invitedToken = regexp.MustCompile(`http://onboardiq\.test/reset\?invite=1&(?:amp;)?token=(oiql_[0-9a-f]{32}_[A-Za-z0-9_-]{43})`)

// TestStaffInvitationReachesTheColleague: a member of staff an admin
// invites is sent the invitation through a real SMTP server on loopback;
// its link, issued as it was sent (the request's own stops working),
// opens the page to choose a password, which signs them in, once.
func TestStaffInvitationReachesTheColleague(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	box := newFlakyBox(t, 0)
	w := &EmailWorker{DB: f.db.App, Mailer: &notify.Mailer{SMTPURL: "smtp://" + box.addr, From: "OnboardIQ <onboardiq@acme.example>", BaseURL: "http://onboardiq.test"}}
	before := f.pending(t, "email")
	u, link, err := f.db.App.InviteStaff(f.admin, onboardiq.NewUser{Email: "kim.lane@acme.example", Name: "Kim Lane", Role: onboardiq.RoleCSM}, "http://onboardiq.test")
	if err != nil {
		t.Fatal(err)
	}
	after := f.pending(t, "email")
	if len(after) != len(before)+1 {
		t.Fatalf("%d emails queued, want one more than %d", len(after), len(before))
	}
	own := invitedToken.FindStringSubmatch(link.URL)
	if own == nil {
		t.Fatalf("the request's link %q", link.URL)
	}
	f.noSecretsStored(t, own[1])
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: after[len(after)-1]}, 1)); err != nil {
		t.Fatal(err)
	}
	mails := box.all()
	if len(mails) != 1 {
		t.Fatalf("%d emails reached the server", len(mails))
	}
	mail := strings.ReplaceAll(mails[0], "\r\n", "\n")
	for _, want := range []string{"To: <kim.lane@acme.example>", "Subject: You are invited to Acme Software on OnboardIQ", "within 7 days", "http://onboardiq.test/reset?invite=1&token="} {
		if !strings.Contains(mail, want) {
			t.Errorf("the invitation lacks %q:\n%s", want, mail)
		}
	}
	var sent []string
	for _, m := range invitedToken.FindAllStringSubmatch(mails[0], -1) {
		if !slices.Contains(sent, m[1]) {
			sent = append(sent, m[1])
		}
	}
	if len(sent) != 1 || sent[0] == own[1] {
		t.Fatalf("the email's links: %q (the request's %q)", sent, own[1])
	}
	f.noSecretsStored(t, own[1], sent[0])
	if _, _, err := f.db.App.ResetPassword(ctx, own[1], "kims own password"); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Errorf("the request's link after the email was sent: %v", err)
	}
	_, p, err := f.db.App.ResetPassword(ctx, sent[0], "kims own password")
	if err != nil || p.UserID != u.ID {
		t.Fatalf("the emailed link: %v %+v", err, p)
	}
	if _, _, err := f.db.App.ResetPassword(ctx, sent[0], "another password"); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Errorf("the emailed link twice: %v", err)
	}
}
