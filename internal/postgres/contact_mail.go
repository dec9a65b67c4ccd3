package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// LinkEmail is the purpose of the one-click link in an email to a contact:
// it signs them in (once, within EmailLinkTTL) on the page the email is
// about, through the Continue page like every emailed link.
const LinkEmail = "email_link"

// EmailLinkTTL is how long the link in an email to a contact works.
const EmailLinkTTL = 7 * 24 * time.Hour

// ContactMail is an email to a customer contact, of one of the kinds of
// internal/mailtemplate, rendered from the tenant's version of its template.
type ContactMail struct {
	Kind   string
	UserID uuid.UUID // the contact
	// Key makes the email happen once: a second ContactMail with the same
	// key queues nothing. It names the kind, what the email is about and
	// its occasion ("task_due_soon:<task>:<due date>"); "": never deduplicated.
	Key string
	// Values are the kind's own variables (the common ones, and {{link}},
	// are filled here).
	Values map[string]string
	// Page is the portal page the link opens, below /portal/{slug}
	// ("/tasks/<id>"); "": the portal's home.
	Page      string
	TaskID    *uuid.UUID // the task it is about: a reply to it reaches the task
	ProjectID *uuid.UUID
}

// What queueContactMail did with an email.
const (
	MailQueued        = "queued"        // to be sent now
	MailQuiet         = "quiet"         // to be sent when the quiet hours end
	MailDuplicate     = "duplicate"     // its key was queued before
	MailOff           = "off"           // the contact turned the kind off
	MailNotContact    = "not_contact"   // the user is no active contact
	MailUndeliverable = "undeliverable" // skipped: the address bounced
	MailCapped        = "capped"        // skipped: the daily cap was reached
)

// contactMailTarget is what an email to a contact needs to know of them,
// their company and workspace.
type contactMailTarget struct {
	email, name, timeZone, customer, slug, workspace string
	accent                                           string
	csmName, csmEmail                                string
	active                                           bool
	undeliverable                                    bool
	off                                              bool
	sentToday                                        int
	subject, body                                    *string // the tenant's own template, if any
}

// queueContactMail queues one email to a contact, in tx, as of now: unless
// the contact turned its kind off, or an email with the same key was
// queued before. An address that bounced, or a contact past the daily
// cap, gets a delivery marked skipped (the delivery log says why) and no
// job. The email waits for the end of the quiet hours, in the contact's
// time zone. Its link, and the secret in it, are made when it is sent
// (ReissueLink): the delivery holds none.
func queueContactMail(ctx context.Context, tx *Tx, m ContactMail, now time.Time) (string, error) {
	kind, ok := mailtemplate.Find(m.Kind)
	if !ok {
		return "", fmt.Errorf("contact mail: unknown kind %q", m.Kind)
	}
	if m.Key != "" {
		var dup bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM deliveries WHERE tenant_id = $1 AND idempotency_key = $2)`,
			tx.TenantID(), m.Key).Scan(&dup); err != nil {
			return "", fmt.Errorf("contact mail: %w", err)
		}
		if dup {
			return MailDuplicate, nil
		}
	}
	t, err := loadMailTarget(ctx, tx, m.UserID, m.Kind, now)
	if err != nil {
		return "", err
	}
	switch {
	case t == nil || !t.active:
		return MailNotContact, nil
	case t.off && kind.Optional:
		return MailOff, nil
	}
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return "", err
	}
	msg := t.render(kind, m.Values)

	status, reason := "pending", ""
	switch {
	case t.undeliverable:
		status, reason = "skipped", "not sent: the address is undeliverable (an earlier email bounced)"
	case kind.Optional && t.sentToday >= settings.ContactEmails.DailyCap:
		status, reason = "skipped", fmt.Sprintf("not sent: the daily cap of %d emails to this contact was reached", settings.ContactEmails.DailyCap)
	}
	payload := t.payload(m.Kind, msg)
	if status == "pending" {
		tokenID, err := newLinkToken(ctx, tx, m.UserID, LinkEmail, now.Add(EmailLinkTTL))
		if err != nil {
			return "", err
		}
		withLink(payload, tokenID, "/portal/"+t.slug+"/magic?next="+url.QueryEscape(safePage(m.Page))+"&token=")
		if kind.Optional && tx.secrets != nil {
			payload["unsubscribe"] = "/portal/" + t.slug + "/unsubscribe?token=" + unsubscribeToken(tx, m.UserID, m.Kind)
		}
		if m.TaskID != nil {
			payload["task_id"] = *m.TaskID
		}
	}
	var id uuid.UUID
	err = tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, event_type, payload, recipient, message_id, idempotency_key, user_id, status, last_error)
VALUES ($1, 'email', $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING delivery_id`, tx.TenantID(), m.Kind, payload, t.email, newMessageID(), nullIfEmpty(m.Key), m.UserID, status, nullIfEmpty(reason)).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return MailDuplicate, nil
	case err != nil:
		return "", fmt.Errorf("contact mail: delivery: %w", err)
	case status == "skipped" && t.undeliverable:
		return MailUndeliverable, nil
	case status == "skipped":
		return MailCapped, nil
	}
	settings.TimeZone = contactLocation(t.timeZone, settings).String()
	at := quietUntil(settings, now)
	if err := tx.EnqueueAt(ctx, EmailArgs{TenantID: tx.TenantID(), DeliveryID: id}, at); err != nil {
		return "", err
	}
	if at.After(now) {
		return MailQuiet, nil
	}
	return MailQueued, nil
}

