package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// webhookBackoff is the wait after each failed webhook attempt: with
// postgres.WebhookMaxAttempts (8), attempts spread over about a day.
var webhookBackoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 7 * time.Hour, 12 * time.Hour}

// WebhookWorker sends one webhook delivery and logs the attempt.
type WebhookWorker struct {
	river.WorkerDefaults[postgres.WebhookArgs]
	DB       *postgres.DB
	Webhooks *notify.Webhooks
	Logger   *slog.Logger // nil: slog's default
}

// NextRetry follows webhookBackoff.
func (w *WebhookWorker) NextRetry(job *river.Job[postgres.WebhookArgs]) time.Time {
	i := min(max(job.Attempt-1, 0), len(webhookBackoff)-1)
	return time.Now().Add(webhookBackoff[i])
}

// Timeout leaves room for the 15 s request.
func (w *WebhookWorker) Timeout(*river.Job[postgres.WebhookArgs]) time.Duration { return time.Minute }

// Work sends the delivery.
func (w *WebhookWorker) Work(ctx context.Context, job *river.Job[postgres.WebhookArgs]) error {
	return deliver(ctx, w.DB, job.Args.TenantID, job.Args.DeliveryID, job.Attempt, job.Attempt >= postgres.WebhookMaxAttempts,
		func(ctx context.Context, o *postgres.Outbound) notify.Outcome {
			if o.Disabled {
				return notify.Outcome{Result: "not sent: the endpoint is disabled"}
			}
			if o.SecretErr != nil {
				// The operator's to fix (a key missing from
				// ONBOARDIQ_SECRET_KEY); retried, so nothing is lost once
				// it is.
				w.logger().ErrorContext(ctx, "webhook not sent: its signing secret does not open", "tenant_id", job.Args.TenantID,
					"delivery_id", o.ID, "endpoint_id", o.EndpointID, "error", o.SecretErr)
				return notify.Outcome{Result: "not sent: the signing secret cannot be decrypted (the server's secret key is misconfigured)", Retry: true}
			}
			return w.Webhooks.Send(ctx, o)
		}, nil)
}

func (w *WebhookWorker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}

// EmailWorker sends one email delivery, or a batch, and logs each attempt.
type EmailWorker struct {
	river.WorkerDefaults[postgres.EmailArgs]
	DB     *postgres.DB
	Mailer *notify.Mailer
}

// emailTimeout bounds one email, SMTP conversation included; a batch
// gets emailBatchTimeout, within RescueAfter, and leaves what it has not
// reached by a minute before it to a job of its own.
const (
	emailTimeout      = time.Minute
	emailBatchTimeout = 4 * time.Minute
)

// emailRetryWait is the wait before a batch's delivery is tried again on
// its own: River's default after a first attempt.
const emailRetryWait = time.Second

// Timeout bounds the job.
func (w *EmailWorker) Timeout(job *river.Job[postgres.EmailArgs]) time.Duration {
	if len(job.Args.DeliveryIDs) > 0 {
		return emailBatchTimeout
	}
	return emailTimeout
}

// Work sends the delivery, or each delivery of the batch that no run of
// it has tried yet: a first attempt each, and a job of its own for one to
// be tried again (made with the attempt's record, so a batch run again
// after a failure of the store neither sends twice nor queues twice).
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[postgres.EmailArgs]) error {
	a := job.Args
	if len(a.DeliveryIDs) == 0 {
		attempt := a.Attempted + job.Attempt
		return deliver(ctx, w.DB, a.TenantID, a.DeliveryID, attempt, attempt >= postgres.EmailMaxAttempts, w.send(a.TenantID), nil)
	}
	send := w.send(a.TenantID)
	for i, id := range a.DeliveryIDs {
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < emailTimeout {
			rest := postgres.EmailArgs{TenantID: a.TenantID, DeliveryIDs: a.DeliveryIDs[i:]}
			return w.DB.InTenant(ctx, a.TenantID, func(ctx context.Context, tx *postgres.Tx) error { return tx.Enqueue(ctx, rest) })
		}
		err := deliver(ctx, w.DB, a.TenantID, id, 1, false, send, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.EnqueueAt(ctx, postgres.EmailArgs{TenantID: a.TenantID, DeliveryID: id, Attempted: 1}, time.Now().Add(emailRetryWait))
		})
		if err != nil {
			return fmt.Errorf("email delivery %s: %w", id, err)
		}
	}
	return nil
}

