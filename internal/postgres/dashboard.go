package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// LoadDashboard gathers the overview of the caller's tenant (staff).
func (db *DB) LoadDashboard(ctx context.Context, now time.Time) (*onboardiq.Dashboard, error) {
	d := &onboardiq.Dashboard{ByStatus: map[string]int{}, Customers: map[string]string{}}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.tenant_id = $1 AND p.status NOT IN ('completed', 'cancelled')
ORDER BY p.deadline NULLS LAST, p.name`, tx.TenantID())
		if err != nil {
			return err
		}
		open, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Project, error) { return scanProject(r) })
		if err != nil {
			return err
		}
		for _, pr := range open {
			switch {
			case pr.Overdue:
				d.Overdue = append(d.Overdue, pr)
			case pr.AtRisk:
				d.AtRisk = append(d.AtRisk, pr)
			}
			d.Active = append(d.Active, pr)
		}
		rows, err = tx.Query(ctx, `SELECT status, count(*) FROM projects WHERE tenant_id = $1 GROUP BY status`, tx.TenantID())
		if err != nil {
			return err
		}
		var st string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&st, &n}, func() error { d.ByStatus[st] = n; return nil }); err != nil {
			return err
		}
		var onTime, withDeadline int
		if err := tx.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE completed_at <= deadline), count(*) FROM projects
WHERE tenant_id = $1 AND status = 'completed' AND deadline IS NOT NULL`, tx.TenantID()).Scan(&onTime, &withDeadline); err != nil {
			return err
		}
		if withDeadline > 0 {
			r := float64(onTime) / float64(withDeadline) * 100
			d.OnTimeRate = &r
		}
		rows, err = tx.Query(ctx, `
SELECT w, (SELECT count(*) FROM projects p WHERE p.tenant_id = $1 AND p.status = 'completed'
           AND p.completed_at >= w AND p.completed_at < w + interval '7 days')
FROM generate_series(date_trunc('week', $2::timestamptz) - interval '25 weeks', date_trunc('week', $2::timestamptz), interval '7 days') AS w
ORDER BY w`, tx.TenantID(), now)
		if err != nil {
			return err
		}
		d.Weekly, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.WeekCount, error) {
			var w onboardiq.WeekCount
			return w, r.Scan(&w.Week, &w.Count)
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT customer_id::text, name FROM customers WHERE tenant_id = $1`, tx.TenantID())
		if err != nil {
			return err
		}
		var id, name string
		_, err = pgx.ForEachRow(rows, []any{&id, &name}, func() error { d.Customers[id] = name; return nil })
		return err
	})
	return d, err
}
