package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// queueFor queues an email of kind to the fixture's contact, as the
// reminders do, and returns what queueContactMail did and the delivery's
// payload (nil when none was made).
func (f *pageFixture) queueFor(t *testing.T, kind, key string) (string, map[string]any) {
	t.Helper()
	var outcome string
	var payload map[string]any
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		outcome, err = queueContactMail(ctx, tx, ContactMail{Kind: kind, UserID: f.contact.ID, Key: key,
			Values: map[string]string{"task_title": "Send the SSO metadata", "task_due": "Tue 8 Dec 2026", "project_name": "Rollout"}}, time.Now())
		if err != nil {
			return err
		}
		var p *map[string]any
		if err := tx.QueryRow(ctx, `SELECT (SELECT payload FROM deliveries WHERE tenant_id = $1 AND idempotency_key = $2)`, f.tenant, key).Scan(&p); err != nil {
			return err
		}
		if p != nil {
			payload = *p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return outcome, payload
}

// TestPortalPreferencesStopThatKind: a contact who turns "task due soon"
// off in their preferences is sent no reminder of it (MailOff, and no
// delivery), while the kinds they left on still go; turned on again, it
// goes.
func TestPortalPreferencesStopThatKind(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	if _, err := f.db.SetContactEmailPreferences(f.asContact, []ContactEmailChoice{{Kind: mailtemplate.TaskDueSoon, On: false}}, nil); err != nil {
		t.Fatal(err)
	}
	if got, payload := f.queueFor(t, mailtemplate.TaskDueSoon, "due:"+uuid.NewString()); got != MailOff || payload != nil {
		t.Errorf("task due soon, turned off: %s %v", got, payload)
	}
	if got, _ := f.queueFor(t, mailtemplate.TaskAssigned, "assigned:"+uuid.NewString()); got != MailQueued && got != MailQuiet {
		t.Errorf("task assigned, left on: %s", got)
	}
	if _, err := f.db.SetContactEmailPreferences(f.asContact, []ContactEmailChoice{{Kind: mailtemplate.TaskDueSoon, On: true}}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.queueFor(t, mailtemplate.TaskDueSoon, "due:"+uuid.NewString()); got != MailQueued && got != MailQuiet {
		t.Errorf("task due soon, on again: %s", got)
	}
}

// TestSavedTemplateIsQueued: an email queued after an admin saved the
// kind's template is rendered from it, and after a reset from the default.
func TestSavedTemplateIsQueued(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	if _, err := f.db.SetEmailTemplate(f.as, mailtemplate.TaskDueSoon, "Heads up, {{contact_first_name}}: {{task_title}}",
		"Dear {{contact_name}},\n\n{{task_title}} for {{customer_name}} is due {{task_due}}. [Go]({{link}})"); err != nil {
		t.Fatal(err)
	}
	_, payload := f.queueFor(t, mailtemplate.TaskDueSoon, "due:1")
	if payload["subject"] != "Heads up, Contact: Send the SSO metadata" ||
		!strings.Contains(payload["text"].(string), "Dear Contact,\n\nSend the SSO metadata for Globex is due Tue 8 Dec 2026. Go: {link}") {
		t.Errorf("the queued email: %v", payload)
	}
	if _, err := f.db.ResetEmailTemplate(f.as, mailtemplate.TaskDueSoon); err != nil {
		t.Fatal(err)
	}
	if _, payload := f.queueFor(t, mailtemplate.TaskDueSoon, "due:2"); payload["subject"] != "Due Tue 8 Dec 2026: Send the SSO metadata" {
		t.Errorf("after a reset: %v", payload["subject"])
	}
}
