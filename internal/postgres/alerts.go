package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
)

// Notification kinds.
const (
	KindProjectOverdue   = "project_overdue"
	KindOverdueEscalated = "project_overdue_escalated"
	KindProjectAtRisk    = "project_at_risk"
)

// NotificationKinds are the kinds a user can set preferences for.
var NotificationKinds = []string{KindProjectOverdue, KindOverdueEscalated, KindProjectAtRisk,
	KindCustomerCompletedTask, KindCustomerBlockedTask, KindCustomerReopenedTask, KindCustomerCommented, KindMentioned, KindContactUndeliverable,
	KindCustomerAskedForHelp, KindTaskDueSoon, KindTaskOverdue, KindCustomerInactive, KindSurveyDetractor,
	KindPlaybook, KindEscalation, KindQuotaWarning}

// EventWebhookTest is the webhook type of the test event an admin sends to
// one endpoint: a delivery, not a recorded change.
const EventWebhookTest = "webhook.test"

// EmailArgs sends one email delivery.
type EmailArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	DeliveryID uuid.UUID `json:"delivery_id"`
}

// Kind is River's name for the job.
func (EmailArgs) Kind() string { return "email" }

// Attempts before a delivery is given up: an email on temporary SMTP
// failures, a webhook over about a day (see internal/jobs).
const (
	EmailMaxAttempts   = 10
	WebhookMaxAttempts = 8
)

// InsertOpts bounds the attempts.
func (EmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: EmailMaxAttempts}
}

// WebhookArgs sends one webhook delivery.
type WebhookArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	DeliveryID uuid.UUID `json:"delivery_id"`
}

// Kind is River's name for the job.
func (WebhookArgs) Kind() string { return "webhook" }

// InsertOpts bounds the attempts.
func (WebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: WebhookMaxAttempts}
}

// Alert is a notification about a project for some recipients.
type Alert struct {
	ProjectID  uuid.UUID
	Kind       string
	Dedupe     string // the alert happens once per project, kind and dedupe
	Title      string
	Body       string
	Reason     string
	Recipients []uuid.UUID
	Event      *onboardiq.Event // the change it also records, if any
}

// Notified is a notification an alert created.
type Notified struct {
	NotificationID uuid.UUID `json:"notification_id"`
	UserID         uuid.UUID `json:"user_id"`
	Email          string    `json:"email"`
	Kind           string    `json:"kind"`
	ProjectID      uuid.UUID `json:"project_id"`
	Title          string    `json:"title"`
	EmailDelivery  string    `json:"email_delivery" doc:"immediate, digest, off or quiet (sent when quiet hours end)."`
}

// raiseAlert raises an alert once: when this project, kind and dedupe has
// been alerted already (by this or a concurrent scan), it does nothing. It
// notifies each recipient in the app (unless they turned the kind off, or
// were notified of the same kind for the project within the cooldown),
// queues their email as they prefer, and records the alert's event.
func raiseAlert(ctx context.Context, tx *Tx, a Alert, now time.Time) ([]Notified, error) {
	tag, err := tx.Exec(ctx, `
INSERT INTO project_alerts (tenant_id, project_id, kind, dedupe, reason) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING`, tx.TenantID(), a.ProjectID, a.Kind, a.Dedupe, nullIfEmpty(a.Reason))
	if err != nil {
		return nil, fmt.Errorf("raise alert: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, nil
	}
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	// The emails are joined after the insert: a RETURNING subquery with a
	// parameter is refused by Citus.
	rows, err := tx.Query(ctx, `
WITH ins AS (
INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body, data, dedupe_key, email_state)
SELECT $1, u.user_id, $2, $3, $4, $5, $6, $7,
       CASE coalesce(np.email, 'immediate') WHEN 'immediate' THEN 'pending' WHEN 'digest' THEN 'digest' ELSE 'none' END
FROM tenant_users u
LEFT JOIN notification_preferences np ON np.tenant_id = u.tenant_id AND np.user_id = u.user_id AND np.kind = $2
WHERE u.tenant_id = $1 AND u.user_id = ANY ($8) AND u.disabled_at IS NULL AND coalesce(np.in_app, true)
  AND NOT EXISTS (
      SELECT FROM notifications n WHERE n.tenant_id = $1 AND n.user_id = u.user_id AND n.project_id = $3 AND n.kind = $2
        AND n.created_at > $9::timestamptz - make_interval(hours => $10))
ON CONFLICT DO NOTHING
RETURNING notification_id, user_id, email_state
)
SELECT ins.notification_id, ins.user_id, u.email, ins.email_state
FROM ins JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = ins.user_id`,
		tx.TenantID(), a.Kind, a.ProjectID, a.Title, a.Body, map[string]any{"reason": a.Reason}, a.Kind+":"+a.ProjectID.String()+":"+a.Dedupe,
		a.Recipients, now, settings.CooldownHours)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	out, err := queueNotified(ctx, tx, rows, a.Kind, a.ProjectID, a.Title, settings, now)
	if err != nil {
		return nil, err
	}
	if a.Event != nil {
		if err := tx.Emit(ctx, *a.Event); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// queueEmail records an email delivery and enqueues it to be sent at at.
func queueEmail(ctx context.Context, tx *Tx, notificationID uuid.UUID, to, eventType string, at time.Time) error {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, notification_id, event_type, recipient, message_id)
VALUES ($1, 'email', $2, $3, $4, $5) RETURNING delivery_id`,
		tx.TenantID(), notificationID, eventType, to, newMessageID()).Scan(&id)
	if err != nil {
		return fmt.Errorf("queue email: %w", err)
	}
	return tx.EnqueueAt(ctx, EmailArgs{TenantID: tx.TenantID(), DeliveryID: id}, at)
}

func newMessageID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}

// queueNotified reads the notifications an insert returned (id, user,
// email, email state) and queues the email of each whose recipient wants
// one now, after the quiet hours; EmailDelivery then says what became of
// it (immediate, quiet, digest or off).
func queueNotified(ctx context.Context, tx *Tx, rows pgx.Rows, kind string, project uuid.UUID, title string, settings onboardiq.NotificationSettings, now time.Time) ([]Notified, error) {
	var out []Notified
	for rows.Next() {
		n := Notified{Kind: kind, ProjectID: project, Title: title}
		if err := rows.Scan(&n.NotificationID, &n.UserID, &n.Email, &n.EmailDelivery); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, n := range out {
		switch n.EmailDelivery {
		case "pending":
			at := quietUntil(settings, now)
			if err := queueEmail(ctx, tx, n.NotificationID, n.Email, kind, at); err != nil {
				return nil, err
			}
			out[i].EmailDelivery = "immediate"
			if at.After(now) {
				out[i].EmailDelivery = "quiet"
			}
		case "none":
			out[i].EmailDelivery = "off"
		}
	}
	return out, nil
}
