package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	forecastpkg "github.com/onboardiq/onboardiq/internal/forecast"
	"github.com/onboardiq/onboardiq/internal/notify/wording"

	"github.com/onboardiq/onboardiq"
)

// ScanArgs is the periodic delay scan: it enqueues one ScanTenantArgs per
// tenant.
type ScanArgs struct{}

// Kind is River's name for the job.
func (ScanArgs) Kind() string { return "delay_scan" }

// ScanTenantArgs is the delay scan of one tenant: it fails, and is
// retried, on its own.
type ScanTenantArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind is River's name for the job.
func (ScanTenantArgs) Kind() string { return "delay_scan_tenant" }

// ScanResult is what one scan of one tenant did.
type ScanResult struct {
	TenantID      uuid.UUID  `json:"tenant_id"`
	Overdue       int        `json:"overdue_projects"`
	AtRisk        int        `json:"at_risk_projects"`
	Notifications []Notified `json:"notifications"`
	// What the scan cost and wrote (for the bench): the statements it sent,
	// BEGIN, SET LOCAL and COMMIT included and River's insert of the jobs
	// counted as one; and the rows it wrote: forecasts, notifications,
	// their email deliveries, events, jobs, usage events pruned.
	Statements int   `json:"statements"`
	Written    int64 `json:"rows_written"`
}

// openProject is an open project, as the scan sees it.
type openProject struct {
	id, customerID   uuid.UUID
	name, customer   string
	start            time.Time
	deadline         time.Time
	heldDays         int
	supportMember    pgtype.UUID
	completed, total int
	avgLateDays      float64
	progress         float64
	// The forecast stored by the last scan that changed it.
	finish pgtype.Timestamptz
	atRisk bool
	reason pgtype.Text
	// open is the project's open tasks, for the forecast.
	open []forecastpkg.Task
}

// alertKey names an alert raised already: project, kind and dedupe.
type alertKey struct {
	project      uuid.UUID
	kind, dedupe string
}

// scanFacts is everything one tenant's scan reads, in one round trip.
type scanFacts struct {
	settings onboardiq.NotificationSettings
	projects []openProject
	holidays []onboardiq.Holiday
	leaders  []uuid.UUID
	admins   []uuid.UUID
	raised   map[alertKey]bool
	// statements is how many the round trip sent (BEGIN and SET LOCAL
	// included); prune says the tenant has usage past its retention.
	statements int
	prune      bool
}

