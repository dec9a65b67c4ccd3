package bench

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// The goals of issue 18 for the delay scan: 1,000,000 projects over
// 10,000 tenants scanned in at most 60 s, the second run (nothing changed)
// in at most 10 s. A smaller data set is held to the same rate.
const (
	GoalScanProjects      = 1_000_000
	GoalScanFirstSeconds  = 60.0
	GoalScanSecondSeconds = 10.0
)

// ScanOptions is a delay-scan benchmark.
type ScanOptions struct {
	Projects, Tenants int
	// TasksPerProject is each project's tasks (at least 1).
	TasksPerProject int
	// Parallel tenants are scanned at once (ScanAll); at least 1.
	Parallel int
	// GenerateWorkers connections generate tenants at once.
	GenerateWorkers int
	// Analyze runs VACUUM (ANALYZE) on the generated tables before the
	// scans, as autovacuum would in time; without it the scans meet the
	// tables as the generation left them (no statistics, no hint bits).
	Analyze bool
	// Keep leaves the generated tenants for the next run with the same
	// parameters, which resets what the scan wrote and reuses them.
	Keep bool
	Logf func(string, ...any)
}

// ScanRun is one scan over every tenant of the database.
type ScanRun struct {
	Seconds       float64 `json:"seconds"`
	Statements    int     `json:"statements"`
	RowsWritten   int64   `json:"rows_written"`
	Notifications int     `json:"notifications"`
	Overdue       int     `json:"overdue_projects"`
	AtRisk        int     `json:"at_risk_projects"`
	// ProjectsPerSec is the generated projects over the run's seconds.
	ProjectsPerSec float64 `json:"projects_per_s"`
}

// ScanReport is a whole delay-scan benchmark.
type ScanReport struct {
	Projects        int `json:"projects"`
	Tenants         int `json:"tenants"`
	TasksPerProject int `json:"tasks_per_project"`
	// TenantsScanned counts every tenant of the database: the scan is the
	// application's, over all of them.
	TenantsScanned  int     `json:"tenants_scanned"`
	Parallel        int     `json:"parallel"`
	Analyzed        bool    `json:"analyzed"`
	Reused          bool    `json:"reused"`
	GenerateSeconds float64 `json:"generate_seconds"`
	First           ScanRun `json:"first_run"`
	// Second runs ScanGap after the first, over the same data, as the next
	// periodic scan would: nothing changed, so it should write nothing.
	Second ScanRun `json:"second_run"`
	// FirstSeconds and SecondSeconds repeat the runs' times; the goals are
	// issue 18's, scaled to Projects.
	FirstSeconds      float64 `json:"first_run_seconds"`
	SecondSeconds     float64 `json:"second_run_seconds"`
	GoalFirstSeconds  float64 `json:"goal_first_run_seconds"`
	GoalSecondSeconds float64 `json:"goal_second_run_seconds"`
	MeetsGoals        bool    `json:"meets_goals"`
	// PeakHeapBytes is the most Go heap in use during the scans (sampled
	// every 10 ms).
	PeakHeapBytes uint64 `json:"peak_heap_bytes"`
	// LoadAverage is the machine's 1, 5 and 15 minute load average after
	// the scans.
	LoadAverage string `json:"load_average"`
}

// scanDataVersion changes when the generated data changes.
const scanDataVersion = 1

// scanSlug is the slug of tenant i of a data set named by fp.
func scanSlug(fp string, i int) string { return fmt.Sprintf("scan-%s-%d", fp, i) }

func (o ScanOptions) fingerprint() string {
	h := fnv.New32a()
	fmt.Fprintf(h, "scan/v%d/%d/%d/%d", scanDataVersion, o.Projects, o.Tenants, o.TasksPerProject)
	return fmt.Sprintf("%08x", h.Sum32())
}

// ScanData is a generated data set of the delay-scan benchmark: its
// tenants, made and reset through a pool on the schema owner (or a
// superuser).
type ScanData struct {
	admin *pgxpool.Pool
	o     ScanOptions
	fp    string
	// IDs are the tenants' ids, made from the parameters: the same on
	// every run with the same parameters.
	IDs []uuid.UUID
}

