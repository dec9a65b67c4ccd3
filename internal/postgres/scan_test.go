package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/onboardiq/onboardiq"
)

// roundTrips records what a connection sends, one entry per round trip
// the caller asked for: the statements of a batch, or one statement.
type roundTrips struct {
	mu    sync.Mutex
	trips [][]string
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips = append(r.trips, []string{d.SQL})
	return ctx
}

func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	var sqls []string
	for _, q := range d.Batch.QueuedQueries {
		sqls = append(sqls, q.SQL)
	}
	r.trips = append(r.trips, sqls)
	return ctx
}

func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// take returns the round trips since the last take, each statement by its
// first word (after any leading comment), leaving out River's NOTIFY of new
// jobs: River sends it at most once per 100 ms, whatever the scan did.
func (r *roundTrips) take() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()

	var out [][]string
	for _, trip := range r.trips {
		var words []string
		for _, sql := range trip {
			if strings.Contains(sql, "pg_notify") {
				continue
			}
			words = append(words, leadingWord(sql))
		}
		if len(words) > 0 {
			out = append(out, words)
		}
	}
	r.trips = nil
	return out
}

func leadingWord(sql string) string {
	for _, line := range strings.Split(sql, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "--") {
			return firstWord(line)
		}
	}
	return ""
}

// statements counts the statements of trips.
func statements(trips [][]string) int {
	n := 0
	for _, t := range trips {
		n += len(t)
	}
	return n
}

var errRollBack = errors.New("roll back")

// scanFixture is a workspace with a sales leader and a CSM who supports
// the one customer, and a one-connection pool with a job client whose
// round trips rec records, for the scan.
type scanFixture struct {
	*pageFixture
	leader, csm uuid.UUID
	rec         *roundTrips
	recorded    *DB
}

func newScanFixture(t *testing.T) *scanFixture {
	t.Helper()
	f := &scanFixture{pageFixture: newPageFixture(t), rec: &roundTrips{}}
	for _, u := range []struct {
		id   *uuid.UUID
		role onboardiq.Role
	}{{&f.leader, onboardiq.RoleSalesLeader}, {&f.csm, onboardiq.RoleCSM}} {
		user, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: string(u.role) + "@acme.test", Name: "The " + string(u.role), Role: u.role})
		if err != nil {
			t.Fatal(err)
		}
		*u.id = user.ID
	}
	f.exec(t, `UPDATE customers SET support_member_id = $2 WHERE tenant_id = $1`, f.tenant, f.csm)

	cfg := f.db.Pool.Config() // a copy, on the same database
	cfg.ConnConfig.Tracer = f.rec
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f.recorded = poolDB(t, pool)
	f.recorded.jobs = jobs
	// Connecting (the vector types) and River's first insert (it asks the
	// server's version once) send statements of their own: before the
	// recording starts.
	err = pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		if _, err := jobs.InsertManyTx(context.Background(), tx, []river.InsertManyParams{{Args: EventArgs{TenantID: f.tenant}}}); err != nil {
			return err
		}
		return errRollBack
	})
	if err != errRollBack {
		t.Fatal(err)
	}
	f.rec.take()
	return f
}

