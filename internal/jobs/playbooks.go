package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Playbooks (docs/playbooks.md): the fan-out's "playbooks" consumer starts
// the runs an event triggers; one job per action does each action, in
// order; escalation ladders wait in jobs of their own; and an hourly job
// per tenant checks the schedule triggers.

// triggerPlaybooks is the "playbooks" consumer: it records the runs the
// event triggers (once per event and subject, however often the fan-out
// runs) and enqueues their first actions.
func triggerPlaybooks(now func() time.Time) func(context.Context, *postgres.Tx, *onboardiq.Event) error {
	return func(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
		_, err := tx.TriggerPlaybooks(ctx, e, now())
		return err
	}
}

// playbookBackoff is the wait after an action's failed attempt.
var playbookBackoff = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute}

// PlaybookActionWorker does one action of a run.
type PlaybookActionWorker struct {
	river.WorkerDefaults[postgres.PlaybookActionArgs]
	DB      *postgres.DB
	BaseURL string
	Logger  *slog.Logger
	Now     func() time.Time
}

// NextRetry follows playbookBackoff.
func (w *PlaybookActionWorker) NextRetry(job *river.Job[postgres.PlaybookActionArgs]) time.Time {
	i := min(max(job.Attempt-1, 0), len(playbookBackoff)-1)
	return time.Now().Add(playbookBackoff[i])
}

// Timeout: an action only writes rows and enqueues jobs.
func (w *PlaybookActionWorker) Timeout(*river.Job[postgres.PlaybookActionArgs]) time.Duration {
	return 30 * time.Second
}

// Work does the action. On its last attempt an error is recorded as the
// action's failure and the run goes on with the next action.
func (w *PlaybookActionWorker) Work(ctx context.Context, job *river.Job[postgres.PlaybookActionArgs]) error {
	a := job.Args
	err := w.DB.InTenant(ctx, a.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.DoPlaybookAction(ctx, a, job.Attempt, postgres.ActionEnv{BaseURL: w.BaseURL}, w.Now())
	})
	if err == nil {
		return nil
	}
	w.Logger.ErrorContext(ctx, "playbook action", "tenant_id", a.TenantID, "run_id", a.RunID, "index", a.Index, "attempt", job.Attempt, "err", err)
	if job.Attempt < job.MaxAttempts {
		return err
	}
	return w.DB.InTenant(context.WithoutCancel(ctx), a.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.FailPlaybookAction(ctx, a, job.Attempt, err.Error(), w.Now())
	})
}

// EscalationWorker tells the next step of an escalation ladder unless it
// was acknowledged.
type EscalationWorker struct {
	river.WorkerDefaults[postgres.EscalationStepArgs]
	DB  *postgres.DB
	Now func() time.Time
}

// Work tells the step.
func (w *EscalationWorker) Work(ctx context.Context, job *river.Job[postgres.EscalationStepArgs]) error {
	return w.DB.InTenant(ctx, job.Args.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.EscalatePlaybook(ctx, job.Args, w.Now())
	})
}

// PlaybookScanWorker enqueues the hourly schedule check of every tenant.
type PlaybookScanWorker struct {
	river.WorkerDefaults[postgres.PlaybookScanArgs]
	DB *postgres.DB
}

// Work enqueues one job per tenant.
func (w *PlaybookScanWorker) Work(ctx context.Context, _ *river.Job[postgres.PlaybookScanArgs]) error {
	return perTenant(ctx, w.DB, time.Hour, func(t uuid.UUID) river.JobArgs { return postgres.PlaybookTenantArgs{TenantID: t} })
}

// PlaybookTenantWorker checks one tenant's schedule playbooks.
type PlaybookTenantWorker struct {
	river.WorkerDefaults[postgres.PlaybookTenantArgs]
	DB     *postgres.DB
	Logger *slog.Logger
	Now    func() time.Time
}

// Timeout bounds one tenant's check.
func (w *PlaybookTenantWorker) Timeout(*river.Job[postgres.PlaybookTenantArgs]) time.Duration {
	return 2 * time.Minute
}

// Work checks.
func (w *PlaybookTenantWorker) Work(ctx context.Context, job *river.Job[postgres.PlaybookTenantArgs]) error {
	var n int
	err := w.DB.InTenant(ctx, job.Args.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		n, err = tx.RunPlaybookSchedules(ctx, w.Now())
		return err
	})
	if err != nil {
		w.Logger.ErrorContext(ctx, "playbook schedules", "tenant_id", job.Args.TenantID, "attempt", job.Attempt, "err", err)
		return err
	}
	if n > 0 {
		w.Logger.InfoContext(ctx, "playbook schedules", "tenant_id", job.Args.TenantID, "runs", n)
	}
	return nil
}

func playbookWorkers(w *river.Workers, d Deps) {
	river.AddWorker(w, &PlaybookActionWorker{DB: d.DB, BaseURL: d.baseURL(), Logger: d.logger(), Now: d.now})
	river.AddWorker(w, &EscalationWorker{DB: d.DB, Now: d.now})
	river.AddWorker(w, &PlaybookScanWorker{DB: d.DB})
	river.AddWorker(w, &PlaybookTenantWorker{DB: d.DB, Logger: d.logger(), Now: d.now})
}

// playbookScan is the hourly periodic job of the schedule triggers.
func playbookScan() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return postgres.PlaybookScanArgs{}, &river.InsertOpts{MaxAttempts: 3}
	}, &river.PeriodicJobOpts{RunOnStart: true})
}