// scanTenant looks at every running project with a deadline in the tenant
// tx runs in (not completed, on hold or cancelled: those raise no alerts
// and get no forecast): a project past its deadline alerts the sales
// leaders and the customer's support member (and, after the escalation
// delay, the admins);
// a project whose forecast passes its deadline alerts them that it is at
// risk. Each alert happens once per project, kind and deadline, so moving
// the deadline re-arms it and concurrent scans cannot double it. It also
// prunes the tenant's usage older than its retention.
//
// Its cost does not grow with the tenant's projects in statements: one
// batch reads every fact (readScanFacts), the forecasts are computed in
// Go, and when anything changed one more batch writes it — the forecasts
// that moved, in one UPDATE; the alerts not raised before, in one
// statement for all projects and recipients (queueAlerts); the usage past
// its retention — after which one insert queues the alerts' jobs. A scan
// that finds nothing changed sends the read batch and COMMIT, and writes
// no row.
func scanTenant(ctx context.Context, tx *Tx, now time.Time) (*ScanResult, error) {
	res := &ScanResult{TenantID: tx.TenantID(), Notifications: []Notified{}}
	buf := scanBufferPool.Get().(*scanBuffers)
	defer scanBufferPool.Put(buf)
	f, err := readScanFacts(ctx, tx, now, buf)
	if err != nil {
		return nil, err
	}
	res.Statements = f.statements
	cal := calendarOf(f.holidays)
	var (
		alerts                                 []Alert
		saveIDs, saveFinish, saveRisk, saveWhy = []uuid.UUID{}, []time.Time{}, []bool{}, []*string{}
	)
	for i := range f.projects {
		p := &f.projects[i]
		r, forecast := forecastpkg.Of(forecastpkg.Project{Start: p.start, Deadline: p.deadline, HeldDays: p.heldDays, Completed: p.completed,
			AvgLateDays: p.avgLateDays, Open: p.open, Calendar: cal}, now)
		if forecast && p.forecastChanged(r) {
			saveIDs, saveFinish, saveRisk = append(saveIDs, p.id), append(saveFinish, r.Finish), append(saveRisk, r.AtRisk)
			saveWhy = append(saveWhy, nullIfEmpty(r.Reason))
		}
		deadline := p.deadline.UTC().Format(time.RFC3339)
		raise := func(kind string) bool { return !f.raised[alertKey{p.id, kind, deadline}] }
		recipients := func() []uuid.UUID {
			out := append([]uuid.UUID{}, f.leaders...)
			if p.supportMember.Valid {
				out = append(out, p.supportMember.Bytes)
			}
			return out
		}
		data := func() map[string]any {
			return map[string]any{"project": map[string]any{"id": p.id, "name": p.name, "deadline": deadline, "progress": p.progress,
				"customer": map[string]any{"id": p.customerID, "name": p.customer}}}
		}
		words := wording.Project{Name: p.name, Customer: p.customer, Deadline: p.deadline, Progress: p.progress}
		switch {
		case p.deadline.Before(now):
			res.Overdue++
			if raise(KindProjectOverdue) {
				msg := wording.Overdue(words)
				alerts = append(alerts, Alert{ProjectID: p.id, Kind: KindProjectOverdue, Dedupe: deadline, Title: msg.Title, Body: msg.Body,
					Recipients: recipients(), Event: &onboardiq.Event{Kind: onboardiq.EventProjectOverdue, CustomerID: new(p.customerID), Data: data()}})
			}
			if now.Sub(p.deadline) >= time.Duration(f.settings.EscalateAfterDays)*24*time.Hour && raise(KindOverdueEscalated) {
				msg := wording.OverdueEscalated(words, now)
				alerts = append(alerts, Alert{ProjectID: p.id, Kind: KindOverdueEscalated, Dedupe: deadline, Title: msg.Title, Body: msg.Body,
					Recipients: f.admins})
			}
		case forecast && r.AtRisk:
			res.AtRisk++
			if raise(KindProjectAtRisk) {
				d := data()
				d["reason"], d["forecast_finish"] = r.Reason, r.Finish.UTC().Format(time.RFC3339)
				msg := wording.AtRisk(words, r.Reason)
				alerts = append(alerts, Alert{ProjectID: p.id, Kind: KindProjectAtRisk, Dedupe: deadline, Title: msg.Title, Body: msg.Body, Reason: r.Reason,
					Recipients: recipients(), Event: &onboardiq.Event{Kind: onboardiq.EventProjectAtRisk, CustomerID: new(p.customerID), Data: d}})
			}
		}
	}

	b := &pgx.Batch{}
	if len(saveIDs) > 0 {
		// IS DISTINCT FROM keeps a concurrent scan that saved the same
		// forecast first from writing it again.
		b.Queue(`
UPDATE projects p SET forecast_finish = f.finish, at_risk = f.at_risk, risk_reason = f.reason, forecast_at = $6
FROM unnest($2::uuid[], $3::timestamptz[], $4::boolean[], $5::text[]) AS f (project_id, finish, at_risk, reason)
WHERE p.tenant_id = $1 AND p.project_id = f.project_id
  AND (p.forecast_finish, p.at_risk, p.risk_reason) IS DISTINCT FROM (f.finish, f.at_risk, f.reason)`,
			tx.TenantID(), saveIDs, saveFinish, saveRisk, saveWhy, now).Exec(func(tag pgconn.CommandTag) error {
			res.Written += tag.RowsAffected()
			return nil
		})
	}
	var raised *alertBatch
	if len(alerts) > 0 {
		since := now.Add(-time.Duration(f.settings.CooldownHours) * time.Hour)
		raised = queueAlerts(ctx, b, tx, alerts, since)
	}
	var pruned *int64
	if f.prune { // usage older than the tenant's retention (usage.go)
		pruned = queuePruneUsage(b, tx.TenantID(), now)
	}
	if len(b.QueuedQueries) > 0 { // a scan that finds nothing changed writes nothing
		res.Statements += len(b.QueuedQueries)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
	}
	if pruned != nil {
		res.Written += *pruned
	}
	if raised != nil {
		n, jobs, err := raised.finish(ctx, tx, f.settings, now)
		if err != nil {
			return nil, err
		}
		res.Notifications = append(res.Notifications, n...)
		res.Written += int64(len(n) + raised.deliveries() + len(raised.events) + jobs)
		if jobs > 0 {
			res.Statements++
		}
	}
	return res, nil
}

