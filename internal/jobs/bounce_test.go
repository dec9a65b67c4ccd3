package jobs

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtest"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestHardBounceMarksTheAddressUndeliverable: a mail server that refuses a
// contact's address for good (550 5.1.1 to RCPT TO) fails the delivery
// without retrying, marks the contact undeliverable, and tells their
// customer's CSM once, in the app and by email; changing the address
// clears the mark.
func TestHardBounceMarksTheAddressUndeliverable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	box := mailtest.New(t)
	box.Reject("nobody@globex.example")
	w := &EmailWorker{DB: f.db.App, Mailer: &notify.Mailer{SMTPURL: box.URL(), From: "OnboardIQ <onboardiq@acme.example>", BaseURL: "http://onboardiq.test"}}
	customers, err := f.db.App.ListCustomers(f.admin, postgres.CustomerFilter{Q: "Globex"})
	if err != nil || len(customers.Items) != 1 || customers.Items[0].SupportMemberID == nil {
		t.Fatalf("Globex and its CSM: %v", err)
	}
	globex := customers.Items[0]
	before := f.pending(t, "email")
	contact, _, err := f.db.App.AddContact(f.admin, globex.ID, onboardiq.NewContact{Name: "No Body", Email: "nobody@globex.example"}, "http://onboardiq.test")
	if err != nil {
		t.Fatal(err)
	}
	invitation := f.pending(t, "email")[len(before)]
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: invitation}, 1)); err != nil {
		t.Fatalf("a permanent refusal is final, not retried: %v", err)
	}
	if d := f.delivery(t, invitation); d.Status != "failed" || d.LastError == nil || !strings.Contains(*d.LastError, "550") {
		t.Fatalf("the invitation's delivery: %+v", d.Delivery)
	}
	if len(box.Messages()) != 0 {
		t.Fatalf("%d messages arrived", len(box.Messages()))
	}
	got := f.contact(t, contact.ID)
	if got.Undeliverable == nil || !strings.Contains(*got.Undeliverable, "550") {
		t.Fatalf("the contact after the bounce: %+v", got)
	}
	// The CSM hears of it once, however often the bounce is recorded.
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: invitation}, 2)); err != nil {
		t.Fatal(err)
	}
	if n := f.notices(t, postgres.KindContactUndeliverable, *globex.SupportMemberID); n != 1 {
		t.Fatalf("the CSM got %d bounce notices, want 1", n)
	}
	// A new address is deliverable again.
	if _, err := f.db.App.UpdateContact(f.admin, contact.ID, onboardiq.ContactPatch{Email: onboardiq.Set("somebody@globex.example")}); err != nil {
		t.Fatal(err)
	}
	if got := f.contact(t, contact.ID); got.Undeliverable != nil {
		t.Errorf("a changed address is still undeliverable: %q", *got.Undeliverable)
	}
}

// TestTaskEmailsCarryAReplyAddress: an email about a task (a staff alert
// here) carries a Reply-To that names the task and its recipient, so a
// reply reaches the task.
func TestTaskEmailsCarryAReplyAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	box := mailtest.New(t)
	w := &EmailWorker{DB: f.db.App, Mailer: &notify.Mailer{SMTPURL: box.URL(), From: "OnboardIQ <onboardiq@acme.example>",
		BaseURL: "http://onboardiq.test", InboundDomain: "reply.acme.example"}}
	task := f.customerTask(t, "lena.park@initech.example")
	contact := f.as(t, "lena.park@initech.example")
	if _, err := f.db.App.AddComment(contact, task, "We need a second sandbox."); err != nil {
		t.Fatal(err)
	}
	before := f.pending(t, "email")
	f.fanOut(t)
	after := f.pending(t, "email")
	if len(after) == len(before) {
		t.Fatal("the comment queued no staff email")
	}
	for _, id := range after[len(before):] {
		if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: id}, 1)); err != nil {
			t.Fatal(err)
		}
	}
	msgs := box.Messages()
	if len(msgs) == 0 {
		t.Fatal("no email arrived")
	}
	for _, m := range msgs {
		line := headerLine(m.Data, "Reply-To")
		local, domain, _ := strings.Cut(strings.Trim(line, "<> "), "@")
		if !strings.HasPrefix(local, "reply+") || domain != "reply.acme.example" {
			t.Fatalf("Reply-To %q in:\n%s", line, m.Data)
		}
		if len(local) > 64 {
			t.Errorf("the reply address's local part is %d characters, over RFC 5321's 64: %s", len(local), local)
		}
	}
}

// headerLine is the value of a message's header, unfolded; "" when absent.
func headerLine(data, name string) string {
	head, _, _ := strings.Cut(strings.ReplaceAll(data, "\r\n", "\n"), "\n\n")
	head = strings.ReplaceAll(head, "\n ", " ")
	for _, l := range strings.Split(head, "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// contact reads a contact as the admin sees them (an empty edit changes
// nothing and returns them).
func (f *fixture) contact(t *testing.T, id uuid.UUID) *onboardiq.User {
	t.Helper()
	u, err := f.db.App.UpdateContact(f.admin, id, onboardiq.ContactPatch{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// notices counts the user's notifications of a kind.
func (f *fixture) notices(t *testing.T, kind string, user uuid.UUID) int {
	t.Helper()
	var n int
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = $1 AND user_id = $2`, kind, user).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
