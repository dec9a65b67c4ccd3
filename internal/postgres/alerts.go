package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
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

// raiseAlertsSQL raises many alerts in one statement: $2 to $10 hold one
// element per alert (its place, project, kind, dedupe, reason, title, body,
// the notification's data and dedupe key), $11 to $13 one per recipient of
// each (the alert's place, the user, the message id of their email), $14 is
// the start of the cooldown, $15 the actor, and $16 to $19 one per event
// (the alert's place, kind, customer, data).
//
// An alert is raised when its project_alerts row is new: the key of
// project, kind and dedupe makes it happen once however many scans run, a
// concurrent scan waiting on the key and finding it taken. Only the alerts
// raised notify their recipients who are active, did not turn the kind off
// in the app, and were not told of the same kind for the project since the
// cooldown began. That check is a LATERAL … LIMIT 1 on
// notifications_cooldown_idx (migration 00033): the planner cannot turn it
// into a join over the whole table, and answers each recipient with one
// index probe whatever the statistics say (TestCooldownCheckUsesTheIndex).
// The notifications insert keeps ON CONFLICT on the dedupe key as the last
// guard. Emails wanted now become deliveries; the alerts' events are
// recorded. The rows returned are the notifications made (with their email
// delivery, if any), then the events' ids. The alerts of one call have
// distinct projects and kinds.
const raiseAlertsSQL = `
WITH a AS (
    SELECT * FROM unnest($2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::text[])
        AS a (ord, project_id, kind, dedupe, reason, title, body, data, dedupe_key)
), r AS (
    SELECT * FROM unnest($11::int[], $12::uuid[], $13::text[]) AS r (ord, user_id, message_id)
), raised AS (
    INSERT INTO project_alerts (tenant_id, project_id, kind, dedupe, reason)
    SELECT $1, project_id, kind, dedupe, reason FROM a ORDER BY ord
    ON CONFLICT DO NOTHING
    RETURNING project_id, kind
), new AS (
    SELECT a.* FROM a JOIN raised ON raised.project_id = a.project_id AND raised.kind = a.kind
), notified AS (
    INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body, data, dedupe_key, email_state)
    SELECT $1, u.user_id, new.kind, new.project_id, new.title, new.body, new.data, new.dedupe_key,
           CASE coalesce(np.email, 'immediate') WHEN 'immediate' THEN 'pending' WHEN 'digest' THEN 'digest' ELSE 'none' END
    FROM new
    JOIN r ON r.ord = new.ord
    JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = r.user_id AND u.disabled_at IS NULL
    LEFT JOIN notification_preferences np ON np.tenant_id = $1 AND np.user_id = u.user_id AND np.kind = new.kind
    LEFT JOIN LATERAL (
        SELECT true AS hit FROM notifications n
        WHERE n.tenant_id = $1 AND n.project_id = new.project_id AND n.kind = new.kind AND n.user_id = u.user_id
          AND n.created_at > $14::timestamptz
        LIMIT 1
    ) recent ON true
    WHERE coalesce(np.in_app, true) AND recent.hit IS NULL
    ORDER BY new.ord, r.user_id
    ON CONFLICT (tenant_id, user_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
    RETURNING notification_id, user_id, project_id, kind, email_state
), told AS (
    SELECT new.ord, n.notification_id, n.user_id, n.kind, n.email_state, u.email, r.message_id
    FROM notified n
    JOIN new ON new.project_id = n.project_id AND new.kind = n.kind
    JOIN r ON r.ord = new.ord AND r.user_id = n.user_id
    JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = n.user_id
), mailed AS (
    INSERT INTO deliveries (tenant_id, channel, notification_id, event_type, recipient, message_id)
    SELECT $1, 'email', notification_id, kind, email, message_id FROM told WHERE email_state = 'pending' ORDER BY ord, user_id
    RETURNING delivery_id, notification_id
), recorded AS (
    INSERT INTO events (tenant_id, actor_user_id, kind, customer_id, project_id, changes, data, occurred_at)
    SELECT $1, $15::uuid, e.kind, e.customer_id, new.project_id, '{}'::jsonb, e.data, now()
    FROM new JOIN unnest($16::int[], $17::text[], $18::uuid[], $19::jsonb[]) AS e (ord, kind, customer_id, data) ON e.ord = new.ord
    ORDER BY new.ord
    RETURNING event_id
)
SELECT told.ord, told.notification_id, told.user_id, told.email, told.email_state, mailed.delivery_id, NULL::bigint
FROM told LEFT JOIN mailed ON mailed.notification_id = told.notification_id
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, event_id FROM recorded`

// alertBatch is a set of alerts raised by one statement, queued on a batch
// with the scan's other writes; finish queues what the statement made.
type alertBatch struct {
	alerts   []Alert
	notified []alertNotified
	events   []int64
}

type alertNotified struct {
	Notified
	delivery *uuid.UUID // the email delivery, when the recipient wants it now
}

