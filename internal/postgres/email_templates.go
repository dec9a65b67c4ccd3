package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// EmailTemplate is one kind of email to contacts (internal/mailtemplate)
// as the workspace sends it: the subject and Markdown body in force (the
// workspace's own version, else the default) and what it may say.
type EmailTemplate struct {
	Kind        string             `json:"kind" doc:"The kind of email: invitation, welcome, task_assigned, …"`
	Label       string             `json:"label"`
	Description string             `json:"description" doc:"When it is sent."`
	Optional    bool               `json:"optional" doc:"Contacts may turn it off (preferences, the unsubscribe link); sign-in mail cannot be."`
	Variables   []mailtemplate.Var `json:"variables" doc:"The {{name}} placeholders it may use: the common ones, then its own."`
	Subject     string             `json:"subject"`
	Body        string             `json:"body" doc:"Markdown."`
	// Customised: the workspace saved its own version; otherwise Subject
	// and Body are the defaults.
	Customised     bool       `json:"customised"`
	DefaultSubject string     `json:"default_subject"`
	DefaultBody    string     `json:"default_body"`
	UpdatedAt      *time.Time `json:"updated_at,omitempty" doc:"When the workspace's version was saved; absent for the default."`
	UpdatedBy      *uuid.UUID `json:"updated_by,omitempty"`
	UpdatedByName  string     `json:"updated_by_name,omitempty"`
}

// EmailPreview is an email to a contact rendered with its kind's example
// values and the workspace's name and colours: the subject, the text part
// and the Markdown of the HTML part, with what notify.ContactEmail needs
// to make the HTML the contact would get (the store does not make HTML:
// the mailer does, and the preview goes through the same function).
type EmailPreview struct {
	Kind      string
	Subject   string
	Text      string
	Markdown  string
	Workspace string
	Accent    string
	Portal    string // "/portal/{slug}"
	// Unsubscribe is the path of an example unsubscribe link, for a kind
	// contacts may turn off (the footer and List-Unsubscribe): the example
	// token opens nothing.
	Unsubscribe string
}

// ListEmailTemplates lists every kind of email to contacts, in the order
// of internal/mailtemplate, each as the workspace sends it (staff).
func (db *DB) ListEmailTemplates(ctx context.Context) ([]*EmailTemplate, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]*EmailTemplate, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return nil, err
		}
		return loadEmailTemplates(ctx, tx, "")
	})
}

// GetEmailTemplate returns one kind of email to contacts as the workspace
// sends it (staff); an unknown kind is not found.
func (db *DB) GetEmailTemplate(ctx context.Context, kind string) (*EmailTemplate, error) {
	if _, ok := mailtemplate.Find(kind); !ok {
		return nil, errNoEmailKind
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*EmailTemplate, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return nil, err
		}
		return loadEmailTemplate(ctx, tx, kind)
	})
}

// SetEmailTemplate saves the workspace's own subject and Markdown body for
// a kind of email (admins). A subject or body the kind cannot send (empty,
// too long, a variable it does not have) is refused naming the field, and
// the saved version stays as it was.
func (db *DB) SetEmailTemplate(ctx context.Context, kind, subject, body string) (*EmailTemplate, error) {
	k, ok := mailtemplate.Find(kind)
	if !ok {
		return nil, errNoEmailKind
	}
	var out *EmailTemplate
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		if err := k.Check(subject, body); err != nil {
			return err
		}
		before, err := loadEmailTemplate(ctx, tx, kind)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO email_templates (tenant_id, kind, subject, body, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, kind) DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			tx.TenantID(), kind, subject, body, p.Actor(), time.Now()); err != nil {
			return fmt.Errorf("save email template: %w", err)
		}
		if out, err = loadEmailTemplate(ctx, tx, kind); err != nil {
			return err
		}
		return emitEmailTemplateChanged(ctx, tx, k, before, out, false)
	})
	return out, err
}

