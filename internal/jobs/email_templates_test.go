package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
	"github.com/onboardiq/onboardiq/internal/mailtest"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestTestEmailReachesTheAdmin: "Send me a test" mails the admin who asked,
// through the loopback SMTP server, the text they typed filled with the
// kind's example values in the workspace's name, as HTML and text; the
// delivery log has it, delivered.
func TestTestEmailReachesTheAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	smtp := mailtest.New(t)
	w := &EmailWorker{DB: f.db.App, Mailer: &notify.Mailer{SMTPURL: smtp.URL(), From: "OnboardIQ <onboardiq@acme.example>", BaseURL: "http://onboardiq.test"}}
	admin := onboardiq.PrincipalFromContext(f.admin)
	subject, body := "Trying {{task_title}}", "Hello {{contact_first_name}},\n\n**{{task_title}}** is due {{task_due}}. Love, {{workspace_name}}"
	id, err := f.db.App.SendTestEmail(f.admin, mailtemplate.TaskDueSoon, &subject, &body)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: id}, 1)); err != nil {
		t.Fatal(err)
	}
	m := smtp.WaitFor(t, admin.Email, 5*time.Second)
	data := strings.ReplaceAll(m.Data, "\r\n", "\n")
	for _, want := range []string{
		"Subject: Trying Send the SSO metadata",
		"Hello Dana,",
		"<strong>Send the SSO metadata</strong> is due Tue 8 Dec 2026",
		"Love, Acme Software",
		"http://onboardiq.test/portal/acme",
	} {
		if !strings.Contains(data, want) {
			t.Errorf("the test email lacks %q:\n%s", want, data)
		}
	}
	if len(m.To) != 1 || !strings.EqualFold(m.To[0], admin.Email) {
		t.Errorf("sent to %v, want the admin %s", m.To, admin.Email)
	}
	if d := f.delivery(t, id); d.Status != "delivered" || d.EventType != postgres.TestEmailEvent {
		t.Errorf("the delivery: %+v", d.Delivery)
	}
}

// TestSavedTemplateReachesTheContact: once an admin saved their own
// invitation, a contact added is sent that text (with their own values),
// through the loopback SMTP server; after a reset, the default again.
func TestSavedTemplateReachesTheContact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	smtp := mailtest.New(t)
	w := &EmailWorker{DB: f.db.App, Mailer: &notify.Mailer{SMTPURL: smtp.URL(), From: "OnboardIQ <onboardiq@acme.example>", BaseURL: "http://onboardiq.test"}}
	customers, err := f.db.App.ListCustomers(f.admin, postgres.CustomerFilter{Q: "Globex"})
	if err != nil || len(customers.Items) != 1 {
		t.Fatalf("Globex: %v", err)
	}
	globex := customers.Items[0].ID
	if _, err := f.db.App.SetEmailTemplate(f.admin, mailtemplate.Invitation, "{{contact_first_name}}, your {{customer_name}} portal is ready",
		"Hi {{contact_first_name}}!\n\n{{inviter}} set up your portal. [Come in]({{link}}) within {{days}} days."); err != nil {
		t.Fatal(err)
	}
	send := func(name, email string) string {
		t.Helper()
		before := len(f.pending(t, "email"))
		if _, _, err := f.db.App.AddContact(f.admin, globex, onboardiq.NewContact{Name: name, Email: email}, "http://onboardiq.test"); err != nil {
			t.Fatal(err)
		}
		after := f.pending(t, "email")
		if len(after) != before+1 {
			t.Fatalf("%d emails queued, want one more than %d", len(after), before)
		}
		if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: after[len(after)-1]}, 1)); err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(smtp.WaitFor(t, email, 5*time.Second).Data, "\r\n", "\n")
	}
	got := send("Nina Novak", "nina.novak@globex.example")
	for _, want := range []string{
		"Subject: Nina, your Globex Logistics portal is ready",
		"Hi Nina!",
		"Alex Morgan of Acme Software set up your portal.",
		"Come in: http://onboardiq.test/portal/acme/magic?token=",
		"within 7 days",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the invitation lacks %q:\n%s", want, got)
		}
	}
	if _, err := f.db.App.ResetEmailTemplate(f.admin, mailtemplate.Invitation); err != nil {
		t.Fatal(err)
	}
	if got := send("Omar Okafor", "omar@globex.example"); !strings.Contains(got, "Subject: Acme Software invites you to the onboarding of Globex Logistics") {
		t.Errorf("after a reset, the invitation:\n%s", got)
	}
}