// send sends an email delivery of tenant.
func (w *EmailWorker) send(tenant uuid.UUID) func(context.Context, *postgres.Outbound) notify.Outcome {
	return func(ctx context.Context, o *postgres.Outbound) notify.Outcome {
		ctx, cancel := context.WithTimeout(ctx, emailTimeout)
		defer cancel()
		if prefix, _ := o.Payload["link_prefix"].(string); strings.HasPrefix(prefix, "/") {
			o.Payload["link_prefix"] = strings.TrimRight(w.Mailer.BaseURL, "/") + prefix
		}
		if o.TaskID != nil && o.UserID != nil {
			to, err := w.DB.ReplyAddressFor(ctx, tenant, *o.TaskID, *o.UserID, w.Mailer.InboundDomain)
			if err != nil {
				return notify.Outcome{Result: "could not make the reply address: " + err.Error(), Retry: true}
			}
			o.ReplyTo = to
		}
		if postgres.IsLinkEmail(o) && w.Mailer.SMTPURL != "" {
			if out, ok := w.reissue(ctx, tenant, o); !ok {
				return out
			}
		}
		return w.Mailer.Send(ctx, o)
	}
}

// reissue makes the link of a sign-in or reset email just before it is
// sent: the delivery holds no secret, and each attempt sends a new one, so
// a link from an earlier attempt stops working. Without an SMTP server
// nothing is sent and nothing reissued: the link the request made (logged,
// or in the development mailbox) stays the one that works.
func (w *EmailWorker) reissue(ctx context.Context, tenant uuid.UUID, o *postgres.Outbound) (notify.Outcome, bool) {
	var live bool
	err := w.DB.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		live, err = tx.ReissueLink(ctx, o)
		return err
	})
	switch {
	case err != nil:
		return notify.Outcome{Result: "could not issue the link: " + err.Error(), Retry: true}, false
	case !live:
		return notify.Outcome{Result: "not sent: the link was used or has expired"}, false
	}
	return notify.Outcome{}, true
}

// deliver loads a delivery, sends it, and logs the attempt. A failure worth
// retrying returns an error, so River tries again; any other outcome is
// final and returns nil. With again set (a batch's first attempt), a
// delivery tried before is left alone, and a failure worth retrying calls
// again in the transaction that records it, and returns nil.
func deliver(ctx context.Context, db *postgres.DB, tenant, id uuid.UUID, attempt int, last bool, send func(context.Context, *postgres.Outbound) notify.Outcome,
	again func(context.Context, *postgres.Tx) error) error {
	var o *postgres.Outbound
	err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		o, err = tx.LoadOutbound(ctx, id)
		return err
	})
	if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
		return nil // gone (its tenant or endpoint was deleted)
	}
	if err != nil || o.Status == "delivered" {
		return err // or already delivered by an earlier run of this job
	}
	if again != nil && o.Status != "pending" {
		return nil // tried by an earlier run of the batch: its own job has it, or it is done
	}
	start := time.Now()
	out := send(ctx, o)
	r := postgres.AttemptResult{Attempt: attempt, OK: out.OK, Result: out.Result, Duration: time.Since(start),
		Final: out.OK || !out.Retry || last, Disable: out.Disable, Bounce: out.Bounce}
	if err := db.InTenant(context.WithoutCancel(ctx), tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if err := tx.RecordAttempt(ctx, o, r); err != nil || r.Final || again == nil {
			return err
		}
		return again(ctx, tx)
	}); err != nil {
		return err
	}
	if !r.Final && again == nil {
		return errAttempt(out.Result)
	}
	return nil
}

type errAttempt string

func (e errAttempt) Error() string { return string(e) }