// ResetEmailTemplate drops the workspace's own version of a kind of email
// (admins): the default is sent again. Resetting a default changes nothing.
func (db *DB) ResetEmailTemplate(ctx context.Context, kind string) (*EmailTemplate, error) {
	k, ok := mailtemplate.Find(kind)
	if !ok {
		return nil, errNoEmailKind
	}
	var out *EmailTemplate
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		before, err := loadEmailTemplate(ctx, tx, kind)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM email_templates WHERE tenant_id = $1 AND kind = $2`, tx.TenantID(), kind); err != nil {
			return fmt.Errorf("reset email template: %w", err)
		}
		if out, err = loadEmailTemplate(ctx, tx, kind); err != nil {
			return err
		}
		if !before.Customised {
			return nil
		}
		return emitEmailTemplateChanged(ctx, tx, k, before, out, true)
	})
	return out, err
}

// PreviewEmailTemplate renders a kind of email with its example values and
// the workspace's name and colours (staff): the subject and body given, or,
// for one that is nil, the saved one (else the default). Text that the
// kind could not send is refused as SetEmailTemplate refuses it.
func (db *DB) PreviewEmailTemplate(ctx context.Context, kind string, subject, body *string) (*EmailPreview, error) {
	if _, ok := mailtemplate.Find(kind); !ok {
		return nil, errNoEmailKind
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*EmailPreview, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return nil, err
		}
		return previewEmail(ctx, tx, kind, subject, body)
	})
}

// SendTestEmail sends the caller (an admin) a kind of email rendered as
// PreviewEmailTemplate renders it, to their own address, now: through the
// delivery pipeline (a delivery of event type "test", in the delivery log)
// but past the quiet hours, the daily cap and the preferences that hold
// for contacts. It returns the delivery's id.
func (db *DB) SendTestEmail(ctx context.Context, kind string, subject, body *string) (uuid.UUID, error) {
	if _, ok := mailtemplate.Find(kind); !ok {
		return uuid.Nil, errNoEmailKind
	}
	var id uuid.UUID
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		if p.IsSystem() {
			return onboardiq.Invalid("user", "a test email goes to the user who asks for it; the command line is none")
		}
		pv, err := previewEmail(ctx, tx, kind, subject, body)
		if err != nil {
			return err
		}
		var email string
		if err := tx.QueryRow(ctx, `SELECT email FROM tenant_users WHERE tenant_id = $1 AND user_id = $2`, tx.TenantID(), p.UserID).Scan(&email); err != nil {
			return storeError(err, "user")
		}
		payload := map[string]any{"subject": pv.Subject, "text": pv.Text, "markdown": pv.Markdown, "kind": kind, "test": true,
			"workspace": pv.Workspace, "accent": pv.Accent, "portal": pv.Portal}
		if pv.Unsubscribe != "" {
			payload["unsubscribe"] = pv.Unsubscribe
		}
		if err := tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, event_type, payload, recipient, message_id, user_id)
VALUES ($1, 'email', $2, $3, $4, $5, $6) RETURNING delivery_id`, tx.TenantID(), TestEmailEvent, payload, email, newMessageID(), p.UserID).Scan(&id); err != nil {
			return fmt.Errorf("test email: %w", err)
		}
		return tx.Enqueue(ctx, EmailArgs{TenantID: tx.TenantID(), DeliveryID: id})
	})
	return id, err
}

// EmailTemplatesPage is the console's list of the emails to contacts, with
// the caller's unread count, read in one transaction.
type EmailTemplatesPage struct {
	Templates []*EmailTemplate
	Unread    int
}

// LoadEmailTemplatesPage reads the list of the emails to contacts (staff).
func (db *DB) LoadEmailTemplatesPage(ctx context.Context) (*EmailTemplatesPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*EmailTemplatesPage, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return nil, err
		}
		out := &EmailTemplatesPage{}
		var err error
		if out.Templates, err = loadEmailTemplates(ctx, tx, ""); err != nil {
			return nil, err
		}
		return out, tx.QueryRow(ctx, unreadQuery, tx.TenantID(), p.UserID).Scan(&out.Unread)
	})
}

// EmailTemplatePage is one kind's page: the kind as the workspace sends
// it, a preview (of the text given, else of the saved one; nil when none
// was asked for) and the caller's unread count.
type EmailTemplatePage struct {
	Template *EmailTemplate
	Preview  *EmailPreview
	Unread   int
}

// LoadEmailTemplatePage reads one kind's page (staff) in one transaction:
// with preview, the subject and body given (each nil: the saved one)
// rendered as PreviewEmailTemplate renders them, and refused as it
// refuses them.
func (db *DB) LoadEmailTemplatePage(ctx context.Context, kind string, subject, body *string, preview bool) (*EmailTemplatePage, error) {
	if _, ok := mailtemplate.Find(kind); !ok {
		return nil, errNoEmailKind
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*EmailTemplatePage, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return nil, err
		}
		out := &EmailTemplatePage{}
		var err error
		if out.Template, err = loadEmailTemplate(ctx, tx, kind); err != nil {
			return nil, err
		}
		if preview {
			if out.Preview, err = previewEmail(ctx, tx, kind, subject, body); err != nil {
				return nil, err
			}
		}
		return out, tx.QueryRow(ctx, unreadQuery, tx.TenantID(), p.UserID).Scan(&out.Unread)
	})
}