// loadMailTarget reads what an email of kind to user needs; nil when
// there is no such user or they are no contact.
func loadMailTarget(ctx context.Context, tx *Tx, user uuid.UUID, kind string, now time.Time) (*contactMailTarget, error) {
	t := &contactMailTarget{}
	err := tx.QueryRow(ctx, `
SELECT u.email, u.name, u.time_zone, c.name, tn.slug, coalesce(nullif(b.portal_name, ''), tn.name), coalesce(b.accent_color, ''),
       coalesce(s.name, ''), coalesce(s.email, ''),
       u.role = 'customer' AND u.disabled_at IS NULL, u.undeliverable_at IS NOT NULL,
       coalesce(np.email = 'off', false),
       (SELECT count(*) FROM deliveries d WHERE d.tenant_id = u.tenant_id AND d.user_id = u.user_id
          AND d.status <> 'skipped' AND d.event_type <> $4 AND d.created_at > $5::timestamptz - interval '24 hours'),
       et.subject, et.body
FROM tenant_users u
JOIN customers c ON c.tenant_id = u.tenant_id AND c.customer_id = u.customer_id
JOIN tenants tn ON tn.tenant_id = u.tenant_id
LEFT JOIN tenant_branding b ON b.tenant_id = u.tenant_id
LEFT JOIN tenant_users s ON s.tenant_id = c.tenant_id AND s.user_id = c.support_member_id AND s.disabled_at IS NULL
LEFT JOIN notification_preferences np ON np.tenant_id = u.tenant_id AND np.user_id = u.user_id AND np.kind = $3
LEFT JOIN email_templates et ON et.tenant_id = u.tenant_id AND et.kind = $3
WHERE u.tenant_id = $1 AND u.user_id = $2`, tx.TenantID(), user, kind, mailtemplate.Invitation, now).Scan(
		&t.email, &t.name, &t.timeZone, &t.customer, &t.slug, &t.workspace, &t.accent, &t.csmName, &t.csmEmail,
		&t.active, &t.undeliverable, &t.off, &t.sentToday, &t.subject, &t.body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("contact mail: recipient: %w", err)
	}
	return t, nil
}

