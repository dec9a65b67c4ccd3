package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// ListNotifications lists the caller's notifications, newest first.
func (db *DB) ListNotifications(ctx context.Context, unreadOnly bool, o onboardiq.ListOptions) (onboardiq.Page[*onboardiq.Notification], error) {
	var out onboardiq.Page[*onboardiq.Notification]
	if err := o.Normalise(); err != nil {
		return out, err
	}
	before, beforeID, err := newestFirst(o.Cursor)
	if err != nil {
		return out, err
	}
	err = db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		rows, err := tx.Query(ctx, `
SELECT notification_id, kind, project_id, title, body, data, read_at IS NOT NULL, created_at FROM notifications
WHERE tenant_id = $1 AND user_id = $2 AND (NOT $3 OR read_at IS NULL) AND (created_at, notification_id) < ($4, $5)
ORDER BY created_at DESC, notification_id DESC LIMIT $6`, tx.TenantID(), p.UserID, unreadOnly, before, beforeID, o.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, scanNotification)
		out = page(items, o.Limit, func(n *onboardiq.Notification) []any { return []any{n.CreatedAt, n.ID} })
		return err
	})
	return out, err
}

// unreadQuery counts user $2's unread notifications: the badge of every
// console page.
const unreadQuery = `SELECT count(*) FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL`

// CountUnread counts the caller's unread notifications.
func (db *DB) CountUnread(ctx context.Context) (int, error) {
	var n int
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		return tx.QueryRow(ctx, unreadQuery, tx.TenantID(), p.UserID).Scan(&n)
	})
	return n, err
}

// MarkRead marks one of the caller's notifications read, or all of them
// when id is nil, and returns how many changed.
func (db *DB) MarkRead(ctx context.Context, id *uuid.UUID) (int, error) {
	var n int64
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if id != nil {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND notification_id = $3)`,
				tx.TenantID(), p.UserID, *id).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return onboardiq.Errorf(onboardiq.ENOTFOUND, "notification not found")
			}
		}
		tag, err := tx.Exec(ctx, `
UPDATE notifications SET read_at = now()
WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL AND ($3::uuid IS NULL OR notification_id = $3)`, tx.TenantID(), p.UserID, id)
		if err != nil {
			return fmt.Errorf("mark read: %w", err)
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}

// OpenNotification marks one of the caller's notifications read, if it was
// not, and returns it: the page opens it where it points. Another user's,
// or none, is not found. least() keeps the first reading's time (it ignores
// NULL), with the time passed in rather than now() inside an expression.
func (db *DB) OpenNotification(ctx context.Context, id uuid.UUID) (*onboardiq.Notification, error) {
	var n *onboardiq.Notification
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		rows, err := tx.Query(ctx, `
UPDATE notifications SET read_at = least(read_at, $4::timestamptz)
WHERE tenant_id = $1 AND user_id = $2 AND notification_id = $3
RETURNING notification_id, kind, project_id, title, body, data, true, created_at`, tx.TenantID(), p.UserID, id, time.Now())
		if err != nil {
			return fmt.Errorf("open notification: %w", err)
		}
		n, err = pgx.CollectExactlyOneRow(rows, scanNotification)
		return storeError(err, "notification")
	})
	return n, err
}

func scanNotification(r pgx.CollectableRow) (*onboardiq.Notification, error) {
	n := &onboardiq.Notification{}
	return n, r.Scan(&n.ID, &n.Kind, &n.ProjectID, &n.Title, &n.Body, &n.Data, &n.Read, &n.CreatedAt)
}

// DigestArgs is the periodic job that sends the daily digests.
type DigestArgs struct{}

// Kind is River's name for the job.
func (DigestArgs) Kind() string { return "digest" }

// DigestTenantArgs queues the digests of one tenant whose hour has come.
type DigestTenantArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind is River's name for the job.
func (DigestTenantArgs) Kind() string { return "digest_tenant" }

// QueueDigests, once a day at the tenant's digest hour, gathers each
// user's notifications waiting for the digest into one email delivery. The
// tenant's last_digest_on makes it once a day however often it runs.
func (tx *Tx) QueueDigests(ctx context.Context, now time.Time) (int, error) {
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return 0, err
	}
	local := now.In(settings.Location())
	if local.Hour() < settings.DigestHour {
		return 0, nil
	}
	today := local.Format(time.DateOnly)
	tag, err := tx.Exec(ctx, `UPDATE tenants SET last_digest_on = $2 WHERE tenant_id = $1 AND last_digest_on IS DISTINCT FROM $2::date`, tx.TenantID(), today)
	if err != nil || tag.RowsAffected() == 0 {
		return 0, err
	}
	rows, err := tx.Query(ctx, `
UPDATE notifications n SET email_state = 'sent'
FROM tenant_users u
WHERE n.tenant_id = $1 AND n.email_state = 'digest' AND u.tenant_id = n.tenant_id AND u.user_id = n.user_id AND u.disabled_at IS NULL
RETURNING n.user_id, u.email, n.notification_id`, tx.TenantID())
	if err != nil {
		return 0, err
	}
	type pending struct {
		email string
		ids   []uuid.UUID
	}
	byUser := map[uuid.UUID]*pending{}
	var order []uuid.UUID
	for rows.Next() {
		var user, id uuid.UUID
		var email string
		if err := rows.Scan(&user, &email, &id); err != nil {
			return 0, err
		}
		if byUser[user] == nil {
			byUser[user] = &pending{email: email}
			order = append(order, user)
		}
		byUser[user].ids = append(byUser[user].ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, u := range order {
		p := byUser[u]
		var id uuid.UUID
		err := tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, event_type, payload, recipient, message_id)
VALUES ($1, 'email', 'digest', $2, $3, $4) RETURNING delivery_id`,
			tx.TenantID(), map[string]any{"notifications": p.ids}, p.email, newMessageID()).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("queue digest: %w", err)
		}
		if err := tx.Enqueue(ctx, EmailArgs{TenantID: tx.TenantID(), DeliveryID: id}); err != nil {
			return 0, err
		}
	}
	return len(order), nil
}
