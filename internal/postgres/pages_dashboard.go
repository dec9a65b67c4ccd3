package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Dashboard is the staff console's overview.
type Dashboard struct {
	ByStatus   map[string]int // by project status
	Overdue    []*onboardiq.Project
	AtRisk     []*onboardiq.Project
	Active     []*onboardiq.Project
	OnTimeRate *float64 // completed on or before the deadline, of those with one
	Weekly     []onboardiq.WeekCount
	Customers  map[string]string // id → name, of the open projects' customers
	Unread     int               // the caller's unread notifications (the navigation's badge)
}

// WeekCount is how many projects finished in a week.
type WeekCount struct {
	Week  time.Time
	Count int
}

// LoadDashboard gathers the overview of the caller's tenant (staff). Its
// statements do not depend on one another: they travel in one batch, with
// the transaction's start.
func (db *DB) LoadDashboard(ctx context.Context, now time.Time) (*onboardiq.Dashboard, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Dashboard, error) {
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		d := &onboardiq.Dashboard{ByStatus: map[string]int{}, Customers: map[string]string{}}
		tenant := tx.TenantID()
		b := &pgx.Batch{}
		b.Queue(`SELECT `+projectColumns+` FROM projects p WHERE p.tenant_id = $1 AND p.status NOT IN ('completed', 'cancelled')
ORDER BY p.deadline NULLS LAST, p.name`, tenant).Query(func(rows pgx.Rows) error {
			open, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Project, error) { return scanProject(r) })
			for _, pr := range open {
				switch {
				case pr.Status.Paused(): // on hold: neither overdue nor at risk
				case pr.Overdue:
					d.Overdue = append(d.Overdue, pr)
				case pr.AtRisk:
					d.AtRisk = append(d.AtRisk, pr)
				}
				d.Active = append(d.Active, pr)
			}
			return err
		})
		b.Queue(`SELECT status, count(*) FROM projects WHERE tenant_id = $1 GROUP BY status`, tenant).Query(func(rows pgx.Rows) error {
			var st string
			var n int
			_, err := pgx.ForEachRow(rows, []any{&st, &n}, func() error { d.ByStatus[st] = n; return nil })
			return err
		})
		b.Queue(`
SELECT count(*) FILTER (WHERE completed_at <= deadline), count(*) FROM projects
WHERE tenant_id = $1 AND status = 'completed' AND deadline IS NOT NULL`, tenant).QueryRow(func(row pgx.Row) error {
			var onTime, withDeadline int
			if err := row.Scan(&onTime, &withDeadline); err != nil {
				return err
			}
			if withDeadline > 0 {
				r := float64(onTime) / float64(withDeadline) * 100
				d.OnTimeRate = &r
			}
			return nil
		})
		b.Queue(`
SELECT w, (SELECT count(*) FROM projects p WHERE p.tenant_id = $1 AND p.status = 'completed'
           AND p.completed_at >= w AND p.completed_at < w + interval '7 days')
FROM generate_series(date_trunc('week', $2::timestamptz) - interval '25 weeks', date_trunc('week', $2::timestamptz), interval '7 days') AS w
ORDER BY w`, tenant, now).Query(func(rows pgx.Rows) (err error) {
			d.Weekly, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.WeekCount, error) {
				var w onboardiq.WeekCount
				return w, r.Scan(&w.Week, &w.Count)
			})
			return err
		})
		b.Queue(`
SELECT c.customer_id::text, c.name FROM customers c
WHERE c.tenant_id = $1 AND c.customer_id IN (
    SELECT p.customer_id FROM projects p WHERE p.tenant_id = $1 AND p.status NOT IN ('completed', 'cancelled'))`, tenant).Query(func(rows pgx.Rows) error {
			var id, name string
			_, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error { d.Customers[id] = name; return nil })
			return err
		})
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&d.Unread) })
		if p.Can(onboardiq.ManageSettings) {
			queueSetupChecklist(b, tenant, &d.Setup)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		return d, nil
	})
}
