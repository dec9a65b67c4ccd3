package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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
}

// openProject is an open project, as the scan sees it.
type openProject struct {
	id, customerID   uuid.UUID
	name, customer   string
	start            time.Time
	deadline         time.Time
	heldDays         int
	supportMember    *uuid.UUID
	completed, total int
	avgLateDays      float64
	progress         float64
}

// scanTenant looks at every running project with a deadline in the tenant
// tx runs in (not completed, on hold or cancelled: those raise no alerts
// and get no forecast): a project past its deadline alerts the sales
// leaders and the customer's support member (and, after the escalation
// delay, the admins);
// a project whose forecast passes its deadline alerts them that it is at
// risk. Each alert happens once per project, kind and deadline, so moving
// the deadline re-arms it and concurrent scans cannot double it.
func scanTenant(ctx context.Context, tx *Tx, now time.Time) (*ScanResult, error) {
	res := &ScanResult{TenantID: tx.TenantID(), Notifications: []Notified{}}
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `
SELECT p.project_id, p.customer_id, p.name, c.name, p.start_date, p.deadline, p.held_days, c.support_member_id, p.progress,
       count(t.task_id) FILTER (WHERE t.status = 'completed'),
       count(t.task_id) FILTER (WHERE t.status <> 'cancelled'),
       coalesce(avg(greatest(0, extract(epoch FROM t.completed_at - t.due_at) / 86400)) FILTER (WHERE t.status = 'completed' AND t.due_at IS NOT NULL), 0)
FROM projects p
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
LEFT JOIN tasks t ON t.tenant_id = p.tenant_id AND t.project_id = p.project_id
WHERE p.tenant_id = $1 AND p.deadline IS NOT NULL AND p.status NOT IN ('completed', 'on_hold', 'cancelled')
GROUP BY p.tenant_id, p.project_id, c.name, c.support_member_id
ORDER BY p.deadline`, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	projects, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (openProject, error) {
		var p openProject
		err := r.Scan(&p.id, &p.customerID, &p.name, &p.customer, &p.start, &p.deadline, &p.heldDays, &p.supportMember, &p.progress, &p.completed, &p.total, &p.avgLateDays)
		return p, err
	})
	if err != nil {
		return nil, err
	}
	if len(projects) == 0 {
		return res, nil
	}
	leaders, err := usersWithRole(ctx, tx, "sales_leader")
	if err != nil {
		return nil, err
	}
	admins, err := usersWithRole(ctx, tx, "admin")
	if err != nil {
		return nil, err
	}
	forecasts, err := forecast(ctx, tx, projects, now)
	if err != nil {
		return nil, err
	}
	for _, p := range projects {
		recipients := append([]uuid.UUID{}, leaders...)
		if p.supportMember != nil {
			recipients = append(recipients, *p.supportMember)
		}
		deadline := p.deadline.UTC().Format(time.RFC3339)
		data := map[string]any{"project": map[string]any{"id": p.id, "name": p.name, "deadline": deadline, "progress": p.progress,
			"customer": map[string]any{"id": p.customerID, "name": p.customer}}}
		projectEvent := func(kind onboardiq.EventKind) *onboardiq.Event {
			return &onboardiq.Event{Kind: kind, CustomerID: &p.customerID, ProjectID: &p.id, Data: data}
		}
		var notified []Notified
		words := wording.Project{Name: p.name, Customer: p.customer, Deadline: p.deadline, Progress: p.progress}
		if p.deadline.Before(now) {
			res.Overdue++
			late := now.Sub(p.deadline)
			msg := wording.Overdue(words)
			n, err := raiseAlert(ctx, tx, Alert{ProjectID: p.id, Kind: KindProjectOverdue, Dedupe: deadline, Title: msg.Title, Body: msg.Body,
				Recipients: recipients, Event: projectEvent(onboardiq.EventProjectOverdue)}, now)

			if err != nil {
				return nil, err
			}
			notified = append(notified, n...)
			if late >= time.Duration(settings.EscalateAfterDays)*24*time.Hour {
				msg := wording.OverdueEscalated(words, now)
				n, err := raiseAlert(ctx, tx, Alert{ProjectID: p.id, Kind: KindOverdueEscalated, Dedupe: deadline, Title: msg.Title, Body: msg.Body,
					Recipients: admins}, now)

				if err != nil {
					return nil, err
				}
				notified = append(notified, n...)
			}
		} else if f := forecasts[p.id]; f.AtRisk {
			res.AtRisk++
			data["reason"], data["forecast_finish"] = f.Reason, f.Finish.UTC().Format(time.RFC3339)
			msg := wording.AtRisk(words, f.Reason)
			n, err := raiseAlert(ctx, tx, Alert{ProjectID: p.id, Kind: KindProjectAtRisk, Dedupe: deadline, Title: msg.Title, Body: msg.Body, Reason: f.Reason,
				Recipients: recipients, Event: projectEvent(onboardiq.EventProjectAtRisk)}, now)

			if err != nil {
				return nil, err
			}
			notified = append(notified, n...)
		}
		res.Notifications = append(res.Notifications, notified...)
	}
	return res, nil
}