// forecastChanged reports whether r says something other than the
// forecast p has stored: another finishing day (in UTC, as the exports
// show it, or in the server's zone, as the pages do), whether the project
// is at risk, or why. The finish moves with the clock — an overdue task is
// expected now — so a comparison to the microsecond rewrote every such
// project's forecast at every scan, five minutes apart, with nothing
// changed (TestScanSecondRunWritesNothing); now it is written again when
// its day changes.
func (p *openProject) forecastChanged(r forecastpkg.Result) bool {
	return !p.finish.Valid || !sameDay(p.finish.Time, r.Finish) || p.atRisk != r.AtRisk || p.reason.Valid != (r.Reason != "") ||
		p.reason.String != r.Reason
}

// sameDay reports whether a and b fall on the same day, both in UTC and
// in the server's zone.
func sameDay(a, b time.Time) bool {
	for _, z := range []*time.Location{time.UTC, time.Local} {
		ay, am, ad := a.In(z).Date()
		by, bm, bd := b.In(z).Date()
		if ay != by || am != bm || ad != bd {
			return false
		}
	}
	return true
}

// The statements of the scan's read batch (readScanFacts), $1 the tenant.
// They read each table by the tenant's index: with noSeqScan, whatever
// plan a connection cached for them (TestScanReadsByIndex).
const (
	// The tenant's facts, in one row: its settings; who the alerts go to;
	// its holidays; how late each template task ran, on average, in its
	// projects the scan does not look at (numeric, so the same rows give
	// the same average); its dependencies; and whether it has usage past
	// its retention as of $2.
	scanTenantSQL = `
SELECT ` + settingsColumns + `,
       ARRAY(SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = 'sales_leader' AND disabled_at IS NULL),
       ARRAY(SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = 'admin' AND disabled_at IS NULL),
       ARRAY(SELECT to_char(day, 'YYYY-MM-DD') FROM tenant_holidays WHERE tenant_id = $1 ORDER BY day),
       h.templates, h.late, d.tasks, d.predecessors,
       ` + usagePastRetentionSQL + `
FROM tenants t
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(template_task_id ORDER BY template_task_id), '{}'), coalesce(array_agg(late ORDER BY template_task_id), '{}')
    FROM (
        SELECT k.template_task_id, avg(extract(epoch FROM k.completed_at - k.due_at) / 86400)::float8 AS late
        FROM tasks k
        JOIN projects p ON p.tenant_id = k.tenant_id AND p.project_id = k.project_id
        WHERE k.tenant_id = $1 AND k.status = 'completed' AND k.template_task_id IS NOT NULL AND k.due_at IS NOT NULL
          AND NOT (p.deadline IS NOT NULL AND p.status NOT IN ('completed', 'on_hold', 'cancelled'))
        GROUP BY k.template_task_id
    ) history
) h (templates, late)
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(task_id ORDER BY task_id, depends_on_task_id), '{}'),
           coalesce(array_agg(depends_on_task_id ORDER BY task_id, depends_on_task_id), '{}')
    FROM task_dependencies WHERE tenant_id = $1
) d (tasks, predecessors)
WHERE t.tenant_id = $1`
	// The projects, each with the alerts raised for it (kind and dedupe).
	// The tenant's alerts are read in one pass of their index and joined
	// by hash: 0.31 ms for the bench's tenants, against 0.39 ms with a
	// lookup for each running project. The two break even where the
	// tenant's alerts (its closed projects' included) outnumber its
	// running projects about threefold (docs/performance.md). The progress comes as float8, which pgx
	// reads without the decimal's arithmetic.
	scanProjectsSQL = `
SELECT p.project_id, p.customer_id, p.name, c.name, p.start_date, p.deadline, p.held_days, c.support_member_id, p.progress::float8,
       p.forecast_finish, p.at_risk, p.risk_reason, coalesce(a.raised, '{}')
FROM projects p
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
LEFT JOIN (
    SELECT project_id, array_agg(kind || ' ' || dedupe) AS raised FROM project_alerts WHERE tenant_id = $1 GROUP BY project_id
) a ON a.project_id = p.project_id
WHERE p.tenant_id = $1 AND p.deadline IS NOT NULL AND p.status NOT IN ('completed', 'on_hold', 'cancelled')
ORDER BY p.deadline, p.project_id`
	// Their tasks but the cancelled: the completed ones for the counts and
	// the lateness, the open ones for the forecast.
	scanTasksSQL = `
SELECT t.project_id, t.task_id, t.status = 'completed', t.due_at, t.completed_at,
       CASE WHEN t.status <> 'completed' THEN t.description END, t.start_at, t.template_task_id, coalesce(u.role = 'customer', false)
FROM tasks t
JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
LEFT JOIN tenant_users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to
WHERE t.tenant_id = $1 AND t.status <> 'cancelled'
  AND p.deadline IS NOT NULL AND p.status NOT IN ('completed', 'on_hold', 'cancelled')`
)

