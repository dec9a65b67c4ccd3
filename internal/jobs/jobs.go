// Package jobs runs OnboardIQ's background work on River, in the same
// database: the event fan-out and its consumers (fanout.go), embeddings,
// email and webhook deliveries, and the per-tenant periodic jobs. Every job
// carries its tenant and re-enters it before touching data.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Deps is what the workers use.
type Deps struct {
	DB           *postgres.DB
	Embedder     ai.Embedder
	Mailer       *notify.Mailer
	Webhooks     *notify.Webhooks
	Logger       *slog.Logger
	ScanInterval time.Duration // the delay scan's period; 0: 5 minutes
	Consumers    []Consumer    // more consumers of events, after the built-in ones (fanout.go)
	// Now is the clock of the contact emails and the reminder scan (the
	// weekly digest's hour, quiet hours); nil: time.Now. Tests set it.
	Now func() time.Time
}

func (d Deps) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// RescueAfter is how long a job may stay running before River takes it for
// lost (its server died) and runs it again. Every worker's timeout is
// shorter, so a live job is never rescued; a delivery cut off by a crash is
// sent again within minutes, with the same webhook-id or Message-ID, so
// receivers can tell the repeat.
const RescueAfter = 5 * time.Minute

// Workers registers every worker.
func Workers(d Deps) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &FanOutWorker{DB: d.DB, Consumers: consumers(d)})
	river.AddWorker(w, &EmbedWorker{DB: d.DB, Embedder: d.Embedder})
	river.AddWorker(w, &GapEmbedWorker{DB: d.DB, Embedder: d.Embedder})
	river.AddWorker(w, &EmailWorker{DB: d.DB, Mailer: d.Mailer})
	river.AddWorker(w, &WebhookWorker{DB: d.DB, Webhooks: d.Webhooks, Logger: d.Logger})
	river.AddWorker(w, &ScanWorker{DB: d.DB, Period: d.scanEvery()})
	river.AddWorker(w, &ScanTenantWorker{DB: d.DB, Logger: d.Logger})
	river.AddWorker(w, &DigestWorker{DB: d.DB})
	river.AddWorker(w, &DigestTenantWorker{DB: d.DB})
	river.AddWorker(w, &RemindWorker{DB: d.DB})
	river.AddWorker(w, &RemindTenantWorker{DB: d.DB, Logger: d.Logger, Now: d.now})
	river.AddWorker(w, &HealthWorker{DB: d.DB})
	river.AddWorker(w, &HealthTenantWorker{DB: d.DB, Logger: d.Logger, Now: d.now})
	surveyWorkers(w, d)
	playbookWorkers(w, d)
	river.AddWorker(w, &TenantDeletionWorker{DB: d.DB, Logger: d.logger(), Now: d.now})
	river.AddWorker(w, &ImportWorker{DB: d.DB, Logger: d.logger()})
	return w
}

func (d Deps) scanEvery() time.Duration {
	if d.ScanInterval <= 0 {
		return 5 * time.Minute
	}
	return d.ScanInterval
}

// periodic are the jobs the elected leader enqueues on a schedule: the delay
// scan, the hourly check for digests to send and the hourly reminder scan
// (contacts' reminders, weekly digests, re-engagement) and the hourly check
// for the nightly health recompute, each of which
// enqueues one job per tenant (tenants.go).
func periodic(d Deps) []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(d.scanEvery()), func() (river.JobArgs, *river.InsertOpts) {
			return postgres.ScanArgs{}, &river.InsertOpts{MaxAttempts: 3}
		}, &river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return postgres.DigestArgs{}, &river.InsertOpts{MaxAttempts: 3}
		}, &river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return postgres.RemindArgs{}, &river.InsertOpts{MaxAttempts: 3}
		}, &river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return postgres.RecomputeHealthArgs{}, &river.InsertOpts{MaxAttempts: 3}
		}, &river.PeriodicJobOpts{RunOnStart: true}),
		surveyScan(),
		playbookScan(),
		tenantDeletion(),
	}
}

// fetchCooldown is the least time between two fetches of jobs. River
// fetches at most as many jobs as it has free workers at a time, so its
// default (100 ms) caps the queue at ten batches a second: 40 events a
// second with serve's 4 workers, however short each job. A fetch is one
// indexed UPDATE, and it runs only when a job was inserted (NOTIFY), a
// worker came free, or the poll interval passed, so an idle queue costs
// no more than it did (docs/performance.md, "Event fan-out").
const fetchCooldown = 2 * time.Millisecond

// config is the River client's configuration: the workers, the periodic
// jobs, and the timeouts and rescue window (RescueAfter).
func config(d Deps, maxWorkers int) *river.Config {
	return &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}},
		FetchCooldown:        fetchCooldown,
		Workers:              Workers(d),
		PeriodicJobs:         periodic(d),
		Logger:               d.Logger,
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: RescueAfter,
	}
}

// Runner runs the workers until stopped.
type Runner struct {
	client *river.Client[pgx.Tx]
}

// Start starts working the queue with d's workers.
func Start(ctx context.Context, d Deps, maxWorkers int) (*Runner, error) {
	client, err := river.NewClient(riverpgxv5.New(d.DB.Pool), config(d, maxWorkers))
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("jobs: start: %w", err)
	}
	return &Runner{client: client}, nil
}

// Stop lets running jobs finish (up to grace), then cancels the rest; they
// run again later, which every worker allows.
func (r *Runner) Stop(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := r.client.Stop(ctx); err == nil {
		return nil
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	return r.client.StopAndCancel(ctx2)
}
