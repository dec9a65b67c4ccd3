package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// A Consumer reacts to recorded events. It runs inside the fan-out's tenant
// transaction, so what it writes (deliveries, jobs) commits with the
// others' or not at all; and it must be idempotent per event, because the
// fan-out runs again when any consumer fails. It does its slow work (HTTP,
// SMTP, models) in jobs it enqueues, never in Consume.
type Consumer struct {
	Name    string
	Consume func(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error
}

// consumers are the built-in consumers, in the order they run, followed by
// d.Consumers.
func consumers(d Deps) []Consumer {
	return append([]Consumer{
		{Name: "webhooks", Consume: publishWebhooks},
		{Name: "staff alerts", Consume: alertStaff},
		{Name: "quota warnings", Consume: warnOfQuota},
		{Name: "contact emails", Consume: emailContacts(d.now)},
		{Name: "conversation emails", Consume: emailConversationReply},
		{Name: "health", Consume: rescore(d.now)},
		{Name: "journey", Consume: moveByJourneyRules},
		{Name: "milestones", Consume: evaluateMilestones},
		{Name: "surveys", Consume: requestSurveys(d)},
		{Name: "playbooks", Consume: triggerPlaybooks(d.now)},
	}, d.Consumers...)
}

// publishWebhooks records a delivery of the event's webhook messages to
// every endpoint that subscribed to them (QueueWebhook is idempotent per
// event).
func publishWebhooks(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	for _, m := range notify.WebhookMessages(e) {
		if err := tx.QueueWebhook(ctx, e.ID, m.Type, m.Body); err != nil {
			return err
		}
	}
	return nil
}

// FanOutWorker hands each event of its job to every consumer.
type FanOutWorker struct {
	river.WorkerDefaults[postgres.EventArgs]
	DB        *postgres.DB
	Consumers []Consumer
}

// eventTimeout bounds the fan-out of one event: consumers only write rows
// and enqueue jobs.
const eventTimeout = 30 * time.Second

// batchTimeout bounds a batch's job, under RescueAfter so that a batch
// whose server died is rescued and a live one never is. A batch that
// comes near it hands its remaining events to a new job.
const batchTimeout = 4 * time.Minute

// Timeout: eventTimeout for one event, batchTimeout for a batch.
func (w *FanOutWorker) Timeout(job *river.Job[postgres.EventArgs]) time.Duration {
	if len(job.Args.EventIDs) > 0 {
		return batchTimeout
	}
	return eventTimeout
}

// Work fans out the job's events, each in a transaction of its own. An
// event that fails in a batch is handed to a job of its own, which River
// retries with its backoff while the batch goes on; an interrupted batch
// runs again whole (the consumers are idempotent per event).
func (w *FanOutWorker) Work(ctx context.Context, job *river.Job[postgres.EventArgs]) error {
	tenant := job.Args.TenantID
	if len(job.Args.EventIDs) == 0 {
		return w.fanOut(ctx, tenant, job.Args.EventID)
	}
	for i, id := range job.Args.EventIDs {
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < 2*eventTimeout {
			rest := postgres.EventArgs{TenantID: tenant, EventIDs: job.Args.EventIDs[i:]}
			return w.DB.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error { return tx.Enqueue(ctx, rest) })
		}
		err := w.fanOut(ctx, tenant, id)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return err
		}
		if err := w.DB.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.Enqueue(ctx, postgres.EventArgs{TenantID: tenant, EventID: id})
		}); err != nil {
			return fmt.Errorf("event %d: retry on its own: %w", id, err)
		}
	}
	return nil
}

// fanOut reads an event in its tenant and runs the consumers in one
// transaction. An event that no longer exists (its tenant was deleted) is
// done.
func (w *FanOutWorker) fanOut(ctx context.Context, tenant uuid.UUID, id int64) (err error) {
	ctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	// A consumer's panic fails its event, not the rest of a batch (the
	// transaction is rolled back as the panic passes through it).
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("event %d: panic: %v", id, r)
		}
	}()
	return w.DB.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		e, err := tx.Event(ctx, id)
		if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		for _, c := range w.Consumers {
			if err := c.Consume(ctx, tx, e); err != nil {
				return fmt.Errorf("event %d (%s), consumer %s: %w", e.ID, e.Kind, c.Name, err)
			}
		}
		return nil
	})
}