// noSeqScan keeps the planner to indexes for the rest of the scan's
// transaction. Every statement of the scan reads a tenant's rows by an
// index that leads with tenant_id, and each has its plan cached per
// connection: a plan made while a table was empty (where a sequential scan
// of nothing is cheapest) would otherwise stay in use as the table grows —
// the projects' alerts read from project_alerts, the cooldown check from
// notifications — and every tenant's scan would read the whole table, for
// every project or recipient: a first scan over many tenants slows down as
// it goes, quadratically.
//
// And no JIT compilation: a sequential scan that has no alternative (a
// table with no index to use) carries the planner's penalty for disabled
// scans, which puts a statement far above JIT's thresholds, and compiling
// takes longer than any of these statements runs.
const noSeqScan = `SET LOCAL enable_seqscan = off`

const noJIT = `SET LOCAL jit = off`

// readScanFacts reads, in one round trip (with BEGIN and the tenant's SET
// LOCAL in front) of five statements (the two settings, then three
// reads), everything the scan of the tenant tx runs in needs: the tenant's row of facts (scanTenantSQL: its settings,
// who the alerts go to, its holidays, how late each template task ran in
// its other projects, its dependencies, whether it has usage past its
// retention as of now); the running projects with a deadline, their stored
// forecasts and the alerts raised for them; their tasks. Each table is
// read once, by the tenant's index: the projects' counts and lateness and
// the dependencies between open tasks are worked out here, from the rows.
func readScanFacts(ctx context.Context, tx *Tx, now time.Time, buf *scanBuffers) (*scanFacts, error) {
	f := &scanFacts{raised: map[alertKey]bool{}, projects: buf.projects[:0]}
	t := tx.TenantID()
	var (
		edges   [][2]uuid.UUID            // task, predecessor
		history = map[[16]byte]*float64{} // template task → how late it ran elsewhere, in days
		tasks   = buf.tasks[:0]
	)
	defer func() { buf.projects, buf.tasks = f.projects, tasks }()
	b := &pgx.Batch{}
	b.Queue(noSeqScan)
	b.Queue(noJIT)
	b.Queue(scanTenantSQL, t, now).QueryRow(func(r pgx.Row) error {
		var (
			holidays            []string
			templates           [][16]byte
			late                []float64
			tasks, predecessors [][16]byte
			err                 error
		)
		f.settings, err = scanSettings(r, &f.leaders, &f.admins, &holidays, &templates, &late, &tasks, &predecessors, &f.prune)
		if err != nil {
			return err
		}
		for _, d := range holidays {
			f.holidays = append(f.holidays, onboardiq.Holiday{Day: d})
		}
		for i, id := range templates {
			history[uuid.UUID(id)] = &late[i]
		}
		for i := range tasks {
			edges = append(edges, [2]uuid.UUID{uuid.UUID(tasks[i]), uuid.UUID(predecessors[i])})
		}
		return nil
	})
	// The scan asks to raise only the alerts not raised before (the key
	// still decides, against a concurrent scan). Each row is read into one
	// value whose fields the destinations point at, made once, then
	// copied: a scan reads thousands, and a destination list made for
	// each row is an allocation for each.
	b.Queue(scanProjectsSQL, t).Query(func(rows pgx.Rows) error {
		var (
			p      openProject
			raised []string
			dest   = []any{raw(&p.id), raw(&p.customerID), &p.name, &p.customer, &p.start, &p.deadline, &p.heldDays, &p.supportMember, &p.progress,
				&p.finish, &p.atRisk, &p.reason, &raised}
		)
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			f.projects = append(f.projects, p)
			for _, r := range raised {
				kind, dedupe, _ := strings.Cut(r, " ")
				f.raised[alertKey{p.id, kind, dedupe}] = true
			}
		}
		return rows.Err()
	})
	b.Queue(scanTasksSQL, t).Query(func(rows pgx.Rows) error {
		var x scannedTask
		dest := []any{raw(&x.project), raw(&x.id), &x.completed, &x.due, &x.completedAt, &x.name, &x.start, &x.template, &x.byCustomer}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			tasks = append(tasks, x)
		}
		return rows.Err()
	})
	f.statements = 2 + len(b.QueuedQueries)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}

	// Each project's counts and lateness, and how many open tasks it has;
	// then its open tasks, in one array for all the projects.
	project := buf.project
	clear(project)
	for i := range f.projects {
		project[f.projects[i].id] = i
	}
	late := make([]lateness, len(f.projects))
	opens := 0
	for i := range tasks {
		x := &tasks[i]
		pi, ok := project[x.project]
		if !ok { // a project that became open after the projects were read
			x.project = uuid.Nil
			continue
		}
		l := &late[pi]
		l.total++
		if !x.completed {
			l.open++
			opens++
			continue
		}
		l.completed++
		if x.due.Valid && x.completedAt.Valid {
			l.dated++
			l.micros += max(0, x.completedAt.Time.Sub(x.due.Time).Microseconds())
		}
	}
	open := slices.Grow(buf.open[:0], opens)
	buf.open = open
	for i := range f.projects {
		p, l := &f.projects[i], &late[i]
		p.completed, p.total = l.completed, l.total
		if l.dated > 0 {
			p.avgLateDays = float64(l.micros) / float64(l.dated) / float64(24*time.Hour/time.Microsecond)
		}
		p.open, open = open[len(open):len(open):len(open)+l.open], open[:len(open)+l.open]
	}
	where := buf.where // open task → its place in its project's open
	clear(where)
	for i := range tasks {
		x := &tasks[i]
		if x.completed || x.project == uuid.Nil {
			continue
		}
		task := forecastpkg.Task{Name: x.name.String, ByCustomer: x.byCustomer}
		if x.start.Valid {
			task.Start = &x.start.Time
		}
		if x.due.Valid {
			task.Due = &x.due.Time
		}
		if x.template.Valid {
			task.HistoryLateDays = history[x.template.Bytes]
		}
		pi := project[x.project]
		p := &f.projects[pi]
		where[x.id] = place{pi, len(p.open)}
		p.open = append(p.open, task)
	}
	for _, e := range edges {
		t, okT := where[e[0]]
		pre, okPre := where[e[1]]
		if okT && okPre && t.project == pre.project { // the same project always, unless the store's rule was broken
			tasks := f.projects[t.project].open
			tasks[t.index].DependsOn = append(tasks[t.index].DependsOn, pre.index)
		}
	}
	return f, nil
}