// OpenScanData connects to adminURL for the data set of o (nothing is made
// yet: Generate).
func OpenScanData(ctx context.Context, adminURL string, o ScanOptions) (*ScanData, error) {
	if o.Tenants < 1 || o.Projects < o.Tenants || o.TasksPerProject < 1 {
		return nil, errors.New("bench scan: at least one tenant, a project per tenant and a task per project")
	}
	o.Parallel, o.GenerateWorkers = max(o.Parallel, 1), max(o.GenerateWorkers, 1)
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	cfg, err := pgxpool.ParseConfig(adminURL)
	if err != nil {
		return nil, fmt.Errorf("admin url: %w", err)
	}
	cfg.MaxConns = int32(o.GenerateWorkers)
	admin, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect as admin: %w", err)
	}
	d := &ScanData{admin: admin, o: o, fp: o.fingerprint(), IDs: make([]uuid.UUID, o.Tenants)}
	for i := range d.IDs {
		d.IDs[i] = uuid.NewMD5(uuid.NameSpaceOID, []byte(scanSlug(d.fp, i)))
	}
	return d, nil
}

// Close closes the admin pool.
func (d *ScanData) Close() { d.admin.Close() }

// Scan generates o.Projects projects over o.Tenants tenants (or reuses
// those a run with --keep left, resetting what the scan wrote) through
// adminURL, the schema owner or a superuser, in set-based SQL, then times
// two delay scans over the whole database as `onboardiq scan --once` runs
// them (db.ScanAll, as the application role, o.Parallel tenants at a time)
// ScanGap apart: the first finds everything new, the second nothing
// changed. Without o.Keep the tenants are removed at the end, through the
// store's own tenant deletion.
func Scan(ctx context.Context, db *postgres.DB, adminURL string, o ScanOptions) (rep *ScanReport, err error) {
	d, err := OpenScanData(ctx, adminURL, o)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	o = d.o
	rep = &ScanReport{Projects: o.Projects, Tenants: o.Tenants, TasksPerProject: o.TasksPerProject, Parallel: o.Parallel, Analyzed: o.Analyze,
		GoalFirstSeconds:  GoalScanFirstSeconds * float64(o.Projects) / GoalScanProjects,
		GoalSecondSeconds: GoalScanSecondSeconds * float64(o.Projects) / GoalScanProjects}
	if !o.Keep {
		defer func() {
			if rerr := d.Remove(context.WithoutCancel(ctx), db); err == nil && rerr != nil {
				err = rerr
			}
		}()
	}
	start := time.Now()
	generated, err := d.Generate(ctx)
	if err != nil {
		return nil, err
	}
	rep.Reused = generated < o.Tenants
	if rep.Reused {
		o.Logf("resetting what earlier scans wrote in %d kept tenants", o.Tenants-generated)
		if err := d.Reset(ctx); err != nil {
			return nil, err
		}
	}
	if o.Analyze {
		if err := d.Analyze(ctx); err != nil {
			return nil, err
		}
	}
	rep.GenerateSeconds = time.Since(start).Seconds()
	o.Logf("data ready in %.1f s: %d tenants generated, %d reused", rep.GenerateSeconds, generated, o.Tenants-generated)

	stop := sampleHeap()
	first := scanMoment(time.Now())
	for i, run := range []*ScanRun{&rep.First, &rep.Second} {
		tenants := 0
		t0 := time.Now()
		err := db.ScanAll(ctx, first.Add(time.Duration(i)*ScanGap), o.Parallel, func(r *postgres.ScanResult) error {
			tenants++
			run.Statements += r.Statements
			run.RowsWritten += r.Written
			run.Notifications += len(r.Notifications)
			run.Overdue += r.Overdue
			run.AtRisk += r.AtRisk
			return nil
		})
		run.Seconds = time.Since(t0).Seconds()
		run.ProjectsPerSec = float64(o.Projects) / run.Seconds
		if err != nil {
			stop()
			return nil, fmt.Errorf("scan %d: %w", i+1, err)
		}
		rep.TenantsScanned = tenants
		o.Logf("scan %d: %d tenants in %.2f s, %d statements, %d rows written, %d notifications", i+1, tenants, run.Seconds, run.Statements, run.RowsWritten, run.Notifications)
	}
	rep.PeakHeapBytes = stop()
	rep.FirstSeconds, rep.SecondSeconds = rep.First.Seconds, rep.Second.Seconds
	rep.MeetsGoals = rep.FirstSeconds <= rep.GoalFirstSeconds && rep.SecondSeconds <= rep.GoalSecondSeconds && rep.Second.RowsWritten == 0
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		rep.LoadAverage = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return rep, nil
}

