package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// MyTask is one of the caller's open tasks, with its project's and
// customer's names and status. Overdue: its due date has passed, and its
// project is not on hold.
type MyTask struct {
	*onboardiq.Task
	Project       string           `json:"project"`
	ProjectStatus onboardiq.Status `json:"project_status"`
	Customer      string           `json:"customer"`
	Overdue       bool             `json:"overdue"`
}

// MyTasks is a page of the caller's open tasks, and the caller's unread
// notifications (the navigation's badge).
type MyTasks struct {
	onboardiq.Page[*MyTask]
	Unread int `json:"-"`
}

// ListMyTasks lists the caller's open tasks (not completed or cancelled)
// across the open projects (not completed or cancelled): the overdue ones
// first, then by due date (those without one last). now decides what is
// overdue; the cursor keeps the now of the first page, so paging neither
// skips nor repeats a task that falls due meanwhile. Staff only: a contact
// has the portal.
func (db *DB) ListMyTasks(ctx context.Context, opts onboardiq.ListOptions, now time.Time) (*MyTasks, error) {
	if err := opts.Normalise(); err != nil {
		return nil, err
	}
	var (
		afterRank int
		afterDue  *time.Time
		afterID   *uuid.UUID
	)
	if opts.Cursor != "" {
		var (
			at  time.Time
			due string
			id  uuid.UUID
		)
		if err := decodeCursor(opts.Cursor, &at, &afterRank, &due, &id); err != nil {
			return nil, onboardiq.Invalid("cursor", "is not a cursor from this list")
		}
		now, afterID = at, &id
		if due != "" {
			d, err := time.Parse(time.RFC3339Nano, due)
			if err != nil {
				return nil, onboardiq.Invalid("cursor", "is not a cursor from this list")
			}
			afterDue = &d
		}
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*MyTasks, error) {
		if p.IsCustomer() {
			return nil, onboardiq.Errorf(onboardiq.EFORBIDDEN, "your role (customer) may not list staff tasks: the portal lists yours")
		}
		out := &MyTasks{}
		tenant := tx.TenantID()
		b := &pgx.Batch{}
		// rank 0: overdue, 1: not; then the due date, infinity for none.
		const rank, due = `(CASE WHEN t.due_at < $3 AND p.status <> 'on_hold' THEN 0 ELSE 1 END)`, `coalesce(t.due_at, 'infinity'::timestamptz)`
		b.Queue(`
SELECT `+taskColumns+`, p.name, p.status, c.name, `+rank+` = 0`+taskFrom+`
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
WHERE t.tenant_id = $1 AND t.assigned_to = $2
  AND t.status NOT IN ('completed', 'cancelled') AND p.status NOT IN ('completed', 'cancelled')
  AND ($6::uuid IS NULL OR (`+rank+`, `+due+`, t.task_id) > ($4, coalesce($5, 'infinity'::timestamptz), $6))
ORDER BY `+rank+`, `+due+`, t.task_id
LIMIT $7`, tenant, p.UserID, now, afterRank, afterDue, afterID, opts.Limit+1).Query(func(rows pgx.Rows) error {
			items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*MyTask, error) {
				m := &MyTask{}
				var err error
				m.Task, err = scanTask(withExtra(r, &m.Project, &m.ProjectStatus, &m.Customer, &m.Overdue))
				return m, err
			})
			out.Page = page(items, opts.Limit, func(m *MyTask) []any {
				rank, due := 1, ""
				if m.Overdue {
					rank = 0
				}
				if m.DueAt != nil {
					due = m.DueAt.Format(time.RFC3339Nano)
				}
				return []any{now, rank, due, m.ID}
			})
			return err
		})
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("my tasks: %w", err)
		}
		tasks := make([]*onboardiq.Task, len(out.Page.Items))
		for i, m := range out.Page.Items {
			tasks[i] = m.Task
		}
		return out, tx.fillDependencies(ctx, tasks)
	})
}
