package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Page-shaped reads: everything one page shows, in one read-only
// transaction and a fixed number of statements, however many tasks,
// comments or projects there are. They check the caller the way the
// per-item methods do (what a contact may not see is not found; what a role
// may not read is forbidden), with the same SQL fragments. Reads that do
// not depend on one another travel in one batch: a round trip each, not a
// round trip per statement.

// projectTasksQuery lists the tasks of project $3 the caller may see ($2:
// the contact's customer, or NULL for staff), in plan order.
const projectTasksQuery = `SELECT ` + taskColumns + taskFrom + `
WHERE t.tenant_id = $1 AND ` + taskVisible + ` AND t.project_id = $3
ORDER BY t.position, t.task_id`

func scanTasks(rows pgx.Rows) ([]*onboardiq.Task, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Task, error) { return scanTask(r) })
}

// commentsPerTask bounds the comments a project page shows under a task:
// the latest ones.
const commentsPerTask = 50

// ProjectPage is what a project's page shows: the project, the tasks the
// caller may see in plan order, their latest comments (oldest first), and,
// for a customer contact, their company's contacts (who the portal names,
// and whose tasks the contact may change).
type ProjectPage struct {
	Project  *onboardiq.Project
	Tasks    []*onboardiq.Task
	Comments map[uuid.UUID][]*onboardiq.Comment
	Contacts map[uuid.UUID]string
}

// LoadProjectPage reads a project's page as the caller sees it.
func (db *DB) LoadProjectPage(ctx context.Context, id uuid.UUID) (*ProjectPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*ProjectPage, error) {
		pr, err := getProject(ctx, tx, p, id, false)
		if err != nil {
			return nil, err
		}
		out := &ProjectPage{Project: pr, Comments: map[uuid.UUID][]*onboardiq.Comment{}, Contacts: map[uuid.UUID]string{}}
		rows, err := tx.Query(ctx, projectTasksQuery, tx.TenantID(), contactCustomer(p), id)
		if err != nil {
			return nil, fmt.Errorf("project page tasks: %w", err)
		}
		if out.Tasks, err = scanTasks(rows); err != nil {
			return nil, err
		}
		ids := make([]uuid.UUID, len(out.Tasks))
		for i, t := range out.Tasks {
			ids[i] = t.ID
		}
		rows, err = tx.Query(ctx, `
SELECT event_id, task_id, actor_user_id, author, body, occurred_at FROM (
    SELECT e.event_id, e.task_id, e.actor_user_id, coalesce(u.name, 'OnboardIQ') AS author, e.data->>'body' AS body, e.occurred_at,
           row_number() OVER (PARTITION BY e.task_id ORDER BY e.event_id DESC) AS latest`+eventFrom+`
    WHERE e.tenant_id = $1 AND e.task_id = ANY ($2) AND e.kind = 'task.commented'
) c WHERE latest <= $3
ORDER BY event_id`, tx.TenantID(), ids, commentsPerTask)
		if err != nil {
			return nil, fmt.Errorf("project page comments: %w", err)
		}
		comments, err := pgx.CollectRows(rows, scanComment)
		if err != nil {
			return nil, err
		}
		for _, c := range comments {
			out.Comments[c.TaskID] = append(out.Comments[c.TaskID], c)
		}
		if p.CustomerID != nil {
			rows, err := tx.Query(ctx, `SELECT user_id, name FROM tenant_users WHERE tenant_id = $1 AND customer_id = $2`, tx.TenantID(), *p.CustomerID)
			if err != nil {
				return nil, fmt.Errorf("project page contacts: %w", err)
			}
			var uid uuid.UUID
			var name string
			if _, err := pgx.ForEachRow(rows, []any{&uid, &name}, func() error { out.Contacts[uid] = name; return nil }); err != nil {
				return nil, err
			}
		}
		return out, tx.fillDependencies(ctx, out.Tasks)
	})
}