// ScanGap is the time between the benchmark's two scans: the default
// ONBOARDIQ_SCAN_INTERVAL, so that the second is the next periodic scan.
// The clock moves the forecasts of projects with an overdue task (expected
// now) between them; the second run still has nothing to write.
const ScanGap = 5 * time.Minute

// scanMoment is when the first scan runs: now, or ScanGap earlier when the
// second would fall on the next day (in UTC or in the server's zone, the
// days the scan compares forecasts by), where every forecast's day moves
// and is rightly written again.
func scanMoment(now time.Time) time.Time {
	for _, z := range []*time.Location{time.UTC, time.Local} {
		_, _, d := now.In(z).Date()
		if _, _, later := now.Add(ScanGap).In(z).Date(); later != d {
			return now.Add(-ScanGap)
		}
	}
	return now
}

// Analyze runs VACUUM (ANALYZE) on the tables the scan reads and writes,
// as autovacuum does after a bulk insert: the statistics, and the hint
// bits and visibility map that spare the first reader of a fresh table
// from writing every page it reads.
func (d *ScanData) Analyze(ctx context.Context) error {
	if _, err := d.admin.Exec(ctx, `VACUUM (ANALYZE) tenants, tenant_users, customers, projects, tasks, task_dependencies, tenant_holidays, project_alerts, notifications, events, deliveries`); err != nil {
		return fmt.Errorf("vacuum analyze: %w", err)
	}
	return nil
}

// sampleHeap samples the Go heap in use every 10 ms until the function it
// returns is called, which returns the most it saw.
func sampleHeap() func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		read()
		return peak.Load()
	}
}

// scanTenantsPerTx is how many tenants one generating transaction makes:
// each tenant is one statement after its SET LOCAL, all pipelined.
const scanTenantsPerTx = 20

// Generate makes the data set's tenants that do not exist yet and returns
// how many it made. A tenant is one INSERT … SELECT of everything it holds
// (generateTenantSQL) after the SET LOCAL that enters it (the owner is held
// to row-level security like the application), a few tenants pipelined in
// a transaction, o.GenerateWorkers transactions at once.
func (d *ScanData) Generate(ctx context.Context) (int, error) {
	admin, ids, fp, o := d.admin, d.IDs, d.fp, d.o
	rows, err := admin.Query(ctx, `SELECT tenant_id FROM tenants WHERE tenant_id = ANY ($1)`, ids)
	if err != nil {
		return 0, fmt.Errorf("find kept tenants: %w", err)
	}
	existing, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("find kept tenants: %w", err)
	}
	have := map[uuid.UUID]bool{}
	for _, id := range existing {
		have[id] = true
	}
	var todo []int
	for i, id := range ids {
		if !have[id] {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return 0, nil
	}
	now := time.Now()
	var made atomic.Int64
	err = parallelChunks(ctx, len(todo), scanTenantsPerTx, o.GenerateWorkers, func(ctx context.Context, from, to int) error {
		b := &pgx.Batch{}
		b.Queue(propagateSet)
		for _, i := range todo[from:to] {
			// Tenant i's share: the projects spread evenly, the first
			// tenants taking one more when they do not divide.
			projects := o.Projects / o.Tenants
			if i < o.Projects%o.Tenants {
				projects++
			}
			b.Queue(enterTenant(ids[i]))
			b.Queue(generateTenantSQL, ids[i], scanSlug(fp, i), projects, o.TasksPerProject, now)
		}
		if err := pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() }); err != nil {
			return fmt.Errorf("generate tenants: %w", err)
		}
		if n := made.Add(int64(to - from)); n%1000 < int64(to-from) {
			o.Logf("generated %d of %d tenants", n, len(todo))
		}
		return nil
	})
	return int(made.Load()), err
}

// propagateSet makes Citus pass the transaction's SET LOCAL on to the
// workers, as migrate sets it for the application role (on plain
// PostgreSQL it is a setting nothing reads).
const propagateSet = `SET LOCAL citus.propagate_set_commands = 'local'`

// enterTenant is the SET LOCAL that enters a tenant (a SET takes no
// parameters: the id is a parsed UUID, hex digits and dashes).
func enterTenant(id uuid.UUID) string { return "SET LOCAL app.tenant_id = '" + id.String() + "'" }

