package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/journey"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// healthSignals are the events that change a signal of a customer's health
// score: its usage, its onboarding's tasks and projects, its contacts (the
// seats), its survey answers. The health consumer rescores the event's
// customers as it sees one.
var healthSignals = map[onboardiq.EventKind]bool{
	onboardiq.EventUsageIngested:        true,
	onboardiq.EventTaskCreated:          true,
	onboardiq.EventTaskUpdated:          true,
	onboardiq.EventTaskStatusChanged:    true,
	onboardiq.EventTaskCompleted:        true,
	onboardiq.EventTaskBlocked:          true,
	onboardiq.EventTaskReopened:         true,
	onboardiq.EventTaskDeleted:          true,
	onboardiq.EventProjectCreated:       true,
	onboardiq.EventProjectUpdated:       true,
	onboardiq.EventProjectStatusChanged: true,
	onboardiq.EventProjectCompleted:     true,
	onboardiq.EventProjectOverdue:       true,
	onboardiq.EventProjectAtRisk:        true,
	onboardiq.EventProjectPutOnHold:     true,
	onboardiq.EventProjectResumed:       true,
	onboardiq.EventProjectCancelled:     true,
	onboardiq.EventProjectReopened:      true,
	onboardiq.EventProjectDeleted:       true,
	onboardiq.EventUserCreated:          true,
	onboardiq.EventUserUpdated:          true,
	onboardiq.EventSurveyAnswered:       true,
}

// rescore recomputes the health of the customers an event is about
// (docs/customer-success.md). Run twice on the same state it changes
// nothing: a level change or a drop is an event only when the stored score
// differs.
func rescore(now func() time.Time) func(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	return func(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
		if !healthSignals[e.Kind] {
			return nil
		}
		customers := eventCustomers(e)
		if len(customers) == 0 {
			return nil
		}
		_, err := tx.RecomputeHealth(ctx, customers, now())
		return err
	}
}

// eventCustomers are the customers an event is about: its customer, or,
// for a batch of usage, every customer the batch named.
func eventCustomers(e *onboardiq.Event) []uuid.UUID {
	if e.CustomerID != nil {
		return []uuid.UUID{*e.CustomerID}
	}
	list, _ := e.Data["customer_ids"].([]any)
	out := make([]uuid.UUID, 0, len(list))
	for _, v := range list {
		s, _ := v.(string)
		if id, err := uuid.Parse(s); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// healthTrigger is the journey trigger of a health level change.
func healthTrigger(e *onboardiq.Event) (journey.Trigger, bool) {
	if e.Kind != onboardiq.EventCustomerHealthLevelChanged {
		return journey.Trigger{}, false
	}
	level, _ := e.Data["level"].(string)
	return journey.Trigger{On: journey.HealthLevel, Level: level}, level != ""
}

// HealthWorker enqueues the nightly health recompute of every tenant.
type HealthWorker struct {
	river.WorkerDefaults[postgres.RecomputeHealthArgs]
	DB *postgres.DB
}

// Timeout bounds listing the tenants.
func (w *HealthWorker) Timeout(*river.Job[postgres.RecomputeHealthArgs]) time.Duration {
	return time.Minute
}

// Work enqueues.
func (w *HealthWorker) Work(ctx context.Context, _ *river.Job[postgres.RecomputeHealthArgs]) error {
	return perTenant(ctx, w.DB, time.Hour, func(t uuid.UUID) river.JobArgs { return postgres.RecomputeHealthTenantArgs{TenantID: t} })
}

// HealthTenantWorker rescores one tenant's customers when its night has
// come.
type HealthTenantWorker struct {
	river.WorkerDefaults[postgres.RecomputeHealthTenantArgs]
	DB     *postgres.DB
	Logger *slog.Logger
	Now    func() time.Time // the clock; nil: time.Now
}

// Timeout bounds one tenant's recompute (10,000 customers take seconds).
func (w *HealthTenantWorker) Timeout(*river.Job[postgres.RecomputeHealthTenantArgs]) time.Duration {
	return 5 * time.Minute
}

// Work rescores.
func (w *HealthTenantWorker) Work(ctx context.Context, job *river.Job[postgres.RecomputeHealthTenantArgs]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	var ran bool
	var run postgres.HealthRun
	err := w.DB.InTenant(ctx, job.Args.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		ran, run, err = tx.RecomputeHealthIfDue(ctx, now())
		return err
	})
	if err != nil {
		return err
	}
	if ran && w.Logger != nil {
		w.Logger.InfoContext(ctx, "nightly health", "tenant_id", job.Args.TenantID, "customers", run.Customers,
			"scored", run.Scored, "level_changes", run.LevelChanges, "drops", run.Drops)
	}
	return nil
}