// render fills the tenant's version of kind's template (or the default)
// for t, with values beside the common variables; {{link}} becomes the
// placeholder the link is put in when the email is sent.
func (t *contactMailTarget) render(kind mailtemplate.Kind, values map[string]string) mailtemplate.Message {
	all := map[string]string{
		"contact_name": t.name, "contact_first_name": firstName(t.name), "customer_name": t.customer,
		"workspace_name": t.workspace, "csm_name": t.csmName, "csm_email": t.csmEmail, "link": linkPlaceholder,
	}
	for k, v := range values {
		all[k] = v
	}
	subject, body := kind.Subject, kind.Body
	if t.subject != nil && t.body != nil {
		subject, body = *t.subject, *t.body
	}
	return kind.Render(subject, body, all)
}

// payload is the delivery payload of msg to t, with the workspace's
// branding for the HTML part.
func (t *contactMailTarget) payload(kind string, msg mailtemplate.Message) map[string]any {
	return map[string]any{"subject": msg.Subject, "text": msg.Text, "markdown": msg.Markdown, "kind": kind,
		"workspace": t.workspace, "accent": t.accent, "portal": "/portal/" + t.slug}
}

// withLink adds a one-time link to a payload: the token whose secret the
// email worker makes at send time, and the address it goes after.
func withLink(payload map[string]any, tokenID uuid.UUID, prefix string) map[string]any {
	payload["token_id"] = tokenID
	payload["link_prefix"] = prefix
	return payload
}

// newLinkToken records a one-time link for user whose secret is made when
// the email carrying it is sent (ReissueLink); until then it opens nothing.
func newLinkToken(ctx context.Context, tx *Tx, user uuid.UUID, purpose string, expires time.Time) (uuid.UUID, error) {
	placeholder := make([]byte, 32)
	if _, err := rand.Read(placeholder); err != nil {
		return uuid.Nil, err
	}
	sum := sha256.Sum256(placeholder)
	var id uuid.UUID
	if err := tx.QueryRow(ctx, `INSERT INTO login_tokens (tenant_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING token_id`,
		tx.TenantID(), user, purpose, sum[:], expires).Scan(&id); err != nil {
		return uuid.Nil, fmt.Errorf("link: %w", err)
	}
	return id, nil
}

// safePage is page if it is a path within the portal, else the portal's
// home: a link never leads off the site.
func safePage(page string) string {
	if !strings.HasPrefix(page, "/") || strings.HasPrefix(page, "//") || strings.ContainsAny(page, "\\\r\n\t ") || strings.Contains(page, "..") {
		return "/"
	}
	return page
}

// SafePortalPage is the portal page a link's next parameter names: a path
// below the portal, or "/" (the home) for anything else.
func SafePortalPage(page string) string { return safePage(page) }

func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return name
}

// contactLocation is the time zone a contact reads in: theirs, else the
// workspace's.
func contactLocation(userTZ string, s onboardiq.NotificationSettings) *time.Location {
	if userTZ != "" {
		if loc, err := time.LoadLocation(userTZ); err == nil {
			return loc
		}
	}
	return s.Location()
}

// Unsubscribe tokens: the tenant, the contact and the kind, signed with the
// server's keyring, so the link in an email (and the one-click POST of
// RFC 8058 that mail clients send) turns that kind off without signing in.
const unsubscribePurpose = "onboardiq unsubscribe v1"

var unsubscribeEnc = base64.RawURLEncoding

func unsubscribeToken(tx *Tx, user uuid.UUID, kind string) string {
	tenant := tx.TenantID()
	body := append(append(append([]byte{}, tenant[:]...), user[:]...), kind...)
	return unsubscribeEnc.EncodeToString(append(body, tx.secrets.MAC(unsubscribePurpose, body)[:16]...))
}

// Unsubscription is what an unsubscribe link names, for its page.
type Unsubscription struct {
	TenantID  uuid.UUID
	UserID    uuid.UUID
	Email     string
	Workspace string
	Kind      string // the kind the email was of
	Label     string // its label ("Task due soon")
	Off       bool   // already off
}

