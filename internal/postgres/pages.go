package postgres

import (
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
