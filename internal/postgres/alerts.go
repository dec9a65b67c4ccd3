package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// Notification kinds.
const (
	KindProjectOverdue   = "project_overdue"
	KindOverdueEscalated = "project_overdue_escalated"
	KindProjectAtRisk    = "project_at_risk"
)

// NotificationKinds are the kinds a user can set preferences for.
var NotificationKinds = []string{KindProjectOverdue, KindOverdueEscalated, KindProjectAtRisk}

// Webhook event types.
const (
	EventProjectOverdue       = "project.overdue"
	EventProjectAtRisk        = "project.at_risk"
	EventProjectCompleted     = "project.completed"
	EventProjectStatusChanged = "project.status_changed"
	EventTaskCompleted        = "task.completed"
	EventTaskBlocked          = "task.blocked"
	EventWebhookTest          = "webhook.test"
)

// WebhookEvents are the event types an endpoint can subscribe to.
var WebhookEvents = []string{EventProjectOverdue, EventProjectAtRisk, EventProjectCompleted, EventProjectStatusChanged, EventTaskCompleted, EventTaskBlocked}

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
	Event      string         // the webhook event it also is, if any
	EventData  map[string]any // the webhook event's data
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

// RaiseAlert raises an alert once: when this project, kind and dedupe has
// been alerted already (by this or a concurrent scan), it does nothing. It
// notifies each recipient in the app (unless they turned the kind off, or
// were notified of the same kind for the project within the cooldown),
// queues their email as they prefer, and emits the webhook event.
func RaiseAlert(ctx context.Context, tx *Tx, a Alert, now time.Time) ([]Notified, error) {
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
	rows, err := tx.Query(ctx, `
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
RETURNING notification_id, user_id, (SELECT email FROM tenant_users x WHERE x.tenant_id = $1 AND x.user_id = notifications.user_id), email_state`,
		tx.TenantID(), a.Kind, a.ProjectID, a.Title, a.Body, map[string]any{"reason": a.Reason}, a.Kind+":"+a.ProjectID.String()+":"+a.Dedupe,
		a.Recipients, now, settings.CooldownHours)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	var out []Notified
	for rows.Next() {
		n := Notified{Kind: a.Kind, ProjectID: a.ProjectID, Title: a.Title}
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
			if err := queueEmail(ctx, tx, n.NotificationID, n.Email, a.Kind, at); err != nil {
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
	if a.Event != "" {
		if err := EmitWebhookEvent(ctx, tx, a.Event, a.EventData, now); err != nil {
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

// EmitWebhookEvent records a delivery of the event to every enabled
// endpoint of the tenant that subscribed to it (or to everything), and
// enqueues them. Each delivery keeps one message id across its retries.
func EmitWebhookEvent(ctx context.Context, tx *Tx, eventType string, data map[string]any, now time.Time) error {
	body := map[string]any{"type": eventType, "timestamp": now.UTC().Format(time.RFC3339), "data": data}
	rows, err := tx.Query(ctx, `
INSERT INTO deliveries (tenant_id, channel, endpoint_id, event_type, payload, recipient, message_id)
SELECT $1, 'webhook', e.endpoint_id, $2, $3, e.url, 'msg_' || replace(gen_random_uuid()::text, '-', '')
FROM webhook_endpoints e
WHERE e.tenant_id = $1 AND e.disabled_at IS NULL AND (cardinality(e.events) = 0 OR $2 = ANY (e.events))
RETURNING delivery_id`, tx.TenantID(), eventType, body)
	if err != nil {
		return fmt.Errorf("emit %s: %w", eventType, err)
	}
	var jobs []WebhookArgs
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return err
		}
		jobs = append(jobs, WebhookArgs{TenantID: tx.TenantID(), DeliveryID: id})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, j := range jobs {
		if err := tx.Enqueue(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

func newMessageID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}
