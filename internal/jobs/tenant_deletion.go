package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TenantDeletionArgs is the hourly deletion of the tenants an operator
// scheduled for deletion whose grace period has passed.
type TenantDeletionArgs struct{}

// Kind is River's name for the job.
func (TenantDeletionArgs) Kind() string { return "tenant_deletion" }

// TenantDeletionWorker deletes the tenants due for deletion.
type TenantDeletionWorker struct {
	river.WorkerDefaults[TenantDeletionArgs]
	DB     *postgres.DB
	Logger *slog.Logger
	Now    func() time.Time
}

// Timeout leaves room for a large tenant's cascade.
func (w *TenantDeletionWorker) Timeout(*river.Job[TenantDeletionArgs]) time.Duration {
	return 10 * time.Minute
}

// Work deletes, each tenant in its own transaction.
func (w *TenantDeletionWorker) Work(ctx context.Context, _ *river.Job[TenantDeletionArgs]) error {
	deleted, err := w.DB.DeleteDueTenants(ctx, w.Now())
	for _, id := range deleted {
		w.Logger.InfoContext(ctx, "tenant deleted after its grace period", "tenant_id", id)
	}
	if err != nil {
		w.Logger.ErrorContext(ctx, "tenant deletion", "err", err)
	}
	return err
}

func tenantDeletion() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return TenantDeletionArgs{}, &river.InsertOpts{MaxAttempts: 3}
	}, &river.PeriodicJobOpts{RunOnStart: true})
}
