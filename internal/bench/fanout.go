package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// FanOutOptions are the fan-out row's: the workers as serve runs them.
type FanOutOptions struct {
	Jobs    jobs.Deps
	Workers int // River's workers at once (ONBOARDIQ_JOB_WORKERS)
	// Tasks change status and back each round (two events each at
	// least), Emitters at once.
	Tasks, Emitters int
	Rounds          int
	// Drain bounds the wait for the queue's backlog before the rounds and
	// for each round's events.
	Drain time.Duration
	Logf  func(string, ...any)
}

// The queue's states of a job still to run (a retryable job waits for
// its backoff and is not the fan-out's backlog).
const pendingJobs = `state IN ('available', 'running')`

// FanOut measures the event fan-out (internal/jobs, fanout.go) as serve
// runs it: River's workers (o.Workers of them) on the app's pool, every
// consumer. Once the queue's backlog has drained, each round, o.Tasks
// tasks of the workspace go to in progress and back to not started through
// the store (db.UpdateTask as the workspace's admin, a transaction and its
// events each, as the API does), and the round lasts until every event job
// made since it began has run. EVENTS/S is those events over the round's wall time; the latencies
// are each event's, from its job's creation (the change's commit) to its
// end (River's created_at and finalized_at).
func FanOut(ctx context.Context, db *postgres.DB, w *Workspace, admin *onboardiq.Principal, o FanOutOptions) (row Row, err error) {
	row = Row{Section: "fanout", Name: "event fan-out", Unit: "events/s", Clients: o.Emitters,
		What: "task status changes through the store, their events handed to every consumer by River's workers"}
	// The backlog (the jobs loading left: events, embeddings) is drained
	// first, unmeasured, with more workers: at serve's few it could take
	// minutes.
	start := time.Now()
	backlog, err := drain(ctx, db, o.Jobs, max(drainWorkers, o.Workers), o.Drain)
	if err != nil {
		return row, fmt.Errorf("the queue's backlog: %w", err)
	}
	backlogSeconds := time.Since(start).Seconds()
	if o.Logf != nil {
		o.Logf("fan-out: the queue's backlog drained in %.1f s by %d workers (%d jobs when it began)", backlogSeconds, max(drainWorkers, o.Workers), backlog)
	}
	runner, err := jobs.Start(context.WithoutCancel(ctx), o.Jobs, o.Workers)
	if err != nil {
		return row, err
	}
	defer func() {
		if serr := runner.Stop(10 * time.Second); err == nil && serr != nil {
			err = fmt.Errorf("stop the workers: %w", serr)
		}
	}()
	// What the workers enqueue as they start (the periodic jobs that run
	// on start) is not the rounds'.
	if _, err := drained(ctx, db, `SELECT count(*) FROM river_job WHERE `+pendingJobs, o.Drain); err != nil {
		return row, fmt.Errorf("the jobs of the workers' start: %w", err)
	}
	tasks, err := fanOutTasks(ctx, db, w.Main.ID, o.Tasks)
	if err != nil {
		return row, err
	}
	as := onboardiq.NewContextWithPrincipal(ctx, admin)
	var emitRates []float64
	for r := range o.Rounds {
		var marker int64
		if err := db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM river_job`).Scan(&marker); err != nil {
			return row, err
		}
		t0 := time.Now()
		for _, status := range []onboardiq.Status{onboardiq.StatusInProgress, onboardiq.StatusNotStarted} {
			_, _, err := drive(ctx, o.Emitters, func(i int) bool { return i < len(tasks) }, func(i int) error {
				_, err := db.UpdateTask(as, tasks[i], onboardiq.TaskPatch{Status: onboardiq.Patch[onboardiq.Status]{Set: true, Value: status}})
				return err
			})
			if err != nil {
				return row, fmt.Errorf("change a task: %w", err)
			}
		}
		emitted := time.Since(t0)
		if _, err := drained(ctx, db, fmt.Sprintf(`SELECT count(*) FROM river_job WHERE kind = 'event' AND id > %d AND (%s OR state IN ('retryable', 'scheduled'))`, marker, pendingJobs), o.Drain); err != nil {
			return row, fmt.Errorf("round %d: %w", r+1, err)
		}
		elapsed := time.Since(t0)
		lat, failed, err := eventLatencies(ctx, db, marker)
		if err != nil {
			return row, err
		}
		if failed > 0 {
			return row, fmt.Errorf("round %d: %d event jobs failed", r+1, failed)
		}
		f := figures(lat, elapsed)
		row.Rounds = append(row.Rounds, Round{App: f})
		emitRates = append(emitRates, float64(len(lat))/emitted.Seconds())
		if o.Logf != nil {
			o.Logf("fan-out: round %d/%d: %d events in %.2f s (emitted in %.2f s)", r+1, o.Rounds, len(lat), elapsed.Seconds(), emitted.Seconds())
		}
	}
	app, _, _ := SummariseRounds(row.Rounds)
	row.App = &app
	row.Details = map[string]any{"tasks": len(tasks), "workers": o.Workers, "emitted_per_s": Median(emitRates), "backlog_jobs": backlog,
		"backlog_seconds": backlogSeconds}
	return row, nil
}

// drainWorkers are the workers that drain the backlog before the rounds.
const drainWorkers = 100

// drain runs workers until the queue has no job to run now, for at most
// limit, and returns how many it had.
func drain(ctx context.Context, db *postgres.DB, d jobs.Deps, workers int, limit time.Duration) (n int, err error) {
	runner, err := jobs.Start(context.WithoutCancel(ctx), d, workers)
	if err != nil {
		return 0, err
	}
	defer func() {
		if serr := runner.Stop(10 * time.Second); err == nil && serr != nil {
			err = fmt.Errorf("stop the workers: %w", serr)
		}
	}()
	return drained(ctx, db, `SELECT count(*) FROM river_job WHERE `+pendingJobs, limit)
}

// fanOutTasks are n tasks of the workspace that are not started (after a
// stopped run, some may be left in progress: they are taken back first).
func fanOutTasks(ctx context.Context, db *postgres.DB, tenant uuid.UUID, n int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT task_id FROM tasks WHERE tenant_id = $1 AND status IN ('not_started', 'in_progress') ORDER BY task_id LIMIT $2`, tenant, n)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tasks for the fan-out: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("the workspace has no open task")
	}
	return ids, nil
}

