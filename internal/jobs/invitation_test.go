package jobs

import (
	"context"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestInvitationReachesTheContact: a contact added to a customer is sent
// an invitation through a real SMTP server on loopback; the email says who
// invited them to which workspace, and its link (issued as it was sent, so
// the request's own link stops working) signs the contact in to the
// portal, once. No stored row holds the link.
func TestInvitationReachesTheContact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	box := newFlakyBox(t, 0)
	w := &EmailWorker{DB: f.db.App, Mailer: &notify.Mailer{SMTPURL: "smtp://" + box.addr, From: "OnboardIQ <onboardiq@acme.example>", BaseURL: "http://onboardiq.test"}}
	customers, err := f.db.App.ListCustomers(f.admin, postgres.CustomerFilter{Q: "Globex"})
	if err != nil || len(customers.Items) != 1 {
		t.Fatalf("Globex: %v", err)
	}
	before := f.pending(t, "email")
	contact, link, err := f.db.App.AddContact(f.admin, customers.Items[0].ID, onboardiq.NewContact{Name: "Nina Novak", Email: "nina.novak@globex.example"}, "http://onboardiq.test")
	if err != nil {
		t.Fatal(err)
	}
	after := f.pending(t, "email")
	if len(after) != len(before)+1 {
		t.Fatalf("%d emails queued, want one more than %d", len(after), len(before))
	}
	own := emailedToken.FindStringSubmatch(link.URL)
	if own == nil {
		t.Fatalf("the request's link %q", link.URL)
	}
	f.noSecretsStored(t, own[1])
	id := after[len(after)-1]
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: id}, 1)); err != nil {
		t.Fatal(err)
	}
	mails := box.all()
	if len(mails) != 1 {
		t.Fatalf("%d emails reached the server", len(mails))
	}
	mail := mails[0]
	for _, want := range []string{
		"To: <nina.novak@globex.example>",
		"Subject: Acme Software invites you to the onboarding of Globex Logistics",
		"Hello Nina Novak,",
		"Alex Morgan of Acme Software has invited you",
		"within 7 days",
		"http://onboardiq.test/portal/acme/signin",
	} {
		if !strings.Contains(strings.ReplaceAll(mail, "\r\n", "\n"), want) {
			t.Errorf("the invitation lacks %q:\n%s", want, mail)
		}
	}
	sent := tokensIn(mail)
	if len(sent) != 1 || sent[0] == own[1] {
		t.Fatalf("the email's links: %q (the request's %q)", sent, own[1])
	}
	f.noSecretsStored(t, own[1], sent[0])
	if d := f.delivery(t, id); d.Status != "delivered" || d.EventType != postgres.LinkInvite {
		t.Errorf("the delivery: %+v", d.Delivery)
	}
	if _, _, err := f.db.App.SignInWithLink(ctx, "acme", own[1]); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Errorf("the request's link after the email was sent: %v", err)
	}
	_, p, err := f.db.App.SignInWithLink(ctx, "acme", sent[0])
	if err != nil || p.UserID != contact.ID || !p.IsCustomer() || *p.CustomerID != customers.Items[0].ID {
		t.Fatalf("the emailed link: %v %+v", err, p)
	}
	if _, _, err := f.db.App.SignInWithLink(ctx, "acme", sent[0]); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Errorf("the emailed link twice: %v", err)
	}
}
