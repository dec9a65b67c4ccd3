package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// What the console's task page shows beside the task.
const (
	commentsOnTaskPage = 200
	similarOnTaskPage  = 3
)

// TaskLink is a task another task's page links to.
type TaskLink struct {
	onboardiq.TaskRef
	Status onboardiq.Status
	DueAt  *time.Time
}

// Assignee is someone who may hold a task: a support member of the
// workspace or a contact of the project's customer.
type Assignee struct {
	ID      uuid.UUID
	Name    string
	Contact bool // a contact of the customer, not staff
}

// StaffTaskPage is what the console's task page shows: the task with its
// project and customer, the name of its assignee, its comments, the tasks
// of other projects most like it, the other tasks of its project (the
// predecessors it may have) with those it waits on and those that wait on
// it, how many tasks moving its due date would move, who may hold it, who
// may be mentioned in a comment on it, and the caller's unread
// notifications.
type StaffTaskPage struct {
	Task         *onboardiq.Task
	Project      *onboardiq.Project
	Customer     string
	AssigneeName string
	Comments     []*onboardiq.Comment
	Similar      []onboardiq.SimilarTask
	// Others are the project's other tasks, in plan order.
	Others []TaskLink
	// Predecessors are the tasks it waits on (finished or not); Dependents
	// those that wait on it directly.
	Predecessors, Dependents []TaskLink
	// ToShift counts the tasks that move with its due date when the
	// change asks for it (UpdateTaskAndDependents).
	ToShift   int
	Assignees []Assignee
	// Mentionable are those a comment on it may mention: the people the
	// notifier would tell (Tx.Mentionable), the caller among them.
	Mentionable []Mentionable
	Unread      int
}

// LoadStaffTaskPage reads a task's console page (staff): the task, then
// everything else in one batch, then its similar tasks.
func (db *DB) LoadStaffTaskPage(ctx context.Context, id uuid.UUID) (*StaffTaskPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*StaffTaskPage, error) {
		t, err := getTask(ctx, tx, p, id, false)
		if err != nil {
			return nil, err
		}
		// What ListUsers, ListComments and FindSimilarTasks would ask.
		for _, a := range []onboardiq.Action{onboardiq.ReadUsers, onboardiq.UseStaffAI} {
			if err := p.Check(a); err != nil {
				return nil, err
			}
		}
		out := &StaffTaskPage{Task: t}
		tenant := tx.TenantID()
		b := &pgx.Batch{}
		b.Queue(`SELECT `+projectColumns+` FROM projects p WHERE p.tenant_id = $1 AND `+projectVisible+` AND p.project_id = $3`,
			tenant, contactCustomer(p), t.ProjectID).QueryRow(func(row pgx.Row) (err error) {
			out.Project, err = scanProject(row)
			return err
		})
		b.Queue(`SELECT c.name FROM customers c WHERE c.tenant_id = $1 AND c.customer_id = $2`, tenant, t.CustomerID).
			QueryRow(func(row pgx.Row) error { return row.Scan(&out.Customer) })
		b.Queue(commentQuery+` ORDER BY e.event_id LIMIT $4`, tenant, id, 0, commentsOnTaskPage).Query(func(rows pgx.Rows) (err error) {
			out.Comments, err = pgx.CollectRows(rows, scanComment)
			return err
		})
		g := queueProjectGraph(b, tx, t.ProjectID)
		// Who may hold it (checkAssignee's rule), and its assignee even
		// if no longer one of them.
		b.Queue(`
SELECT u.user_id, u.name, u.customer_id IS NOT NULL,
       u.disabled_at IS NULL AND (u.customer_id = $2 OR EXISTS (
           SELECT FROM support_members s WHERE s.tenant_id = $1 AND s.support_member_id = u.user_id AND s.active))
FROM tenant_users u
WHERE u.tenant_id = $1 AND (u.user_id = $3 OR (u.disabled_at IS NULL AND (u.customer_id = $2 OR EXISTS (
           SELECT FROM support_members s WHERE s.tenant_id = $1 AND s.support_member_id = u.user_id AND s.active))))
ORDER BY u.customer_id IS NOT NULL, u.name, u.user_id`, tenant, t.CustomerID, t.AssignedTo).Query(func(rows pgx.Rows) error {
			var a Assignee
			var eligible bool
			_, err := pgx.ForEachRow(rows, []any{&a.ID, &a.Name, &a.Contact, &eligible}, func() error {
				if t.AssignedTo != nil && *t.AssignedTo == a.ID {
					out.AssigneeName = a.Name
				}
				if eligible || (t.AssignedTo != nil && *t.AssignedTo == a.ID) {
					out.Assignees = append(out.Assignees, a)
				}
				return nil
			})
			return err
		})
		b.Queue(mentionableQuery, tenant, t.CustomerID, t.Visibility == onboardiq.VisibilityCustomer).Query(func(rows pgx.Rows) (err error) {
			out.Mentionable, err = pgx.CollectRows(rows, scanMentionable)
			return err
		})
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("task page: %w", err)
		}

		link := func(x uuid.UUID) TaskLink {
			gt := g.tasks[x]
			return TaskLink{TaskRef: gt.ref, Status: gt.status, DueAt: gt.dueAt}
		}
		t.DependsOn, t.WaitingOn = []uuid.UUID{}, nil
		if self := g.tasks[id]; self != nil {
			for _, x := range self.dependsOn {
				out.Predecessors = append(out.Predecessors, link(x))
				t.DependsOn = append(t.DependsOn, x)
				if !g.tasks[x].status.Finished() {
					t.WaitingOn = append(t.WaitingOn, g.tasks[x].ref)
				}
			}
		}
		for _, x := range g.waitingOn(id) {
			out.Dependents = append(out.Dependents, link(x))
		}
		for _, x := range g.order {
			if x != id {
				out.Others = append(out.Others, link(x))
			}
		}
		out.ToShift = len(g.toShift(id))

		if out.Similar, err = querySimilarTasks(ctx, tx, id, similarOnTaskPage, false); err != nil {
			return nil, err
		}
		return out, nil
	})
}
