package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Periodic work over every tenant runs as one job per tenant: the periodic
// job only lists the tenants (the one reviewed path that crosses them) and
// enqueues a job for each, unique per tenant and period, so a tenant that
// fails is retried on its own and never holds up another.

// perTenant enqueues one job per tenant, each made by args, unique by its
// arguments within period. It walks the tenants a page at a time and
// enqueues each page in one insert, so what it holds does not grow with the
// number of tenants.
func perTenant(ctx context.Context, db *postgres.DB, period time.Duration, args func(uuid.UUID) river.JobArgs) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	return db.WalkTenants(ctx, func(tenants []uuid.UUID) error {
		params := make([]river.InsertManyParams, len(tenants))
		for i, t := range tenants {
			params[i] = river.InsertManyParams{Args: args(t), InsertOpts: &river.InsertOpts{
				MaxAttempts: 5,
				UniqueOpts:  river.UniqueOpts{ByArgs: true, ByPeriod: period},
			}}
		}
		if _, err := client.InsertMany(ctx, params); err != nil {
			return fmt.Errorf("enqueue per-tenant jobs: %w", err)
		}
		return nil
	})
}

// ScanWorker enqueues the delay scan of every tenant.
type ScanWorker struct {
	river.WorkerDefaults[postgres.ScanArgs]
	DB     *postgres.DB
	Period time.Duration // the scan's period: one scan per tenant in it
}

// Timeout bounds listing the tenants.
func (w *ScanWorker) Timeout(*river.Job[postgres.ScanArgs]) time.Duration { return time.Minute }

// Work enqueues.
func (w *ScanWorker) Work(ctx context.Context, _ *river.Job[postgres.ScanArgs]) error {
	return perTenant(ctx, w.DB, w.Period, func(t uuid.UUID) river.JobArgs { return postgres.ScanTenantArgs{TenantID: t} })
}

// ScanTenantWorker runs the delay scan of one tenant.
type ScanTenantWorker struct {
	river.WorkerDefaults[postgres.ScanTenantArgs]
	DB     *postgres.DB
	Logger *slog.Logger
}

// Timeout bounds one tenant's scan.
func (w *ScanTenantWorker) Timeout(*river.Job[postgres.ScanTenantArgs]) time.Duration {
	return 2 * time.Minute
}

// Work scans.
func (w *ScanTenantWorker) Work(ctx context.Context, job *river.Job[postgres.ScanTenantArgs]) error {
	r, err := w.DB.ScanOne(ctx, job.Args.TenantID, time.Now())
	if err != nil {
		w.Logger.ErrorContext(ctx, "delay scan", "tenant_id", job.Args.TenantID, "attempt", job.Attempt, "err", err)
		return err
	}
	if len(r.Notifications) > 0 {
		w.Logger.InfoContext(ctx, "delay scan", "tenant_id", r.TenantID, "overdue", r.Overdue, "at_risk", r.AtRisk, "notifications", len(r.Notifications))
	}
	return nil
}

// DigestWorker enqueues the digests of every tenant.
type DigestWorker struct {
	river.WorkerDefaults[postgres.DigestArgs]
	DB *postgres.DB
}

// Timeout bounds listing the tenants.
func (w *DigestWorker) Timeout(*river.Job[postgres.DigestArgs]) time.Duration { return time.Minute }

// Work enqueues.
func (w *DigestWorker) Work(ctx context.Context, _ *river.Job[postgres.DigestArgs]) error {
	return perTenant(ctx, w.DB, time.Hour, func(t uuid.UUID) river.JobArgs { return postgres.DigestTenantArgs{TenantID: t} })
}

// DigestTenantWorker queues one tenant's digests whose hour has come.
type DigestTenantWorker struct {
	river.WorkerDefaults[postgres.DigestTenantArgs]
	DB *postgres.DB
}

// Timeout bounds one tenant's digests.
func (w *DigestTenantWorker) Timeout(*river.Job[postgres.DigestTenantArgs]) time.Duration {
	return 2 * time.Minute
}

// Work queues digests.
func (w *DigestTenantWorker) Work(ctx context.Context, job *river.Job[postgres.DigestTenantArgs]) error {
	return w.DB.InTenant(ctx, job.Args.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.QueueDigests(ctx, time.Now())
		return err
	})
}

// RemindWorker enqueues the reminder scan of every tenant.
type RemindWorker struct {
	river.WorkerDefaults[postgres.RemindArgs]
	DB *postgres.DB
}

// Timeout bounds listing the tenants.
func (w *RemindWorker) Timeout(*river.Job[postgres.RemindArgs]) time.Duration { return time.Minute }

// Work enqueues.
func (w *RemindWorker) Work(ctx context.Context, _ *river.Job[postgres.RemindArgs]) error {
	return perTenant(ctx, w.DB, time.Hour, func(t uuid.UUID) river.JobArgs { return postgres.RemindTenantArgs{TenantID: t} })
}

// RemindTenantWorker runs the reminder scan of one tenant: due-soon and
// overdue reminders, the weekly digests whose hour has come, and
// re-engagement (postgres.(*Tx).QueueReminders).
type RemindTenantWorker struct {
	river.WorkerDefaults[postgres.RemindTenantArgs]
	DB     *postgres.DB
	Logger *slog.Logger
	Now    func() time.Time // the clock; nil: time.Now
}

// Timeout bounds one tenant's scan.
func (w *RemindTenantWorker) Timeout(*river.Job[postgres.RemindTenantArgs]) time.Duration {
	return 2 * time.Minute
}

// Work scans.
func (w *RemindTenantWorker) Work(ctx context.Context, job *river.Job[postgres.RemindTenantArgs]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	var r *postgres.Reminders
	err := w.DB.InTenant(ctx, job.Args.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		r, err = tx.QueueReminders(ctx, now())
		return err
	})
	logger := w.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if err != nil {
		logger.ErrorContext(ctx, "reminder scan", "tenant_id", job.Args.TenantID, "attempt", job.Attempt, "err", err)
		return err
	}
	if len(r.Emails) > 0 || len(r.Notified) > 0 {
		logger.InfoContext(ctx, "reminder scan", "tenant_id", r.TenantID, "emails", r.Emails, "notified", r.Notified)
	}
	return nil
}