// scanBuffers are what a tenant's scan reads its rows into, kept for the
// next tenant's: a scan over 10,000 tenants would otherwise allocate them
// 10,000 times, and most of its Go time would go to collecting them. They
// hold nothing once the scan is done: what it returns is copied out.
type scanBuffers struct {
	projects []openProject
	tasks    []scannedTask
	open     []forecastpkg.Task
	project  map[uuid.UUID]int   // project → its place in projects
	where    map[uuid.UUID]place // open task → its place in its project's open tasks
}

type place struct{ project, index int }

var scanBufferPool = sync.Pool{New: func() any {
	return &scanBuffers{project: map[uuid.UUID]int{}, where: map[uuid.UUID]place{}}
}}

// raw lets pgx read a uuid straight into id's bytes: uuid.UUID is an
// sql.Scanner, which pgx would feed a string to parse, the slow way for the
// thousands of ids a scan reads.
func raw(id *uuid.UUID) *[16]byte { return (*[16]byte)(id) }

// scannedTask is a task of a project the scan looks at, as read: values,
// not pointers, so that reading one allocates nothing but its name.
type scannedTask struct {
	project, id           uuid.UUID
	completed, byCustomer bool
	due, completedAt      pgtype.Timestamptz
	start                 pgtype.Timestamptz
	name                  pgtype.Text
	template              pgtype.UUID
}