func (db *DB) readUnsubscribeToken(token string) (tenant, user uuid.UUID, kind string, ok bool) {
	raw, err := unsubscribeEnc.DecodeString(token)
	if err != nil || db.secrets == nil || len(raw) < 32+1+16 || len(raw) > 32+64+16 {
		return uuid.Nil, uuid.Nil, "", false
	}
	body, sum := raw[:len(raw)-16], raw[len(raw)-16:]
	if !db.secrets.VerifyMAC(unsubscribePurpose, body, sum) {
		return uuid.Nil, uuid.Nil, "", false
	}
	copy(tenant[:], body[:16])
	copy(user[:], body[16:32])
	return tenant, user, string(body[32:]), true
}

var errUnsubscribeLink = onboardiq.Errorf(onboardiq.ENOTFOUND, "this unsubscribe link is not valid")

// CheckUnsubscribe reads an unsubscribe link without changing anything,
// for the page that asks to confirm it.
func (db *DB) CheckUnsubscribe(ctx context.Context, token string) (*Unsubscription, error) {
	return db.unsubscribe(ctx, token, false, false)
}

// Unsubscribe turns off the kind of email an unsubscribe link was in (or,
// with all, every kind a contact may turn off) for the contact it names.
// It needs no session: the link is signed. Sign-in mail stays on.
func (db *DB) Unsubscribe(ctx context.Context, token string, all bool) (*Unsubscription, error) {
	return db.unsubscribe(ctx, token, true, all)
}

