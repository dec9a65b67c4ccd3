package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Outbound is what a worker needs to send a delivery.
type Outbound struct {
	onboardiq.Delivery
	Payload map[string]any
	// Webhook. Secret is the signing secret, opened from its sealed form;
	// SecretErr says why it could not be (a key missing from
	// ONBOARDIQ_SECRET_KEY, say).
	URL, Secret, Format string
	SecretErr           error
	AllowHTTP, Disabled bool
	// Email.
	Subject, Body string
	ProjectID     *uuid.UUID
	// TaskID is the task the notification is about, when it names one:
	// the email links to it rather than to its project.
	TaskID *uuid.UUID
	// ConversationID is the conversation the notification is about, when
	// it names one ("a customer asks for help"): the email links to it.
	ConversationID *uuid.UUID
	Digest         []DigestItem
	// UserID is the recipient, when a user: the contact of a contact
	// email, the user of a notification.
	UserID *uuid.UUID
	// ReplyTo is the address replies go to (a task's signed reply
	// address), set by the sender; "" for none.
	ReplyTo string
}

// DigestItem is one notification of a digest email.
type DigestItem struct {
	Title, Body    string
	ProjectID      *uuid.UUID
	TaskID         *uuid.UUID
	ConversationID *uuid.UUID
}

const deliveryColumns = `d.delivery_id, d.channel, d.notification_id, d.endpoint_id, d.event_type, d.recipient, d.message_id, d.status,
    coalesce((SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt, 'at', a.at, 'ok', a.ok, 'result', a.result, 'duration_ms', a.duration_ms) ORDER BY a.attempt)
              FROM delivery_attempts a WHERE a.tenant_id = d.tenant_id AND a.delivery_id = d.delivery_id), '[]'),
    d.last_error, d.created_at, d.delivered_at`

func scanDelivery(r pgx.Row) (*onboardiq.Delivery, error) {
	d := &onboardiq.Delivery{}
	err := r.Scan(&d.ID, &d.Channel, &d.NotificationID, &d.EndpointID, &d.EventType, &d.Recipient, &d.MessageID, &d.Status,
		&d.Attempts, &d.LastError, &d.CreatedAt, &d.DeliveredAt)
	return d, err
}