// drained polls count until it is 0, for at most limit; it returns the
// first count.
func drained(ctx context.Context, db *postgres.DB, count string, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	first := -1
	for {
		var n int
		if err := db.Pool.QueryRow(ctx, count).Scan(&n); err != nil {
			return first, err
		}
		if first < 0 {
			first = n
		}
		if n == 0 {
			return first, nil
		}
		if time.Now().After(deadline) {
			return first, fmt.Errorf("%d jobs still to run after %s", n, limit)
		}
		select {
		case <-ctx.Done():
			return first, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// eventLatencies reads the event jobs made after marker: how long each took
// from its creation to its end, and how many did not complete.
func eventLatencies(ctx context.Context, db *postgres.DB, marker int64) ([]time.Duration, int, error) {
	rows, err := db.Pool.Query(ctx, `SELECT state = 'completed', extract(epoch FROM finalized_at - created_at)::float8 FROM river_job WHERE kind = 'event' AND id > $1`, marker)
	if err != nil {
		return nil, 0, err
	}
	var (
		lat    []time.Duration
		failed int
		ok     bool
		d      *float64
	)
	_, err = pgx.ForEachRow(rows, []any{&ok, &d}, func() error {
		if !ok || d == nil {
			failed++
			return nil
		}
		lat = append(lat, time.Duration(*d*float64(time.Second)))
		return nil
	})
	return lat, failed, err
}