func usersWithRole(ctx context.Context, tx *Tx, role string) ([]uuid.UUID, error) {
	rows, err := tx.Query(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = $2 AND disabled_at IS NULL`, tx.TenantID(), role)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// forecast gathers the facts of each project's forecast in one round trip
// (the open tasks, the dependencies between them, the tenant's holidays),
// forecasts them (internal/forecast), and saves the results in one
// statement.
func forecast(ctx context.Context, tx *Tx, projects []openProject, now time.Time) (map[uuid.UUID]forecastpkg.Result, error) {
	ids := make([]uuid.UUID, len(projects))
	for i, p := range projects {
		ids[i] = p.id
	}
	open := map[uuid.UUID][]forecastpkg.Task{}
	type place struct {
		project uuid.UUID
		index   int
	}
	where := map[uuid.UUID]place{} // open task → its place in open
	var (
		edges    [][2]uuid.UUID // task, predecessor: both open
		holidays []onboardiq.Holiday
	)
	b := &pgx.Batch{}
	b.Queue(`
WITH history AS (
    SELECT template_task_id, avg(extract(epoch FROM completed_at - due_at) / 86400) AS late
    FROM tasks
    WHERE tenant_id = $1 AND status = 'completed' AND template_task_id IS NOT NULL AND due_at IS NOT NULL AND NOT (project_id = ANY ($2))
    GROUP BY template_task_id
)
SELECT t.project_id, t.task_id, t.description, t.start_at, t.due_at, h.late, coalesce(u.role = 'customer', false)
FROM tasks t
LEFT JOIN history h ON h.template_task_id = t.template_task_id
LEFT JOIN tenant_users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to
WHERE t.tenant_id = $1 AND t.project_id = ANY ($2) AND t.status NOT IN ('completed', 'cancelled')`, tx.TenantID(), ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id, task uuid.UUID
			var t forecastpkg.Task
			if err := rows.Scan(&id, &task, &t.Name, &t.Start, &t.Due, &t.HistoryLateDays, &t.ByCustomer); err != nil {
				return err
			}
			where[task] = place{id, len(open[id])}
			open[id] = append(open[id], t)
		}
		return rows.Err()
	})
	// The dependencies between open tasks of these projects: finished
	// predecessors hold nothing up.
	b.Queue(`
SELECT d.task_id, d.depends_on_task_id
FROM task_dependencies d
JOIN tasks t ON t.tenant_id = d.tenant_id AND t.task_id = d.task_id
JOIN tasks pre ON pre.tenant_id = d.tenant_id AND pre.task_id = d.depends_on_task_id
WHERE d.tenant_id = $1 AND t.project_id = ANY ($2)
  AND t.status NOT IN ('completed', 'cancelled') AND pre.status NOT IN ('completed', 'cancelled')`, tx.TenantID(), ids).Query(func(rows pgx.Rows) error {
		var e [2]uuid.UUID
		_, err := pgx.ForEachRow(rows, []any{&e[0], &e[1]}, func() error { edges = append(edges, e); return nil })
		return err
	})
	b.Queue(holidaysQuery, tx.TenantID()).Query(func(rows pgx.Rows) (err error) {
		holidays, err = scanHolidays(rows)
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	for _, e := range edges {
		t, pre := where[e[0]], where[e[1]]
		if t.project == pre.project { // always, unless the store's rule was broken
			tasks := open[t.project]
			tasks[t.index].DependsOn = append(tasks[t.index].DependsOn, pre.index)
		}
	}
	cal := calendarOf(holidays)
	out := map[uuid.UUID]forecastpkg.Result{}
	var (
		saveIDs, saveFinish = []uuid.UUID{}, []time.Time{}
		saveRisk, saveWhy   = []bool{}, []*string{}
	)
	for _, p := range projects {
		r, ok := forecastpkg.Of(forecastpkg.Project{Start: p.start, Deadline: p.deadline, HeldDays: p.heldDays, Completed: p.completed,
			AvgLateDays: p.avgLateDays, Open: open[p.id], Calendar: cal}, now)
		if !ok {
			continue
		}
		out[p.id] = r
		saveIDs, saveFinish, saveRisk = append(saveIDs, p.id), append(saveFinish, r.Finish), append(saveRisk, r.AtRisk)
		saveWhy = append(saveWhy, nullIfEmpty(r.Reason))
	}
	if len(saveIDs) == 0 {
		return out, nil
	}
	if _, err := tx.Exec(ctx, `
UPDATE projects p SET forecast_finish = f.finish, at_risk = f.at_risk, risk_reason = f.reason, forecast_at = $6
FROM unnest($2::uuid[], $3::timestamptz[], $4::boolean[], $5::text[]) AS f(project_id, finish, at_risk, reason)
WHERE p.tenant_id = $1 AND p.project_id = f.project_id`,
		tx.TenantID(), saveIDs, saveFinish, saveRisk, saveWhy, now); err != nil {
		return nil, fmt.Errorf("store forecasts: %w", err)
	}
	return out, nil
}

// Scan runs the delay scan over every tenant, each in its own transaction.
// A tenant that fails is reported in the joined error and never stops the
// others.
func (db *DB) Scan(ctx context.Context, now time.Time) ([]*ScanResult, error) {
	tenants, err := db.AllTenantIDs(ctx)
	if err != nil {
		return nil, err
	}
	var (
		out  []*ScanResult
		errs []error
	)
	for _, id := range tenants {
		r, err := db.ScanOne(ctx, id, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// ScanOne runs the delay scan of one tenant.
func (db *DB) ScanOne(ctx context.Context, tenant uuid.UUID, now time.Time) (*ScanResult, error) {
	var r *ScanResult
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		if r, err = scanTenant(ctx, tx, now); err != nil {
			return err
		}
		_, err = tx.PruneUsage(ctx, now) // usage older than the tenant's retention (usage.go)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("scan tenant %s: %w", tenant, err)
	}
	return r, nil
}