// TestEmailEvent is the event type of a test email's delivery.
const TestEmailEvent = "test"

var errNoEmailKind = onboardiq.Errorf(onboardiq.ENOTFOUND, "no such kind of email")

// loadEmailTemplates reads every kind (or, with only, that one) as the
// workspace sends it.
func loadEmailTemplates(ctx context.Context, tx *Tx, only string) ([]*EmailTemplate, error) {
	type saved struct {
		kind, subject, body, by string
		at                      time.Time
		byID                    *uuid.UUID
	}
	rows, err := tx.Query(ctx, `
SELECT et.kind, et.subject, et.body, et.updated_at, et.updated_by, coalesce(u.name, '')
FROM email_templates et LEFT JOIN tenant_users u ON u.tenant_id = et.tenant_id AND u.user_id = et.updated_by
WHERE et.tenant_id = $1 AND ($2 = '' OR et.kind = $2)`, tx.TenantID(), only)
	if err != nil {
		return nil, fmt.Errorf("email templates: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (saved, error) {
		var s saved
		return s, r.Scan(&s.kind, &s.subject, &s.body, &s.at, &s.byID, &s.by)
	})
	if err != nil {
		return nil, fmt.Errorf("email templates: %w", err)
	}
	own := map[string]saved{}
	for _, s := range list {
		own[s.kind] = s
	}
	var out []*EmailTemplate
	for _, k := range mailtemplate.Kinds {
		if only != "" && k.Name != only {
			continue
		}
		t := &EmailTemplate{Kind: k.Name, Label: k.Label, Description: k.Description, Optional: k.Optional, Variables: k.AllVars(),
			Subject: k.Subject, Body: k.Body, DefaultSubject: k.Subject, DefaultBody: k.Body}
		if s, ok := own[k.Name]; ok {
			at := s.at
			t.Subject, t.Body, t.Customised, t.UpdatedAt, t.UpdatedBy, t.UpdatedByName = s.subject, s.body, true, &at, s.byID, s.by
		}
		out = append(out, t)
	}
	return out, nil
}

func loadEmailTemplate(ctx context.Context, tx *Tx, kind string) (*EmailTemplate, error) {
	all, err := loadEmailTemplates(ctx, tx, kind)
	if err != nil {
		return nil, err
	}
	if len(all) != 1 {
		return nil, errNoEmailKind
	}
	return all[0], nil
}

// emitEmailTemplateChanged records a change of a kind's template: which
// of subject and body changed (not their text, which can be long).
func emitEmailTemplateChanged(ctx context.Context, tx *Tx, k mailtemplate.Kind, before, after *EmailTemplate, reset bool) error {
	ch := map[string]any{}
	if before.Subject != after.Subject {
		ch["subject"] = map[string]any{"from": before.Subject, "to": after.Subject}
	}
	if before.Body != after.Body {
		ch["body"] = map[string]any{}
	}
	if len(ch) == 0 && !reset && before.Customised {
		return nil
	}
	data := map[string]any{"kind": k.Name, "label": k.Label}
	if reset {
		data["reset"] = true
	}
	return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventEmailTemplateChanged, Changes: ch, Data: data})
}

// previewEmail renders kind's subject and body (or, for nil, the saved or
// default one) with the kind's examples and the workspace's name.
func previewEmail(ctx context.Context, tx *Tx, kind string, subject, body *string) (*EmailPreview, error) {
	k, _ := mailtemplate.Find(kind)
	t, err := loadEmailTemplate(ctx, tx, kind)
	if err != nil {
		return nil, err
	}
	subj, text := t.Subject, t.Body
	if subject != nil {
		subj = *subject
	}
	if body != nil {
		text = *body
	}
	if subject != nil || body != nil {
		if err := k.Check(subj, text); err != nil {
			return nil, err
		}
	}
	pv := &EmailPreview{Kind: kind}
	var slug string
	err = tx.QueryRow(ctx, `
SELECT tn.slug, coalesce(nullif(b.portal_name, ''), tn.name), coalesce(b.accent_color, '')
FROM tenants tn LEFT JOIN tenant_branding b ON b.tenant_id = tn.tenant_id
WHERE tn.tenant_id = $1`, tx.TenantID()).Scan(&slug, &pv.Workspace, &pv.Accent)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "workspace not found")
	}
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	values := k.Examples()
	values["workspace_name"] = pv.Workspace
	msg := k.Render(subj, text, values)
	pv.Subject, pv.Text, pv.Markdown, pv.Portal = msg.Subject, msg.Text, msg.Markdown, "/portal/"+slug
	if k.Optional {
		pv.Unsubscribe = pv.Portal + "/unsubscribe?token=example"
	}
	return pv, nil
}