// LoadOutbound reads a delivery for sending, in the tenant tx runs in.
func (tx *Tx) LoadOutbound(ctx context.Context, id uuid.UUID) (*Outbound, error) {
	d, err := scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries d WHERE d.tenant_id = $1 AND d.delivery_id = $2`, tx.TenantID(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "delivery not found")
	}
	if err != nil {
		return nil, err
	}
	o := &Outbound{Delivery: *d}
	var playbookID *uuid.UUID
	if err := tx.QueryRow(ctx, `SELECT payload, user_id, playbook_id FROM deliveries WHERE tenant_id = $1 AND delivery_id = $2`, tx.TenantID(), id).Scan(&o.Payload, &o.UserID, &playbookID); err != nil {
		return nil, err
	}
	if t, ok := o.Payload["task_id"].(string); ok {
		if id, err := uuid.Parse(t); err == nil {
			o.TaskID = &id
		}
	}
	switch {
	case playbookID != nil && d.Channel == "webhook":
		// A playbook's webhook: its payload is the body as it is sent,
		// signed with the playbook's secret.
		var sealed []byte
		err = tx.QueryRow(ctx, `SELECT secret_sealed FROM playbooks WHERE tenant_id = $1 AND playbook_id = $2`, tx.TenantID(), *playbookID).Scan(&sealed)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "the playbook was deleted")
		}
		o.URL, o.Format = d.Recipient, "standard"
		if err == nil {
			o.Secret, o.SecretErr = tx.openPlaybookSecret(*playbookID, sealed)
		}
	case d.EndpointID != nil:
		var plain *string
		var sealed []byte
		err = tx.QueryRow(ctx, `SELECT url, secret, secret_sealed, format, allow_http, disabled_at IS NOT NULL FROM webhook_endpoints WHERE tenant_id = $1 AND endpoint_id = $2`,
			tx.TenantID(), *d.EndpointID).Scan(&o.URL, &plain, &sealed, &o.Format, &o.AllowHTTP, &o.Disabled)
		if err == nil {
			o.Secret, o.SecretErr = tx.openWebhookSecret(*d.EndpointID, plain, sealed)
		}
	case d.NotificationID != nil:
		err = tx.QueryRow(ctx, `SELECT title, body, project_id, `+notificationTask+`, `+notificationConversation+`, user_id FROM notifications n WHERE tenant_id = $1 AND notification_id = $2`,
			tx.TenantID(), *d.NotificationID).Scan(&o.Subject, &o.Body, &o.ProjectID, &o.TaskID, &o.ConversationID, &o.UserID)
	case d.EventType == "digest":
		rows, qerr := tx.Query(ctx, `
SELECT n.title, n.body, n.project_id, `+notificationTask+`, `+notificationConversation+` FROM notifications n
WHERE n.tenant_id = $1 AND n.notification_id = ANY (SELECT jsonb_array_elements_text($2::jsonb)::uuid)
ORDER BY n.created_at`, tx.TenantID(), o.Payload["notifications"])
		if qerr != nil {
			return nil, qerr
		}
		o.Digest, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (DigestItem, error) {
			var it DigestItem
			return it, r.Scan(&it.Title, &it.Body, &it.ProjectID, &it.TaskID, &it.ConversationID)
		})
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil // the endpoint or notification is gone
	}
	return o, err
}

// notificationTask reads the task a notification n names in its data
// (staff alerts of customer actions and mentions), as a uuid or NULL.
const notificationTask = `CASE WHEN n.data->>'task_id' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    THEN (n.data->>'task_id')::uuid END`

// notificationConversation reads the conversation a notification n names
// in its data (a customer asking for help), as a uuid or NULL.
const notificationConversation = `CASE WHEN n.data->>'conversation_id' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    THEN (n.data->>'conversation_id')::uuid END`

// AttemptResult is how one attempt went.
type AttemptResult struct {
	Attempt  int
	OK       bool
	Result   string
	Duration time.Duration
	Final    bool   // no more attempts will follow
	Disable  string // disable the endpoint, for this reason (a 410)
	Bounce   bool   // the recipient's address refused mail for good
}

// RecordAttempt logs an attempt and moves the delivery to delivered,
// retrying or failed.
func (tx *Tx) RecordAttempt(ctx context.Context, o *Outbound, r AttemptResult) error {
	status := "retrying"
	switch {
	case r.OK:
		status = "delivered"
	case r.Final:
		status = "failed"
	}
	var lastErr *string
	if !r.OK {
		lastErr = &r.Result
	}
	if _, err := tx.Exec(ctx, `
INSERT INTO delivery_attempts (tenant_id, delivery_id, attempt, ok, result, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, delivery_id, attempt) DO UPDATE SET at = excluded.at, ok = excluded.ok, result = excluded.result, duration_ms = excluded.duration_ms`,
		tx.TenantID(), o.ID, r.Attempt, r.OK, r.Result, int(r.Duration.Milliseconds())); err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	if _, err := tx.Exec(ctx, `
UPDATE deliveries SET status = $3, attempts = greatest(attempts, $4), last_error = $5,
    delivered_at = CASE WHEN $3 = 'delivered' THEN $6::timestamptz END, updated_at = now()
WHERE tenant_id = $1 AND delivery_id = $2`, tx.TenantID(), o.ID, status, r.Attempt, lastErr, time.Now()); err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	if o.NotificationID != nil && r.OK {
		if _, err := tx.Exec(ctx, `UPDATE notifications SET email_state = 'sent' WHERE tenant_id = $1 AND notification_id = $2`, tx.TenantID(), *o.NotificationID); err != nil {
			return err
		}
	}
	if r.Bounce && o.Channel == "email" {
		if err := markUndeliverable(ctx, tx, o, r.Result, time.Now()); err != nil {
			return err
		}
	}
	if r.Disable != "" && o.EndpointID != nil {
		if _, err := tx.Exec(ctx, `
UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $3, updated_at = now() WHERE tenant_id = $1 AND endpoint_id = $2 AND disabled_at IS NULL`,
			tx.TenantID(), *o.EndpointID, r.Disable); err != nil {
			return err
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventWebhookDisabled, Data: map[string]any{"endpoint_id": *o.EndpointID, "reason": r.Disable}})
	}
	return nil
}

// DeliveryFilter picks deliveries.
type DeliveryFilter struct {
	onboardiq.ListOptions
	EndpointID     *uuid.UUID
	NotificationID *uuid.UUID
}

// ListDeliveries lists deliveries with their attempts, newest first:
// admins see all; another user the deliveries of their own notifications.
func (db *DB) ListDeliveries(ctx context.Context, f DeliveryFilter) (onboardiq.Page[*onboardiq.Delivery], error) {
	var out onboardiq.Page[*onboardiq.Delivery]
	if err := f.Normalise(); err != nil {
		return out, err
	}
	before, beforeID, err := newestFirst(f.Cursor)
	if err != nil {
		return out, err
	}
	err = db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var owner *uuid.UUID
		if p.Role != onboardiq.RoleAdmin {
			if f.NotificationID == nil {
				return p.Check(onboardiq.ManageWebhooks)
			}
			owner = &p.UserID
		}
		if f.EndpointID != nil {
			if _, err := getWebhook(ctx, tx, *f.EndpointID); err != nil {
				return err
			}
		}
		if f.NotificationID != nil {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM notifications WHERE tenant_id = $1 AND notification_id = $2 AND ($3::uuid IS NULL OR user_id = $3))`,
				tx.TenantID(), *f.NotificationID, owner).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				return onboardiq.Errorf(onboardiq.ENOTFOUND, "notification not found")
			}
		}
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
WHERE d.tenant_id = $1 AND ($2::uuid IS NULL OR d.endpoint_id = $2) AND ($3::uuid IS NULL OR d.notification_id = $3)
  AND (d.created_at, d.delivery_id) < ($4, $5)
ORDER BY d.created_at DESC, d.delivery_id DESC LIMIT $6`, tx.TenantID(), f.EndpointID, f.NotificationID, before, beforeID, f.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Delivery, error) { return scanDelivery(r) })
		out = page(items, f.Limit, func(d *onboardiq.Delivery) []any { return []any{d.CreatedAt, d.ID} })
		return err
	})
	return out, err
}