// addProjects adds n running projects of the customer, started 40 days
// before now, in three kinds by turn: overdue by 10 days (past the
// escalation delay), at risk (due in 2 days, its open tasks running 10
// days late, the second waiting on the first), and on time (due in 60
// days). Each has a completed task, an open one due 2 days before the
// deadline and an open one starting then, due a day before it.
func (f *scanFixture) addProjects(t *testing.T, n int, now time.Time) {
	t.Helper()
	f.exec(t, `
WITH p AS (
    INSERT INTO projects (tenant_id, customer_id, name, status, start_date, deadline)
    SELECT $1, $2, 'Project ' || i, 'in_progress', $3::timestamptz - interval '40 days',
           $3::timestamptz + make_interval(days => (ARRAY[-10, 2, 60])[i % 3 + 1])
    FROM generate_series(1, $4) AS i
    RETURNING project_id, deadline, name
), kinds AS (
    SELECT project_id, deadline, (substr(name, 9)::int % 3) AS kind FROM p
), done AS (
    INSERT INTO tasks (tenant_id, project_id, description, status, position, due_at, completed_at)
    SELECT $1, project_id, 'Kickoff', 'completed', 0, $3::timestamptz - interval '30 days',
           $3::timestamptz - make_interval(days => CASE WHEN kind = 2 THEN 30 ELSE 20 END)
    FROM kinds
    RETURNING task_id
), first AS (
    INSERT INTO tasks (tenant_id, project_id, description, status, position, due_at)
    SELECT $1, project_id, 'Configure', 'in_progress', 1, deadline - interval '2 days' FROM kinds
    RETURNING task_id, project_id
), second AS (
    INSERT INTO tasks (tenant_id, project_id, description, status, position, start_at, due_at)
    SELECT $1, project_id, 'Go live', 'not_started', 2, deadline - interval '2 days', deadline - interval '1 day' FROM kinds
    RETURNING task_id, project_id
)
INSERT INTO task_dependencies (tenant_id, task_id, depends_on_task_id)
SELECT $1, s.task_id, f.task_id FROM second s JOIN first f ON f.project_id = s.project_id JOIN kinds k ON k.project_id = s.project_id
WHERE k.kind = 1
RETURNING task_id`, f.tenant, f.customer.ID, now, n)
}