// lateness sums a project's tasks: how many, how many completed (and
// open), and how late the completed ones with a due date ran (early counts as zero), in
// whole microseconds so that the same tasks give the same average in any
// order.
type lateness struct {
	total, completed, dated, open int
	micros                        int64
}

func usersWithRole(ctx context.Context, tx *Tx, role string) ([]uuid.UUID, error) {
	rows, err := tx.Query(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = $2 AND disabled_at IS NULL`, tx.TenantID(), role)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// tenantPage is how many tenant ids WalkTenants reads at a time.
const tenantPage = 1000

// WalkTenants calls fn with every tenant's id, a page of at most 1,000 at a
// time in id order, through the reviewed tenant_ids_after() (migration
// 00033): like AllTenantIDs, but what it holds does not grow with the
// number of tenants. A tenant created during the walk may be missed, one
// deleted may still be named: the work on each runs in its own transaction
// and finds what is there.
func (db *DB) WalkTenants(ctx context.Context, fn func(ids []uuid.UUID) error) error {
	after := uuid.Nil
	for {
		rows, err := db.Pool.Query(ctx, `SELECT tenant_ids_after($1, $2)`, after, tenantPage)
		if err != nil {
			return unavailable(fmt.Errorf("list tenants: %w", err))
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return unavailable(fmt.Errorf("list tenants: %w", err))
		}
		if len(ids) > 0 {
			if err := fn(ids); err != nil {
				return err
			}
		}
		if len(ids) < tenantPage {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// maxScanErrors bounds the tenants' errors ScanAll keeps: the rest are
// counted.
const maxScanErrors = 20

// ScanAll runs the delay scan over every tenant, each in its own
// transaction (ScanOne), parallel tenants at a time (at least one), and
// hands each tenant's result to each as it comes: one call at a time, in no
// set order. It walks the tenants a page at a time (WalkTenants) and keeps
// no result, so its memory is bounded by the tenants in flight whatever the
// size of the database. A tenant that fails is reported in the joined
// error and never stops the others; an error from each stops the walk and
// is returned.
func (db *DB) ScanAll(ctx context.Context, now time.Time, parallel int, each func(*ScanResult) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		failed int
		stop   error
		ids    = make(chan uuid.UUID)
	)
	for range max(parallel, 1) {
		wg.Go(func() {
			for id := range ids {
				r, err := db.ScanOne(ctx, id, now)
				mu.Lock()
				switch {
				case stop != nil:
				case err != nil:
					if failed++; failed <= maxScanErrors {
						errs = append(errs, err)
					}
				default:
					if stop = each(r); stop != nil {
						cancel()
					}
				}
				mu.Unlock()
			}
		})
	}
	walkErr := db.WalkTenants(ctx, func(page []uuid.UUID) error {
		for _, id := range page {
			select {
			case ids <- id:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	close(ids)
	wg.Wait()
	if stop != nil {
		return stop
	}
	if failed > maxScanErrors {
		errs = append(errs, fmt.Errorf("and %d more tenants failed", failed-maxScanErrors))
	}
	return errors.Join(append(errs, walkErr)...)
}

// Scan runs the delay scan over every tenant, one at a time, and returns
// every tenant's result: ScanAll, collected, for small databases and
// tests. A tenant that fails is reported in the joined error and never
// stops the others.
func (db *DB) Scan(ctx context.Context, now time.Time) ([]*ScanResult, error) {
	var out []*ScanResult
	err := db.ScanAll(ctx, now, 1, func(r *ScanResult) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// ScanOne runs the delay scan of one tenant.
func (db *DB) ScanOne(ctx context.Context, tenant uuid.UUID, now time.Time) (*ScanResult, error) {
	var r *ScanResult
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		r, err = scanTenant(ctx, tx, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("scan tenant %s: %w", tenant, err)
	}
	r.Statements++ // COMMIT
	return r, nil
}