// alertArgs are the arguments of raiseAlertsSQL for alerts, as ctx's actor
// in tx, with the cooldown begun at since.
func alertArgs(ctx context.Context, tx *Tx, alerts []Alert, since time.Time) []any {
	n := len(alerts)
	var (
		ord                    = make([]int32, n)
		projects               = make([]uuid.UUID, n)
		kinds, dedupes, titles = make([]string, n), make([]string, n), make([]string, n)
		bodies, keys           = make([]string, n), make([]string, n)
		reasons                = make([]*string, n)
		data                   = make([]map[string]any, n)
		rOrd                   = []int32{}
		rUser                  = []uuid.UUID{}
		rMessage               = []string{}
		eOrd                   = []int32{}
		eKind                  = []string{}
		eCustomer              = []*uuid.UUID{}
		eData                  = []map[string]any{}
		actor                  *uuid.UUID
		p                      = onboardiq.PrincipalFromContext(ctx)
	)
	if p != nil {
		actor = p.Actor()
	}
	for i, a := range alerts {
		ord[i], projects[i], kinds[i], dedupes[i] = int32(i), a.ProjectID, a.Kind, a.Dedupe
		titles[i], bodies[i], reasons[i] = a.Title, a.Body, nullIfEmpty(a.Reason)
		data[i] = map[string]any{"reason": a.Reason}
		keys[i] = a.Kind + ":" + a.ProjectID.String() + ":" + a.Dedupe
		seen := map[uuid.UUID]bool{}
		for _, u := range a.Recipients {
			if !seen[u] {
				seen[u] = true
				rOrd, rUser, rMessage = append(rOrd, int32(i)), append(rUser, u), append(rMessage, newMessageID())
			}
		}
		if e := a.Event; e != nil {
			d := e.Data
			if d == nil {
				d = map[string]any{}
			}
			if tx.cause != nil {
				d = maps.Clone(d)
				maps.Copy(d, tx.cause)
			}
			eOrd, eKind, eCustomer, eData = append(eOrd, int32(i)), append(eKind, string(e.Kind)), append(eCustomer, e.CustomerID), append(eData, d)
		}
	}
	return []any{tx.TenantID(), ord, projects, kinds, dedupes, reasons, titles, bodies, data, keys,
		rOrd, rUser, rMessage, since, actor, eOrd, eKind, eCustomer, eData}
}

// queueAlerts queues on b the statement that raises alerts (raiseAlertsSQL)
// in the tenant tx runs in, the cooldown begun at since.
func queueAlerts(ctx context.Context, b *pgx.Batch, tx *Tx, alerts []Alert, since time.Time) *alertBatch {
	ab := &alertBatch{alerts: alerts}
	b.Queue(raiseAlertsSQL, alertArgs(ctx, tx, alerts, since)...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				ord   *int32
				n     alertNotified
				email *string
				state *string
				id    *uuid.UUID
				user  *uuid.UUID
				event *int64
			)
			if err := rows.Scan(&ord, &id, &user, &email, &state, &n.delivery, &event); err != nil {
				return err
			}
			if event != nil {
				ab.events = append(ab.events, *event)
				continue
			}
			a := alerts[*ord]
			n.Notified = Notified{NotificationID: *id, UserID: *user, Email: *email, Kind: a.Kind, ProjectID: a.ProjectID, Title: a.Title, EmailDelivery: *state}
			ab.notified = append(ab.notified, n)
		}
		return rows.Err()
	})
	return ab
}

// deliveries counts the email deliveries the statement made.
func (ab *alertBatch) deliveries() int {
	n := 0
	for _, x := range ab.notified {
		if x.delivery != nil {
			n++
		}
	}
	return n
}

// finish enqueues, in one insert, the jobs of what the alerts made: each
// email delivery to be sent now or, in the quiet hours, when they end, and
// each event's fan-out. It returns the notifications, EmailDelivery saying
// what became of each one's email (immediate, quiet, digest or off), and
// how many jobs it queued.
func (ab *alertBatch) finish(ctx context.Context, tx *Tx, settings onboardiq.NotificationSettings, now time.Time) ([]Notified, int, error) {
	out := make([]Notified, len(ab.notified))
	var jobs []river.InsertManyParams
	at := quietUntil(settings, now)
	for i, n := range ab.notified {
		out[i] = n.Notified
		switch n.EmailDelivery {
		case "pending":
			if n.delivery == nil { // the statement mails every pending one
				return nil, 0, fmt.Errorf("raise alerts: notification %s has no email delivery", n.NotificationID)
			}
			jobs = append(jobs, river.InsertManyParams{Args: EmailArgs{TenantID: tx.TenantID(), DeliveryID: *n.delivery}, InsertOpts: &river.InsertOpts{ScheduledAt: at}})
			out[i].EmailDelivery = "immediate"
			if at.After(now) {
				out[i].EmailDelivery = "quiet"
			}
		case "none":
			out[i].EmailDelivery = "off"
		}
	}
	for _, id := range ab.events {
		jobs = append(jobs, river.InsertManyParams{Args: EventArgs{TenantID: tx.TenantID(), EventID: id}})
	}
	if len(jobs) == 0 {
		return out, 0, nil
	}
	if tx.jobs == nil {
		return nil, 0, errors.New("postgres: no job client")
	}
	if _, err := tx.jobs.InsertManyTx(ctx, tx, jobs); err != nil {
		return nil, 0, fmt.Errorf("enqueue: %w", err)
	}
	return out, len(jobs), nil
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
