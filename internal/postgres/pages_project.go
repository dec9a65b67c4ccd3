package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// What the console's project page shows beside the tasks.
const (
	similarOnProjectPage  = 3  // completed projects most like it
	activityOnProjectPage = 20 // latest events
)

// StaffProjectPage is what the console's project page shows: the project
// and its customer's name, its tasks in plan order with the names of their
// assignees, the completed projects most like it, its latest activity, and
// the caller's unread notifications (the navigation's badge).
type StaffProjectPage struct {
	Project   *onboardiq.Project
	Customer  string
	Tasks     []*onboardiq.Task
	Assignees map[uuid.UUID]string
	Similar   []onboardiq.SimilarProject
	Activity  []*onboardiq.Event
	Unread    int
}

// LoadStaffProjectPage reads a project's console page (staff): the
// project, then everything else in one batch.
func (db *DB) LoadStaffProjectPage(ctx context.Context, id uuid.UUID) (*StaffProjectPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*StaffProjectPage, error) {
		pr, err := getProject(ctx, tx, p, id, false)
		if err != nil {
			return nil, err
		}
		// What ListUsers, SimilarProjects and ListActivity would ask.
		for _, a := range []onboardiq.Action{onboardiq.ReadUsers, onboardiq.UseStaffAI, onboardiq.ReadActivity} {
			if err := p.Check(a); err != nil {
				return nil, err
			}
		}
		out := &StaffProjectPage{Project: pr, Assignees: map[uuid.UUID]string{}}
		tenant, contact := tx.TenantID(), contactCustomer(p)
		b := &pgx.Batch{}
		b.Queue(`SELECT c.name FROM customers c WHERE c.tenant_id = $1 AND `+customerVisible+` AND c.customer_id = $3`,
			tenant, contact, pr.CustomerID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Customer) })
		b.Queue(projectTasksQuery, tenant, contact, id).Query(func(rows pgx.Rows) (err error) {
			out.Tasks, err = scanTasks(rows)
			return err
		})
		b.Queue(`
SELECT u.user_id, u.name FROM tenant_users u
WHERE u.tenant_id = $1 AND u.user_id IN (SELECT t.assigned_to FROM tasks t WHERE t.tenant_id = $1 AND t.project_id = $2)`,
			tenant, id).Query(func(rows pgx.Rows) error {
			var uid uuid.UUID
			var name string
			_, err := pgx.ForEachRow(rows, []any{&uid, &name}, func() error { out.Assignees[uid] = name; return nil })
			return err
		})
		for _, s := range iterativeScan {
			b.Queue(s)
		}
		b.Queue(similarProjectsQuery, tenant, id, similarOnProjectPage).Query(func(rows pgx.Rows) (err error) {
			out.Similar, err = pgx.CollectRows(rows, scanSimilarProject)
			return err
		})
		b.Queue(`SELECT `+eventColumns+eventFrom+`
WHERE e.tenant_id = $1 AND e.project_id = $2
ORDER BY e.event_id DESC LIMIT $3`, tenant, id, activityOnProjectPage).Query(func(rows pgx.Rows) (err error) {
			out.Activity, err = pgx.CollectRows(rows, scanEvent)
			return err
		})
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("project page: %w", err)
		}
		return out, tx.fillDependencies(ctx, out.Tasks)
	})
}
