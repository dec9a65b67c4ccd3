package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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

// EmailArgs sends one email delivery, or a batch of them.
type EmailArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	DeliveryID uuid.UUID `json:"delivery_id,omitzero"`
	// DeliveryIDs, instead of DeliveryID, names a batch of up to
	// EmailBatch deliveries queued by one statement (a scan's alerts):
	// one job instead of one each, which was a fifth of the rows the
	// delay scan's first run wrote (docs/performance.md). A batch makes
	// each delivery's first attempt; one to be tried again goes on in a
	// job of its own.
	DeliveryIDs []uuid.UUID `json:"delivery_ids,omitempty"`
	// Attempted is how many attempts were made before this job: a
	// delivery's own job after its batch counts on from the batch's.
	Attempted int `json:"attempted,omitempty"`
}

// EmailBatch bounds the deliveries of one email job.
const EmailBatch = 100

// emailJobs are the jobs of email deliveries of the tenant tx runs in,
// queued by one statement, to be sent at at: one for a single delivery,
// batches of EmailBatch for more.
func emailJobs(tenant uuid.UUID, ids []uuid.UUID, at time.Time) []river.InsertManyParams {
	if len(ids) == 1 {
		return []river.InsertManyParams{{Args: EmailArgs{TenantID: tenant, DeliveryID: ids[0]}, InsertOpts: &river.InsertOpts{ScheduledAt: at}}}
	}
	var jobs []river.InsertManyParams
	for batch := range slices.Chunk(ids, EmailBatch) {
		jobs = append(jobs, river.InsertManyParams{Args: EmailArgs{TenantID: tenant, DeliveryIDs: batch}, InsertOpts: &river.InsertOpts{ScheduledAt: at}})
	}
	return jobs
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

// raiseAlertsSQL raises many alerts in one statement. $2 to $5 hold one
// element per alert (project, kind, dedupe, reason); $6 to $12 one per
// recipient of an alert (the alert's project and kind, the user, and the
// notification: title, body, data, dedupe key); $13 is the start of the
// cooldown, $14 the actor; $15 to $19 one per event (the alert's project
// and kind, the event's kind, customer and data).
//
// An alert is raised when its project_alerts row is new: the key of
// project, kind and dedupe makes it happen once however many scans run, a
// concurrent scan waiting on the key and finding it taken (the rows go in
// key order, so two scans wait in the same order). Only the alerts raised
// notify their recipients who are active, did not turn the kind off in the
// app, and were not told of the same kind for the project since the
// cooldown began. That check is a LATERAL … LIMIT 1 on
// notifications_cooldown_idx (migration 00033): the planner cannot turn it
// into a join over the whole table, and with sequential scans off
// (noSeqScan, as the scan runs it) answers each recipient with an index
// probe whatever the statistics say, and whatever they said when the plan
// was cached (TestCooldownCheckUsesTheIndex).
// The notifications insert keeps ON CONFLICT on the dedupe index as the
// last guard. Emails wanted now become deliveries; the raised alerts'
// events are recorded.
//
// The statement's joins are each linear: the alerts and recipients with
// the alerts raised (hashed on project and kind), each row with its user
// (by primary key). The rows returned are the notifications made ('n',
// with the recipient's email), their email deliveries ('d') and the
// events' ids ('e'), matched up in Go: a join of one data-modifying CTE
// with another is planned on estimates of a row or so, and a nested loop
// over thousands of a big tenant's notifications would be quadratic.
const raiseAlertsSQL = `
WITH raised AS (
    INSERT INTO project_alerts (tenant_id, project_id, kind, dedupe, reason)
    SELECT $1, a.project_id, a.kind, a.dedupe, a.reason
    FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS a (project_id, kind, dedupe, reason)
    ORDER BY a.project_id, a.kind
    ON CONFLICT DO NOTHING
    RETURNING project_id, kind
), notified AS (
    INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body, data, dedupe_key, email_state)
    SELECT $1, u.user_id, r.kind, r.project_id, r.title, r.body, r.data, r.dedupe_key,
           CASE coalesce(np.email, 'immediate') WHEN 'immediate' THEN 'pending' WHEN 'digest' THEN 'digest' ELSE 'none' END
    FROM unnest($6::uuid[], $7::text[], $8::uuid[], $9::text[], $10::text[], $11::jsonb[], $12::text[])
        AS r (project_id, kind, user_id, title, body, data, dedupe_key)
    JOIN raised ON raised.project_id = r.project_id AND raised.kind = r.kind
    JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = r.user_id AND u.disabled_at IS NULL
    LEFT JOIN notification_preferences np ON np.tenant_id = $1 AND np.user_id = u.user_id AND np.kind = r.kind
    LEFT JOIN LATERAL (
        SELECT true AS hit FROM notifications n
        WHERE n.tenant_id = $1 AND n.project_id = r.project_id AND n.kind = r.kind AND n.user_id = u.user_id
          AND n.created_at > $13::timestamptz
        LIMIT 1
    ) recent ON true
    WHERE coalesce(np.in_app, true) AND recent.hit IS NULL
    ORDER BY r.project_id, r.kind, u.user_id
    ON CONFLICT (tenant_id, user_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
    RETURNING notification_id, user_id, project_id, kind, email_state
), mailed AS (
    INSERT INTO deliveries (tenant_id, channel, notification_id, event_type, recipient, message_id)
    SELECT $1, 'email', n.notification_id, n.kind, u.email, 'msg_' || replace(gen_random_uuid()::text, '-', '')
    FROM notified n JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = n.user_id
    WHERE n.email_state = 'pending'
    RETURNING delivery_id, notification_id
), recorded AS (
    INSERT INTO events (tenant_id, actor_user_id, kind, customer_id, project_id, changes, data, occurred_at)
    SELECT $1, $14::uuid, e.kind, e.customer_id, e.project_id, '{}'::jsonb, e.data, now()
    FROM unnest($15::uuid[], $16::text[], $17::text[], $18::uuid[], $19::jsonb[]) AS e (project_id, alert, kind, customer_id, data)
    JOIN raised ON raised.project_id = e.project_id AND raised.kind = e.alert
    ORDER BY e.project_id, e.kind
    RETURNING event_id
)
SELECT 'n', n.notification_id, n.user_id, n.project_id, n.kind, n.email_state, u.email, NULL::uuid, NULL::bigint
FROM notified n JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = n.user_id
UNION ALL
SELECT 'd', notification_id, NULL, NULL, NULL, NULL, NULL, delivery_id, NULL FROM mailed
UNION ALL
SELECT 'e', NULL, NULL, NULL, NULL, NULL, NULL, NULL, event_id FROM recorded`

// alertBatch is a set of alerts raised by one statement, queued on a batch
// with the scan's other writes; finish queues what the statement made.
type alertBatch struct {
	alerts   []Alert
	notified []Notified
	mailed   map[uuid.UUID]uuid.UUID // notification → its email delivery
	events   []int64
}

// alertArgs are the arguments of raiseAlertsSQL for alerts, as ctx's actor
// in tx, with the cooldown begun at since.
func alertArgs(ctx context.Context, tx *Tx, alerts []Alert, since time.Time) []any {
	n := len(alerts)
	var (
		projects             = make([]uuid.UUID, n)
		kinds, dedupes       = make([]string, n), make([]string, n)
		reasons              = make([]*string, n)
		rProject             = []uuid.UUID{}
		rKind, rTitle, rBody = []string{}, []string{}, []string{}
		rKey                 = []string{}
		rUser                = []uuid.UUID{}
		rData                = []map[string]any{}
		eProject, eCustomer  = []uuid.UUID{}, []*uuid.UUID{}
		eAlert, eKind        = []string{}, []string{}
		eData                = []map[string]any{}
		actor                *uuid.UUID
	)
	if p := onboardiq.PrincipalFromContext(ctx); p != nil {
		actor = p.Actor()
	}
	for i, a := range alerts {
		projects[i], kinds[i], dedupes[i], reasons[i] = a.ProjectID, a.Kind, a.Dedupe, nullIfEmpty(a.Reason)
		data := map[string]any{"reason": a.Reason}
		key := a.Kind + ":" + a.ProjectID.String() + ":" + a.Dedupe
		seen := make(map[uuid.UUID]bool, len(a.Recipients))
		for _, u := range a.Recipients {
			if !seen[u] {
				seen[u] = true
				rProject, rKind, rUser = append(rProject, a.ProjectID), append(rKind, a.Kind), append(rUser, u)
				rTitle, rBody, rData, rKey = append(rTitle, a.Title), append(rBody, a.Body), append(rData, data), append(rKey, key)
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
			eProject, eAlert, eKind = append(eProject, a.ProjectID), append(eAlert, a.Kind), append(eKind, string(e.Kind))
			eCustomer, eData = append(eCustomer, e.CustomerID), append(eData, d)
		}
	}
	return []any{tx.TenantID(), projects, kinds, dedupes, reasons,
		rProject, rKind, rUser, rTitle, rBody, rData, rKey, since, actor,
		eProject, eAlert, eKind, eCustomer, eData}
}

// queueAlerts queues on b the statement that raises alerts (raiseAlertsSQL)
// in the tenant tx runs in, the cooldown begun at since. The scan's
// transaction runs it with sequential scans off (noSeqScan, scan.go).
func queueAlerts(ctx context.Context, b *pgx.Batch, tx *Tx, alerts []Alert, since time.Time) *alertBatch {
	ab := &alertBatch{alerts: alerts, mailed: map[uuid.UUID]uuid.UUID{}}
	type alertKey struct {
		project uuid.UUID
		kind    string
	}
	place := make(map[alertKey]int, len(alerts))
	for i, a := range alerts {
		place[alertKey{a.ProjectID, a.Kind}] = i
	}
	b.Queue(raiseAlertsSQL, alertArgs(ctx, tx, alerts, since)...).Query(func(rows pgx.Rows) error {
		var (
			what               string
			id, user, project  *uuid.UUID
			kind, state, email *string
			delivery           *uuid.UUID
			event              *int64
		)
		_, err := pgx.ForEachRow(rows, []any{&what, &id, &user, &project, &kind, &state, &email, &delivery, &event}, func() error {
			switch what {
			case "n":
				a := alerts[place[alertKey{*project, *kind}]]
				ab.notified = append(ab.notified, Notified{NotificationID: *id, UserID: *user, Email: *email, Kind: a.Kind, ProjectID: a.ProjectID,
					Title: a.Title, EmailDelivery: *state})
			case "d":
				ab.mailed[*id] = *delivery
			case "e":
				ab.events = append(ab.events, *event)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// In the alerts' order, each alert's people by email.
		slices.SortStableFunc(ab.notified, func(x, y Notified) int {
			return cmp.Or(cmp.Compare(place[alertKey{x.ProjectID, x.Kind}], place[alertKey{y.ProjectID, y.Kind}]), strings.Compare(x.Email, y.Email))
		})
		return nil
	})
	return ab
}

// deliveries counts the email deliveries the statement made.
func (ab *alertBatch) deliveries() int { return len(ab.mailed) }

// finish enqueues, in one insert, the jobs of what the alerts made: each
// email delivery to be sent now or, in the quiet hours, when they end, and
// each event's fan-out. It returns the notifications, EmailDelivery saying
// what became of each one's email (immediate, quiet, digest or off), and
// how many jobs it queued.
func (ab *alertBatch) finish(ctx context.Context, tx *Tx, settings onboardiq.NotificationSettings, now time.Time) ([]Notified, int, error) {
	out := make([]Notified, len(ab.notified))
	var (
		jobs   []river.InsertManyParams
		emails []uuid.UUID
	)
	at := quietUntil(settings, now)
	for i, n := range ab.notified {
		out[i] = n
		switch n.EmailDelivery {
		case "pending":
			delivery, ok := ab.mailed[n.NotificationID]
			if !ok { // the statement mails every pending one
				return nil, 0, fmt.Errorf("raise alerts: notification %s has no email delivery", n.NotificationID)
			}
			emails = append(emails, delivery)
			out[i].EmailDelivery = "immediate"
			if at.After(now) {
				out[i].EmailDelivery = "quiet"
			}
		case "none":
			out[i].EmailDelivery = "off"
		}
	}
	if len(emails) > 0 {
		jobs = append(jobs, emailJobs(tx.TenantID(), emails, at)...)
	}
	if len(ab.events) > 0 {
		jobs = append(jobs, eventJobs(tx.TenantID(), ab.events)...)
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
