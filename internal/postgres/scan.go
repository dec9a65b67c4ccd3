package postgres

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ScanArgs is the periodic delay scan; it goes through every tenant.
type ScanArgs struct{}

// Kind is River's name for the job.
func (ScanArgs) Kind() string { return "delay_scan" }

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
	supportMember    *uuid.UUID
	completed, total int
	avgLateDays      float64
	progress         float64
}

// ScanTenant looks at every open project with a deadline in the tenant tx
// runs in: a project past its deadline alerts the sales leaders and the
// customer's support member (and, after the escalation delay, the admins);
// a project whose forecast passes its deadline alerts them that it is at
// risk. Each alert happens once per project, kind and deadline, so moving
// the deadline re-arms it and concurrent scans cannot double it.
func ScanTenant(ctx context.Context, tx *Tx, now time.Time) (*ScanResult, error) {
	res := &ScanResult{TenantID: tx.TenantID(), Notifications: []Notified{}}
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `
SELECT p.project_id, p.customer_id, p.name, c.name, p.start_date, p.deadline, c.support_member_id, p.progress,
       count(t.task_id) FILTER (WHERE t.status = 'completed'),
       count(t.task_id) FILTER (WHERE t.status <> 'cancelled'),
       coalesce(avg(greatest(0, extract(epoch FROM t.completed_at - t.due_at) / 86400)) FILTER (WHERE t.status = 'completed' AND t.due_at IS NOT NULL), 0)
FROM projects p
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
LEFT JOIN tasks t ON t.tenant_id = p.tenant_id AND t.project_id = p.project_id
WHERE p.tenant_id = $1 AND p.deadline IS NOT NULL AND p.status NOT IN ('completed', 'cancelled')
GROUP BY p.tenant_id, p.project_id, c.name, c.support_member_id
ORDER BY p.deadline`, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	projects, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (openProject, error) {
		var p openProject
		err := r.Scan(&p.id, &p.customerID, &p.name, &p.customer, &p.start, &p.deadline, &p.supportMember, &p.progress, &p.completed, &p.total, &p.avgLateDays)
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
		var notified []Notified
		if p.deadline.Before(now) {
			res.Overdue++
			late := now.Sub(p.deadline)
			n, err := RaiseAlert(ctx, tx, Alert{ProjectID: p.id, Kind: KindProjectOverdue, Dedupe: deadline,
				Title:      fmt.Sprintf("%s is past its deadline", p.name),
				Body:       fmt.Sprintf("%s (%s) was due %s and is %.0f%% done.", p.name, p.customer, p.deadline.Format("2 Jan 2006"), p.progress),
				Recipients: recipients, Event: EventProjectOverdue, EventData: data}, now)
			if err != nil {
				return nil, err
			}
			notified = append(notified, n...)
			if late >= time.Duration(settings.EscalateAfterDays)*24*time.Hour {
				n, err := RaiseAlert(ctx, tx, Alert{ProjectID: p.id, Kind: KindOverdueEscalated, Dedupe: deadline,
					Title: fmt.Sprintf("%s is still overdue after %d days", p.name, int(late.Hours()/24)),
					Body: fmt.Sprintf("%s (%s) was due %s and is %.0f%% done. Its support member and the sales leaders were told when it ran late.",
						p.name, p.customer, p.deadline.Format("2 Jan 2006"), p.progress),
					Recipients: admins}, now)
				if err != nil {
					return nil, err
				}
				notified = append(notified, n...)
			}
		} else if f := forecasts[p.id]; f.atRisk {
			res.AtRisk++
			data["reason"], data["forecast_finish"] = f.reason, f.finish.UTC().Format(time.RFC3339)
			n, err := RaiseAlert(ctx, tx, Alert{ProjectID: p.id, Kind: KindProjectAtRisk, Dedupe: deadline,
				Title: fmt.Sprintf("%s is at risk of missing its deadline", p.name), Body: f.reason, Reason: f.reason,
				Recipients: recipients, Event: EventProjectAtRisk, EventData: data}, now)
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

type projectForecast struct {
	finish time.Time
	atRisk bool
	reason string
}

// forecast estimates when each open project will finish, and stores it on
// the project: each open task is expected at its due date (or now, if that
// passed) plus how late tasks tend to run — the same template task in the
// tenant's earlier projects where there is history, otherwise this
// project's own average lateness — and, once a project has some history,
// no sooner than its pace so far allows.
func forecast(ctx context.Context, tx *Tx, projects []openProject, now time.Time) (map[uuid.UUID]projectForecast, error) {
	ids := make([]uuid.UUID, len(projects))
	for i, p := range projects {
		ids[i] = p.id
	}
	rows, err := tx.Query(ctx, `
WITH history AS (
    SELECT template_task_id, avg(extract(epoch FROM completed_at - due_at) / 86400) AS late
    FROM tasks
    WHERE tenant_id = $1 AND status = 'completed' AND template_task_id IS NOT NULL AND due_at IS NOT NULL AND NOT (project_id = ANY ($2))
    GROUP BY template_task_id
)
SELECT t.project_id, t.due_at, h.late, coalesce(u.role = 'customer', false)
FROM tasks t
LEFT JOIN history h ON h.template_task_id = t.template_task_id
LEFT JOIN tenant_users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to
WHERE t.tenant_id = $1 AND t.project_id = ANY ($2) AND t.status NOT IN ('completed', 'cancelled')`, tx.TenantID(), ids)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	type openTask struct {
		due        *time.Time
		late       *float64
		byCustomer bool
	}
	open := map[uuid.UUID][]openTask{}
	for rows.Next() {
		var id uuid.UUID
		var t openTask
		if err := rows.Scan(&id, &t.due, &t.late, &t.byCustomer); err != nil {
			return nil, err
		}
		open[id] = append(open[id], t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[uuid.UUID]projectForecast{}
	for _, p := range projects {
		tasks := open[p.id]
		if len(tasks) == 0 {
			continue
		}
		finish := now
		overdue := map[bool]int{}
		maxOverdue := map[bool]float64{}
		for _, t := range tasks {
			if t.due == nil {
				continue
			}
			expected := *t.due
			if expected.Before(now) {
				days := now.Sub(*t.due).Hours() / 24
				overdue[t.byCustomer]++
				maxOverdue[t.byCustomer] = math.Max(maxOverdue[t.byCustomer], days)
				expected = now
			}
			late := p.avgLateDays
			if t.late != nil {
				late = math.Max(0, *t.late)
			}
			expected = expected.Add(time.Duration(late * 24 * float64(time.Hour)))
			if expected.After(finish) {
				finish = expected
			}
		}
		var why []string
		for _, side := range []bool{true, false} {
			if overdue[side] > 0 {
				who := "vendor"
				if side {
					who = "customer"
				}
				days := math.Round(maxOverdue[side])
				why = append(why, fmt.Sprintf("%d %s task%s overdue by up to %.0f day%s", overdue[side], who, plural(overdue[side]), days, plural(int(days))))
			}
		}
		elapsed := now.Sub(p.start).Hours() / 24
		if p.completed >= 3 && elapsed >= 7 {
			perDay := float64(p.completed) / elapsed
			byPace := now.Add(time.Duration(float64(len(tasks)) / perDay * 24 * float64(time.Hour)))
			if byPace.After(finish) {
				finish = byPace
				why = append(why, fmt.Sprintf("at %.1f tasks a week, the %d open tasks take until %s", perDay*7, len(tasks), byPace.Format("2 Jan")))
			}
		}
		// A slip within a day, or 5% of the planned duration, is noise.
		slack := max(24*time.Hour, p.deadline.Sub(p.start)/20)
		f := projectForecast{finish: finish, atRisk: finish.After(p.deadline.Add(slack))}
		if f.atRisk {
			why = append(why, fmt.Sprintf("forecast finish %s, deadline %s", finish.Format("2 Jan"), p.deadline.Format("2 Jan")))
			f.reason = strings.ToUpper(strings.Join(why, "; ")[:1]) + strings.Join(why, "; ")[1:]
		}
		out[p.id] = f
		if _, err := tx.Exec(ctx, `
UPDATE projects SET forecast_finish = $3, at_risk = $4, risk_reason = $5, forecast_at = $6 WHERE tenant_id = $1 AND project_id = $2`,
			tx.TenantID(), p.id, f.finish, f.atRisk, nullIfEmpty(f.reason), now); err != nil {
			return nil, fmt.Errorf("store forecast: %w", err)
		}
	}
	return out, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Scan runs the delay scan over every tenant, each in its own transaction.
func (db *DB) Scan(ctx context.Context, now time.Time) ([]*ScanResult, error) {
	tenants, err := db.AllTenantIDs(ctx)
	if err != nil {
		return nil, err
	}
	var out []*ScanResult
	for _, id := range tenants {
		var r *ScanResult
		err := db.InTenant(ctx, id, func(ctx context.Context, tx *Tx) error {
			var err error
			r, err = ScanTenant(ctx, tx, now)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("scan tenant %s: %w", id, err)
		}
		out = append(out, r)
	}
	return out, nil
}
