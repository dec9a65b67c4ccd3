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

// requestSurveys is the consumer "surveys" (docs/surveys.md): a project
// completed → a CSAT survey to each contact of its customer; a task
// completed that completes its phase (the milestone the contact emails
// announce) → a CSAT survey about the phase; as the workspace's survey
// settings ask. It schedules the requests SurveyDelay later (a
// SurveyAskWorker job, one per occasion), and each request is made once
// per occasion and contact, however often the fan-out runs.
func requestSurveys(d Deps) func(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	return func(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
		_, err := tx.ScheduleCSAT(ctx, e, d.now())
		return err
	}
}

// SurveyAskWorker requests the CSAT surveys of one occasion.
type SurveyAskWorker struct {
	river.WorkerDefaults[postgres.SurveyAskArgs]
	DB      *postgres.DB
	BaseURL string           // the app's address, for the scale links
	Now     func() time.Time // the clock; nil: time.Now
}

// Timeout bounds one occasion's requests.
func (w *SurveyAskWorker) Timeout(*river.Job[postgres.SurveyAskArgs]) time.Duration {
	return time.Minute
}

// Work requests.
func (w *SurveyAskWorker) Work(ctx context.Context, job *river.Job[postgres.SurveyAskArgs]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	a := job.Args
	return w.DB.InTenant(ctx, a.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		if a.Phase != "" {
			_, err = tx.RequestPhaseCSAT(ctx, a.ProjectID, a.Phase, w.BaseURL, now())
		} else {
			_, err = tx.RequestProjectCSAT(ctx, a.ProjectID, w.BaseURL, now())
		}
		return err
	})
}

// baseURL is the app's address, for links in emails; "" without a mailer.
func (d Deps) baseURL() string {
	if d.Mailer == nil {
		return ""
	}
	return d.Mailer.BaseURL
}

// SurveyScanWorker enqueues the NPS scan of every tenant, hourly.
type SurveyScanWorker struct {
	river.WorkerDefaults[postgres.SurveyScanArgs]
	DB *postgres.DB
}

// Timeout bounds listing the tenants.
func (w *SurveyScanWorker) Timeout(*river.Job[postgres.SurveyScanArgs]) time.Duration {
	return time.Minute
}

// Work enqueues.
func (w *SurveyScanWorker) Work(ctx context.Context, _ *river.Job[postgres.SurveyScanArgs]) error {
	return perTenant(ctx, w.DB, time.Hour, func(t uuid.UUID) river.JobArgs { return postgres.SurveyTenantArgs{TenantID: t} })
}

// SurveyTenantWorker runs one tenant's NPS scan (postgres.(*Tx).QueueNPSSurveys).
type SurveyTenantWorker struct {
	river.WorkerDefaults[postgres.SurveyTenantArgs]
	DB      *postgres.DB
	Logger  *slog.Logger
	BaseURL string
	Now     func() time.Time // the clock; nil: time.Now
}

// Timeout bounds one tenant's scan.
func (w *SurveyTenantWorker) Timeout(*river.Job[postgres.SurveyTenantArgs]) time.Duration {
	return 2 * time.Minute
}

// Work scans.
func (w *SurveyTenantWorker) Work(ctx context.Context, job *river.Job[postgres.SurveyTenantArgs]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	var n int
	err := w.DB.InTenant(ctx, job.Args.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		n, err = tx.QueueNPSSurveys(ctx, w.BaseURL, now())
		return err
	})
	logger := w.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if err != nil {
		logger.ErrorContext(ctx, "nps scan", "tenant_id", job.Args.TenantID, "attempt", job.Attempt, "err", err)
		return err
	}
	if n > 0 {
		logger.InfoContext(ctx, "nps scan", "tenant_id", job.Args.TenantID, "requested", n)
	}
	return nil
}

// surveyWorkers registers the survey workers: the delayed CSAT requests
// and the NPS scan.
func surveyWorkers(w *river.Workers, d Deps) {
	river.AddWorker(w, &SurveyAskWorker{DB: d.DB, BaseURL: d.baseURL(), Now: d.now})
	river.AddWorker(w, &SurveyScanWorker{DB: d.DB})
	river.AddWorker(w, &SurveyTenantWorker{DB: d.DB, Logger: d.Logger, BaseURL: d.baseURL(), Now: d.now})
}

// surveyScan is the hourly periodic job of the NPS scan.
func surveyScan() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return postgres.SurveyScanArgs{}, &river.InsertOpts{MaxAttempts: 3}
	}, &river.PeriodicJobOpts{RunOnStart: true})
}