// generateTenantSQL makes one tenant ($1 its id, $2 its slug) with $3
// projects of $4 tasks each, dated around $5: an admin, two sales leaders,
// three CSMs who support the customers (half as many as projects), two
// holidays, and projects of five kinds by a spread of their number — 8%
// completed, 4% on hold, 10% overdue by 1 to 10 days (their completed
// tasks ran 2 days late), 10% at risk (due in 3 days, their tasks running
// 8 days late), the rest on track (due in 30 to 90 days, done as far as
// their plan says, on time). Tasks are evenly spaced over the project, each
// position with the same template task in every project but the ones at
// risk (so the forecast finds history in the tenant's other projects, and
// the projects at risk run by their own lateness), and the open tasks of
// overdue and at-risk projects wait on one another in a chain.
const generateTenantSQL = `
WITH tenant AS (
    INSERT INTO tenants (tenant_id, name, slug) VALUES ($1, 'Scan bench ' || $2, $2) RETURNING tenant_id
), staff AS (
    INSERT INTO tenant_users (tenant_id, email, name, role)
    SELECT $1, v.role || s || '@' || $2 || '.bench.test', 'Staff ' || v.role || ' ' || s, v.role
    FROM (VALUES ('admin', 1), ('sales_leader', 2), ('csm', 3)) AS v (role, n), generate_series(1, v.n) AS s
    RETURNING user_id, role, email, name
), csm AS (
    INSERT INTO support_members (tenant_id, support_member_id, name, email)
    SELECT $1, user_id, name, email FROM staff WHERE role = 'csm'
    RETURNING support_member_id
), holidays AS (
    INSERT INTO tenant_holidays (tenant_id, day, name)
    VALUES ($1, ($5::timestamptz + interval '20 days')::date, 'Bench day'), ($1, ($5::timestamptz + interval '45 days')::date, 'Bench day 2')
    RETURNING day
), cust AS (
    INSERT INTO customers (tenant_id, name, support_member_id)
    SELECT $1, 'Customer ' || c, (SELECT array_agg(support_member_id) FROM csm)[c % 3 + 1]
    FROM generate_series(1, greatest($3::int / 2, 1)) AS c
    RETURNING customer_id
), plan AS (
    SELECT p, k, CASE WHEN k < 8 THEN 'completed' WHEN k < 12 THEN 'on_hold' WHEN k < 22 THEN 'overdue' WHEN k < 32 THEN 'at_risk' ELSE 'on_track' END AS kind
    FROM generate_series(1, $3::int) AS p, LATERAL (SELECT (p * 37) % 100 AS k) AS x
), dated AS (
    SELECT p, kind, deadline, deadline - interval '60 days' AS start
    FROM plan, LATERAL (SELECT CASE kind
        WHEN 'completed' THEN $5::timestamptz - interval '5 days'
        WHEN 'overdue' THEN $5::timestamptz - make_interval(days => 1 + k % 10)
        WHEN 'at_risk' THEN $5::timestamptz + interval '3 days'
        ELSE $5::timestamptz + make_interval(days => 30 + k % 61) END AS deadline) AS d
), done AS (
    SELECT dated.*, CASE kind
        WHEN 'completed' THEN $4::int
        WHEN 'on_hold' THEN $4::int / 2
        WHEN 'overdue' THEN 3 * $4::int / 5
        WHEN 'at_risk' THEN 2 * $4::int / 5
        ELSE least($4::int, greatest(0, ceil(extract(epoch FROM $5::timestamptz - start) / (extract(epoch FROM deadline - start) / $4::int))))::int END AS done
    FROM dated
), proj AS (
    INSERT INTO projects (tenant_id, customer_id, name, status, status_reason, progress, start_date, deadline, completed_at)
    SELECT $1, (SELECT array_agg(customer_id) FROM cust)[p % greatest($3::int / 2, 1) + 1], 'Project ' || p,
           CASE kind WHEN 'completed' THEN 'completed' WHEN 'on_hold' THEN 'on_hold' ELSE 'in_progress' END,
           CASE WHEN kind = 'on_hold' THEN 'Customer re-org' END,
           round(100.0 * done / $4::int, 2), start, deadline, CASE WHEN kind = 'completed' THEN deadline END
    FROM done
    RETURNING project_id, name
), task AS (
    INSERT INTO tasks (tenant_id, project_id, description, status, position, due_at, completed_at, template_task_id)
    SELECT $1, proj.project_id, 'Step ' || (pos + 1),
           CASE WHEN pos < d.done THEN 'completed' WHEN pos = d.done THEN 'in_progress' ELSE 'not_started' END,
           pos, due,
           CASE WHEN pos < d.done THEN least(due + make_interval(days => CASE d.kind WHEN 'at_risk' THEN 8 WHEN 'overdue' THEN 2 ELSE 0 END), $5::timestamptz) END,
           CASE WHEN d.kind <> 'at_risk' THEN md5($2 || ':' || pos)::uuid END
    FROM proj JOIN done d ON proj.name = 'Project ' || d.p, generate_series(0, $4::int - 1) AS pos,
         LATERAL (SELECT d.start + (d.deadline - d.start) * (pos + 1) / $4::int AS due) AS x
    RETURNING task_id, project_id, position, status
)
INSERT INTO task_dependencies (tenant_id, task_id, depends_on_task_id)
SELECT $1, t.task_id, pre.task_id
FROM task t
JOIN task pre ON pre.project_id = t.project_id AND pre.position = t.position - 1
JOIN proj ON proj.project_id = t.project_id
JOIN done d ON proj.name = 'Project ' || d.p
WHERE d.kind IN ('overdue', 'at_risk') AND t.status <> 'completed' AND pre.status <> 'completed'
RETURNING task_id`