func (db *DB) unsubscribe(ctx context.Context, token string, apply, all bool) (*Unsubscription, error) {
	tenant, user, kind, ok := db.readUnsubscribeToken(token)
	k, known := mailtemplate.Find(kind)
	if !ok || !known || !k.Optional {
		return nil, errUnsubscribeLink
	}
	u := &Unsubscription{TenantID: tenant, UserID: user, Kind: kind, Label: k.Label}
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		err := tx.QueryRow(ctx, `
SELECT u.email, coalesce(nullif(b.portal_name, ''), tn.name), coalesce(np.email = 'off', false)
FROM tenant_users u JOIN tenants tn ON tn.tenant_id = u.tenant_id
LEFT JOIN tenant_branding b ON b.tenant_id = u.tenant_id
LEFT JOIN notification_preferences np ON np.tenant_id = u.tenant_id AND np.user_id = u.user_id AND np.kind = $3
WHERE u.tenant_id = $1 AND u.user_id = $2 AND u.role = 'customer'`, tenant, user, kind).Scan(&u.Email, &u.Workspace, &u.Off)
		if errors.Is(err, pgx.ErrNoRows) {
			return errUnsubscribeLink
		}
		if err != nil || !apply {
			return err
		}
		kinds := []string{kind}
		if all {
			kinds = mailtemplate.OptionalKinds()
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO notification_preferences (tenant_id, user_id, kind, in_app, email)
SELECT $1, $2, k, true, 'off' FROM unnest($3::text[]) AS k
ON CONFLICT (tenant_id, user_id, kind) DO UPDATE SET email = 'off'
RETURNING kind`, tenant, user, kinds); err != nil {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		u.Off = true
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUserUpdated, Data: map[string]any{"user_id": user, "unsubscribed": kinds}})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// KindContactUndeliverable tells a CSM that email to one of their
// customer's contacts bounced for good.
const KindContactUndeliverable = "contact_undeliverable"

// StaffNotice is a notification for some users, once per user and key.
type StaffNotice struct {
	Kind, Title, Body string
	ProjectID         *uuid.UUID
	Data              map[string]any // data.link is where opening it goes
	Key               string         // the notice happens once per user and key
	Users             []uuid.UUID
}

// NotifyUsers notifies each of n's users (active, and not having turned the
// kind off in the app) once per key, in the app and by email as they
// prefer (immediately after the quiet hours, or in the digest).
func (tx *Tx) NotifyUsers(ctx context.Context, n StaffNotice, now time.Time) ([]Notified, error) {
	if len(n.Users) == 0 {
		return nil, nil
	}
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	data := n.Data
	if data == nil {
		data = map[string]any{}
	}
	rows, err := tx.Query(ctx, `
WITH ins AS (
INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body, data, dedupe_key, email_state)
SELECT $1, u.user_id, $2, $3, $4, $5, $6, $7,
       CASE coalesce(np.email, 'immediate') WHEN 'immediate' THEN 'pending' WHEN 'digest' THEN 'digest' ELSE 'none' END
FROM tenant_users u
LEFT JOIN notification_preferences np ON np.tenant_id = u.tenant_id AND np.user_id = u.user_id AND np.kind = $2
WHERE u.tenant_id = $1 AND u.user_id = ANY ($8) AND u.disabled_at IS NULL AND coalesce(np.in_app, true)
ON CONFLICT DO NOTHING
RETURNING notification_id, user_id, email_state
)
SELECT ins.notification_id, ins.user_id, u.email, ins.email_state
FROM ins JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = ins.user_id`,
		tx.TenantID(), n.Kind, n.ProjectID, n.Title, n.Body, data, n.Kind+":"+n.Key, n.Users)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	project := uuid.Nil
	if n.ProjectID != nil {
		project = *n.ProjectID
	}
	return queueNotified(ctx, tx, rows, n.Kind, project, n.Title, settings, now)
}

// markUndeliverable records that o's recipient refused mail for good: their
// address is marked undeliverable (later emails to it are skipped, and the
// contact's page says so) and, for a contact, their CSM (or, without one,
// the admins) is told, once per bounce.
func markUndeliverable(ctx context.Context, tx *Tx, o *Outbound, reason string, now time.Time) error {
	var user uuid.UUID
	var name, email string
	var customer *uuid.UUID
	err := tx.QueryRow(ctx, `
UPDATE tenant_users SET undeliverable_at = $4, undeliverable_reason = left($5, 300), updated_at = $4
WHERE tenant_id = $1 AND (user_id = $2 OR ($2::uuid IS NULL AND email = lower($3))) AND undeliverable_at IS NULL
RETURNING user_id, name, email, customer_id`, tx.TenantID(), o.UserID, o.Recipient, now, reason).Scan(&user, &name, &email, &customer)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // marked before, or no user has the address
	}
	if err != nil {
		return fmt.Errorf("mark undeliverable: %w", err)
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUserUpdated, CustomerID: customer,
		Data: map[string]any{"user_id": user, "undeliverable": reason}}); err != nil {
		return err
	}
	if customer == nil {
		return nil
	}
	rows, err := tx.Query(ctx, `
SELECT s.user_id FROM customers c JOIN tenant_users s ON s.tenant_id = c.tenant_id AND s.user_id = c.support_member_id AND s.disabled_at IS NULL
WHERE c.tenant_id = $1 AND c.customer_id = $2
UNION ALL
SELECT a.user_id FROM tenant_users a
WHERE a.tenant_id = $1 AND a.role = 'admin' AND a.disabled_at IS NULL
  AND NOT EXISTS (SELECT FROM customers c JOIN tenant_users s ON s.tenant_id = c.tenant_id AND s.user_id = c.support_member_id AND s.disabled_at IS NULL
                  WHERE c.tenant_id = $1 AND c.customer_id = $2)`, tx.TenantID(), *customer)
	if err != nil {
		return err
	}
	to, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	_, err = tx.NotifyUsers(ctx, StaffNotice{Kind: KindContactUndeliverable, Users: to, Key: user.String() + ":" + now.UTC().Format(time.RFC3339),
		Title: fmt.Sprintf("Email to %s bounced", name),
		Body:  fmt.Sprintf("The mail server refused %s for good (%s). OnboardIQ sends nothing more to this address until it is changed on the contact.", email, reason),
		Data:  map[string]any{"user_id": user, "customer_id": *customer, "link": "/app/customers/" + customer.String()}}, now)
	return err
}
