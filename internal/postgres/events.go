package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
)

// EventArgs hands one recorded event, or a batch of them, to the fan-out
// (internal/jobs), which passes each to every consumer. Emit enqueues it
// in the changing transaction: the job exists if and only if the change
// committed.
type EventArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	EventID  int64     `json:"event_id,omitempty"`
	// EventIDs, instead of EventID, names a batch of up to EventBatch
	// events recorded by one statement (an import's rows, a scan's
	// alerts): one job instead of one each, which was half an import's
	// writes (docs/performance.md).
	EventIDs []int64 `json:"event_ids,omitempty"`
}

// EventBatch bounds the events of one fan-out job.
const EventBatch = 500

// IDs lists the job's events.
func (a EventArgs) IDs() []int64 {
	if len(a.EventIDs) > 0 {
		return a.EventIDs
	}
	return []int64{a.EventID}
}

// eventJobs are the fan-out jobs of events of the tenant tx runs in: one
// for a single event, batches of EventBatch for many.
func eventJobs(tenant uuid.UUID, ids []int64) []river.InsertManyParams {
	if len(ids) == 1 {
		return []river.InsertManyParams{{Args: EventArgs{TenantID: tenant, EventID: ids[0]}}}
	}
	var jobs []river.InsertManyParams
	for batch := range slices.Chunk(ids, EventBatch) {
		jobs = append(jobs, river.InsertManyParams{Args: EventArgs{TenantID: tenant, EventIDs: batch}})
	}
	return jobs
}

// Kind is River's name for the job. It keeps River's default attempts and
// backoff: a consumer that keeps failing is retried for about three weeks,
// and nothing is dropped sooner.
func (EventArgs) Kind() string { return "event" }

// Emit records a change: the activity log's row and, in the same
// transaction, the fan-out job naming it. It is the only way a change is
// recorded. The actor is the principal in ctx (none for the command line
// and for jobs); the time is the transaction's.
func (tx *Tx) Emit(ctx context.Context, e onboardiq.Event) error {
	if e.Kind == "" {
		return errors.New("emit: an event without a kind")
	}
	if p := onboardiq.PrincipalFromContext(ctx); p != nil && e.ActorID == nil {
		e.ActorID = p.Actor()
	}
	if e.Changes == nil {
		e.Changes = map[string]any{}
	}
	if e.Data == nil {
		e.Data = map[string]any{}
	}
	if tx.cause != nil {
		data := make(map[string]any, len(e.Data)+len(tx.cause))
		maps.Copy(data, e.Data)
		maps.Copy(data, tx.cause)
		e.Data = data
	}
	var id int64
	err := tx.QueryRow(ctx, `
INSERT INTO events (tenant_id, actor_user_id, kind, customer_id, project_id, task_id, changes, data, occurred_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) RETURNING event_id`,
		tx.TenantID(), e.ActorID, e.Kind, e.CustomerID, e.ProjectID, e.TaskID, e.Changes, e.Data).Scan(&id)
	if err != nil {
		return fmt.Errorf("emit %s: %w", e.Kind, err)
	}
	return tx.Enqueue(ctx, EventArgs{TenantID: tx.TenantID(), EventID: id})
}

// Event reads one recorded event, for the fan-out.
func (tx *Tx) Event(ctx context.Context, id int64) (*onboardiq.Event, error) {
	rows, err := tx.Query(ctx, `SELECT `+eventColumns+eventFrom+`WHERE e.tenant_id = $1 AND e.event_id = $2`, tx.TenantID(), id)
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanEvent)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "event %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	return e, nil
}

// QueueWebhook records a delivery of body, as webhook type typ, to every
// enabled endpoint that subscribed to typ (or to everything) and existed
// when the event happened, and enqueues them. It is idempotent per event: an endpoint gets each type of an event
// once, however often the fan-out runs. Each delivery keeps one message id
// across its retries.
func (tx *Tx) QueueWebhook(ctx context.Context, eventID int64, typ string, body map[string]any) error {
	rows, err := tx.Query(ctx, `
INSERT INTO deliveries (tenant_id, channel, endpoint_id, event_id, event_type, payload, recipient, message_id)
SELECT $1, 'webhook', e.endpoint_id, $2, $3, $4, e.url, 'msg_' || replace(gen_random_uuid()::text, '-', '')
FROM webhook_endpoints e
WHERE e.tenant_id = $1 AND e.disabled_at IS NULL AND (cardinality(e.events) = 0 OR $3 = ANY (e.events))
  AND e.created_at <= (SELECT occurred_at FROM events WHERE tenant_id = $1 AND event_id = $2)
ON CONFLICT (tenant_id, event_id, endpoint_id, event_type) WHERE event_id IS NOT NULL DO NOTHING
RETURNING delivery_id`, tx.TenantID(), eventID, typ, body)
	if err != nil {
		return fmt.Errorf("queue webhook %s: %w", typ, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return fmt.Errorf("queue webhook %s: %w", typ, err)
	}
	jobs := make([]river.JobArgs, len(ids))
	for i, id := range ids {
		jobs[i] = WebhookArgs{TenantID: tx.TenantID(), DeliveryID: id}
	}
	return tx.Enqueue(ctx, jobs...)
}