// written is what a scan can write in the tenant: each project's row
// version (xmin changes with any update), and the rows of every table
// alerts add to.
func (f *scanFixture) written(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT 'project ' || name, xmin::text FROM projects WHERE tenant_id = $1`, f.tenant)
		if err != nil {
			return err
		}
		var k, v string
		if _, err := pgx.ForEachRow(rows, []any{&k, &v}, func() error { out[k] = v; return nil }); err != nil {
			return err
		}
		for _, table := range []string{"project_alerts", "notifications", "events", "deliveries"} {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE tenant_id = $1`, f.tenant).Scan(&n); err != nil {
				return err
			}
			out[table] = fmt.Sprint(n)
		}
		var jobs int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE args->>'tenant_id' = $1`, f.tenant.String()).Scan(&jobs); err != nil {
			return err
		}
		out["river_job"] = fmt.Sprint(jobs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// changed lists the keys whose values differ between two written maps.
func changed(before, after map[string]string) []string {
	var out []string
	for k := range maps.Keys(after) {
		if before[k] != after[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// TestScanSecondRunWritesNothing: the first scan of twelve projects saves
// every forecast and raises every alert (overdue to the sales leader and
// the CSM, escalated to the admin, at risk to the leader and the CSM, each
// with its email and, but the escalation, its event); a second scan at the
// same moment finds nothing changed and sends no write at all: no project
// row gets a new version, no row is added anywhere, no job is queued; nor
// does the next periodic scan, five minutes later, though the overdue
// projects' forecasts (expected now) moved with the clock. When one task's
// due date moves, the next scan rewrites that project's forecast and no
// other.
func TestScanSecondRunWritesNothing(t *testing.T) {
	t.Parallel()
	f := newScanFixture(t)
	ctx := context.Background()
	// Today at 09:00 UTC, the data made relative to it: no forecast's day
	// changes in the next five minutes, whenever the test runs.
	now := time.Now().UTC().Truncate(24 * time.Hour).Add(9 * time.Hour)
	f.addProjects(t, 12, now)

	before := f.written(t)
	first, err := f.recorded.ScanOne(ctx, f.tenant, now)
	if err != nil {
		t.Fatal(err)
	}
	f.rec.take()
	if first.Overdue != 4 || first.AtRisk != 4 {
		t.Fatalf("first scan: %d overdue, %d at risk; want 4 and 4", first.Overdue, first.AtRisk)
	}
	told := map[string]int{}
	for _, n := range first.Notifications {
		told[n.Kind+" "+n.Email+" "+n.EmailDelivery]++
	}
	want := map[string]int{
		"project_overdue sales_leader@acme.test immediate": 4, "project_overdue csm@acme.test immediate": 4,
		"project_overdue_escalated a@acme.test immediate":  4,
		"project_at_risk sales_leader@acme.test immediate": 4, "project_at_risk csm@acme.test immediate": 4,
	}
	if !maps.Equal(told, want) {
		t.Errorf("first scan notified %v, want %v", told, want)
	}
	// 12 forecasts, 20 notifications and their emails, 8 events, 2 jobs:
	// one batch of the 20 emails and one fan-out of the 8 events.
	if first.Written != 12+20+20+8+2 {
		t.Errorf("the first scan says it wrote %d rows, want 62", first.Written)
	}
	afterFirst := f.written(t)
	if got := len(changed(before, afterFirst)); got != 12+5 {
		t.Errorf("the first scan changed %v, want all 12 projects' forecasts and rows in the 5 tables", changed(before, afterFirst))
	}
	added := map[string]int{}
	for _, k := range []string{"project_alerts", "notifications", "deliveries", "events", "river_job"} {
		added[k] = atoi(afterFirst[k]) - atoi(before[k])
	}
	if want := map[string]int{"project_alerts": 12, "notifications": 20, "deliveries": 20, "events": 8, "river_job": 2}; !maps.Equal(added, want) {
		t.Errorf("the first scan added %v, want %v", added, want)
	}

	second, err := f.recorded.ScanOne(ctx, f.tenant, now)
	if err != nil {
		t.Fatal(err)
	}
	if second.Overdue != 4 || second.AtRisk != 4 || len(second.Notifications) != 0 || second.Written != 0 {
		t.Errorf("second scan: %d overdue, %d at risk, %d notifications, %d rows written; want 4, 4, 0, 0", second.Overdue, second.AtRisk, len(second.Notifications), second.Written)
	}
	if c := changed(afterFirst, f.written(t)); len(c) != 0 {
		t.Errorf("the second scan at the same moment changed %v", c)
	}
	// After the batch that reads: COMMIT, nothing else.
	trips := f.rec.take()
	for _, trip := range trips[1:] {
		for _, w := range trip {
			if w != "commit" {
				t.Errorf("the second scan sent %q in %v, after its reads %v", w, trip, trips[0])
			}
		}
	}

	// An hour on (some tasks due at now are overdue since), and the next
	// periodic scan five minutes after that: the forecasts of the projects
	// with an overdue task, expected now, moved with the clock; their day
	// did not, and nothing is written.
	hour := now.Add(time.Hour)
	if _, err := f.recorded.ScanOne(ctx, f.tenant, hour); err != nil {
		t.Fatal(err)
	}
	afterHour := f.written(t)
	later, err := f.recorded.ScanOne(ctx, f.tenant, hour.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if later.Overdue != 4 || later.AtRisk != 4 || later.Written != 0 {
		t.Errorf("scan five minutes later: %d overdue, %d at risk, %d rows written; want 4, 4, 0", later.Overdue, later.AtRisk, later.Written)
	}
	if c := changed(afterHour, f.written(t)); len(c) != 0 {
		t.Errorf("the scan five minutes later changed %v", c)
	}
	f.rec.take()

	// One open task is now due later: its project's forecast moves, and
	// only that row is written.
	// (The new date is computed here: Citus refuses timestamptz + interval
	// over a column in an UPDATE.)
	var due time.Time
	f.scalar(t, &due, `SELECT t.due_at FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
WHERE t.tenant_id = $1 AND t.description = 'Configure' AND p.name = 'Project 2'`, f.tenant)
	f.exec(t, `UPDATE tasks t SET due_at = $2 FROM projects p