// Reset removes what earlier scans wrote in the tenants (the stored
// forecasts, the alerts, notifications, their deliveries, the events) and
// the jobs they queued, so that the next scan finds everything new again.
func (d *ScanData) Reset(ctx context.Context) error {
	admin, ids, o := d.admin, d.IDs, d.o
	err := parallelChunks(ctx, len(ids), scanTenantsPerTx, o.GenerateWorkers, func(ctx context.Context, from, to int) error {
		b := &pgx.Batch{}
		b.Queue(propagateSet)
		for _, id := range ids[from:to] {
			b.Queue(enterTenant(id))
			b.Queue(`UPDATE projects SET forecast_finish = NULL, at_risk = false, risk_reason = NULL, forecast_at = NULL WHERE tenant_id = $1 AND forecast_at IS NOT NULL`, id)
			b.Queue(`DELETE FROM deliveries WHERE tenant_id = $1`, id)
			b.Queue(`DELETE FROM notifications WHERE tenant_id = $1`, id)
			b.Queue(`DELETE FROM project_alerts WHERE tenant_id = $1`, id)
			b.Queue(`DELETE FROM events WHERE tenant_id = $1`, id)
		}
		return pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	})
	if err != nil {
		return fmt.Errorf("reset kept tenants: %w", err)
	}
	return deleteScanJobs(ctx, admin, ids)
}

// deleteScanJobs deletes the jobs queued for the tenants: with no server
// running, the scans' emails and events wait in River's table.
func deleteScanJobs(ctx context.Context, admin *pgxpool.Pool, ids []uuid.UUID) error {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.String()
	}
	if _, err := admin.Exec(ctx, `DELETE FROM river_job WHERE args->>'tenant_id' = ANY ($1)`, names); err != nil {
		return fmt.Errorf("delete the bench's jobs: %w", err)
	}
	return nil
}

// Remove deletes the tenants through the store's own deletion
// (tx.DeleteTenant, as the hourly deletion job does), a few at a time, and
// their jobs.
func (d *ScanData) Remove(ctx context.Context, db *postgres.DB) error {
	admin, ids, o := d.admin, d.IDs, d.o
	start := time.Now()
	err := parallelChunks(ctx, len(ids), 1, o.GenerateWorkers, func(ctx context.Context, from, _ int) error {
		return db.InTenant(ctx, ids[from], func(ctx context.Context, tx *postgres.Tx) error { return tx.DeleteTenant(ctx) })
	})
	if err == nil {
		err = deleteScanJobs(ctx, admin, ids)
	}
	o.Logf("removed %d tenants in %.1f s", len(ids), time.Since(start).Seconds())
	return err
}

// parallelChunks calls fn on [0, n) in chunks of size, workers at a time,
// and returns the first error (after which no new chunk starts).
func parallelChunks(ctx context.Context, n, size, workers int, fn func(ctx context.Context, from, to int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan int)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range workers {
		wg.Go(func() {
			for from := range chunks {
				if err := fn(ctx, from, min(from+size, n)); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
	for from := 0; from < n; from += size {
		select {
		case chunks <- from:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(chunks)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