WHERE t.tenant_id = $1 AND p.tenant_id = $1 AND p.project_id = t.project_id AND t.description = 'Configure' AND p.name = 'Project 2'`, f.tenant, due.AddDate(0, 0, 5))
	afterSecond := f.written(t)
	if _, err := f.recorded.ScanOne(ctx, f.tenant, hour.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c := changed(afterSecond, f.written(t)); !slices.Equal(c, []string{"project Project 2"}) {
		t.Errorf("after moving one task the scan changed %v, want only Project 2", c)
	}
}

// TestScanStatementsDoNotGrowWithProjects: a tenant's scan sends the same
// statements in the same round trips with 3 projects as with 60, on its
// first run (which writes forecasts and raises alerts) and on its second
// (which finds nothing to write): one batch that reads, one that writes,
// one insert of the jobs, COMMIT — and only the first and the last when
// nothing changed.
func TestScanStatementsDoNotGrowWithProjects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now().UTC()
	var firsts, seconds [][][]string
	for _, n := range []int{3, 60} {
		f := newScanFixture(t)
		f.addProjects(t, n, now)
		for _, runs := range []*[][][]string{&firsts, &seconds} {
			r, err := f.recorded.ScanOne(ctx, f.tenant, now)
			if err != nil {
				t.Fatal(err)
			}
			trips := f.rec.take()
			t.Logf("%d projects: %d notifications; %d round trips, %d statements: %v", n, len(r.Notifications), len(trips), statements(trips), trips)
			if r.Statements != statements(trips) {
				t.Errorf("%d projects: the scan counted %d statements, it sent %d", n, r.Statements, statements(trips))
			}
			*runs = append(*runs, trips)
		}
	}
	for _, runs := range []struct {
		name  string
		trips [][][]string
		most  int
	}{{"first", firsts, 4}, {"second", seconds, 2}} {
		small, large := runs.trips[0], runs.trips[1]
		if !slices.EqualFunc(small, large, slices.Equal) {
			t.Errorf("%s scan: 3 projects sent %v, 60 sent %v; want the same", runs.name, small, large)
		}
		if len(large) > runs.most || statements(large) > 12 {
			t.Errorf("%s scan: %d round trips, %d statements; want at most %d round trips, 12 statements", runs.name, len(large), statements(large), runs.most)
		}
	}
}

// TestScanBuffersHoldNothingOver: a tenant's scan reads into buffers that
// the last tenant's scan grew (scanBufferPool). The facts of a small
// tenant with no forecast stored yet, read after a larger tenant whose
// projects have forecasts, alerts and chained tasks, are the facts read
// into new buffers: nothing of the larger tenant is left in them.
func TestScanBuffersHoldNothingOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now().UTC()
	large, small := newScanFixture(t), newScanFixture(t)
	large.addProjects(t, 30, now)
	small.addProjects(t, 2, now)
	if _, err := large.db.ScanOne(ctx, large.tenant, now); err != nil { // forecasts and alerts stored
		t.Fatal(err)
	}
	read := func(f *scanFixture, buf *scanBuffers) *scanFacts {
		t.Helper()
		var facts *scanFacts
		err := f.db.InTenantReadOnly(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
			var err error
			facts, err = readScanFacts(ctx, tx, now, buf)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return facts
	}
	used := scanBufferPool.New().(*scanBuffers)
	before := read(large, used)
	if len(before.projects) != 30 || len(before.raised) == 0 || !before.projects[0].finish.Valid {
		t.Fatalf("the large tenant: %d projects, %d alerts raised, a forecast stored %v; want 30, some, true",
			len(before.projects), len(before.raised), before.projects[0].finish.Valid)
	}
	got := read(small, used)
	want := read(small, scanBufferPool.New().(*scanBuffers))
	if len(want.projects) != 2 || want.projects[0].finish.Valid {
		t.Fatalf("the small tenant: %d projects, a forecast stored %v; want 2, none", len(want.projects), want.projects[0].finish.Valid)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read into used buffers:\n%+v\nwant, as into new ones:\n%+v", got, want)
	}
}
