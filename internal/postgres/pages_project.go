package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

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
// assignees, the tasks one view of them keeps and how many each view keeps,
// who its tasks may be assigned to, the completed projects most like it,
// its latest activity, and the caller's unread notifications (the
// navigation's badge).
type StaffProjectPage struct {
	Project   *onboardiq.Project
	Customer  string
	Tasks     []*onboardiq.Task // all of them, in plan order
	Assignees map[uuid.UUID]string
	// View is the view the page asked for; Shown, the tasks it keeps, in
	// plan order; Counts, how many tasks each view keeps.
	View   TaskView
	Shown  []*onboardiq.Task
	Counts map[TaskView]int
	// Overdue holds the open tasks past their due date (TaskOverdue), as
	// of Now, the time the page was read.
	Overdue map[uuid.UUID]bool
	Now     time.Time
	// Assignable are the people a task of the project may be assigned to,
	// what the store accepts: the support team's active members, then the
	// customer's active contacts, each by name.
	Assignable []Assignable
	Similar    []onboardiq.SimilarProject
	Activity   []*onboardiq.Event
	Unread     int
	// CustomFields are the project custom fields (values, the edit form).
	CustomFields []*onboardiq.CustomField
}

// Assignable is someone a project's task may be assigned to.
type Assignable struct {
	ID      uuid.UUID
	Name    string
	Contact bool // a contact of the project's customer; otherwise a support member
}

// TaskView is a view of a project's tasks on its console page: all of them,
// or those one filter keeps.
type TaskView string

// The views.
const (
	ViewAll      TaskView = ""
	ViewMine     TaskView = "mine"     // assigned to the caller
	ViewCustomer TaskView = "customer" // assigned to a contact of the customer (Task.CustomerSide)
	ViewVendor   TaskView = "vendor"   // assigned to a member of the support team
	ViewOverdue  TaskView = "overdue"  // open and past their due date
	ViewBlocked  TaskView = "blocked"
)

// TaskViews lists the views in the order the page offers them.
var TaskViews = []TaskView{ViewAll, ViewMine, ViewCustomer, ViewVendor, ViewOverdue, ViewBlocked}

// Keeps reports whether the view keeps t, for user me at now.
func (v TaskView) Keeps(t *onboardiq.Task, me uuid.UUID, now time.Time) bool {
	switch v {
	case ViewAll:
		return true
	case ViewMine:
		return t.AssignedTo != nil && *t.AssignedTo == me
	case ViewCustomer:
		return t.CustomerSide
	case ViewVendor:
		return t.AssignedTo != nil && !t.CustomerSide
	case ViewOverdue:
		return TaskOverdue(t, now)
	case ViewBlocked:
		return t.Status == onboardiq.StatusBlocked
	}
	return false
}

// TaskOverdue reports whether t is past its due date at now and still open
// (neither completed nor cancelled).
func TaskOverdue(t *onboardiq.Task, now time.Time) bool {
	return t.DueAt != nil && t.DueAt.Before(now) && t.Status != onboardiq.StatusCompleted && t.Status != onboardiq.StatusCancelled
}

// LoadStaffProjectPage reads a project's console page (staff) with its
// tasks in view: the project, then everything else in one batch.
func (db *DB) LoadStaffProjectPage(ctx context.Context, id uuid.UUID, view TaskView) (*StaffProjectPage, error) {
	if !slices.Contains(TaskViews, view) {
		return nil, onboardiq.Invalid("filter", "must be one of mine, customer, vendor, overdue, blocked, or none")
	}
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
		out := &StaffProjectPage{Project: pr, Assignees: map[uuid.UUID]string{}, View: view, Counts: map[TaskView]int{},
			Overdue: map[uuid.UUID]bool{}, Now: time.Now()}
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
		b.Queue(`
SELECT u.user_id, u.name, u.customer_id IS NOT NULL FROM tenant_users u
WHERE u.tenant_id = $1 AND u.disabled_at IS NULL
  AND (u.customer_id = $2 OR EXISTS (
      SELECT FROM support_members s WHERE s.tenant_id = $1 AND s.support_member_id = u.user_id AND s.active))
ORDER BY u.customer_id IS NOT NULL, lower(u.name), u.user_id`, tenant, pr.CustomerID).Query(func(rows pgx.Rows) (err error) {
			out.Assignable, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Assignable, error) {
				var a Assignable
				return a, r.Scan(&a.ID, &a.Name, &a.Contact)
			})
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
		queueCustomFields(b, tenant, onboardiq.CustomFieldProject, &out.CustomFields)
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("project page: %w", err)
		}
		for _, t := range out.Tasks {
			if TaskOverdue(t, out.Now) {
				out.Overdue[t.ID] = true
			}
			for _, v := range TaskViews {
				if v.Keeps(t, p.UserID, out.Now) {
					out.Counts[v]++
				}
			}
			if view.Keeps(t, p.UserID, out.Now) {
				out.Shown = append(out.Shown, t)
			}
		}
		return out, tx.fillDependencies(ctx, out.Tasks)
	})
}

// TimelinePage is the console's portfolio timeline: the open projects
// (neither completed nor cancelled; on hold included) in order of deadline,
// the first of them only, their customers' names, how many open projects
// there are in all, and the caller's unread notifications.
type TimelinePage struct {
	Projects  []*onboardiq.Project
	Customers map[uuid.UUID]string
	Total     int
	Unread    int
}

// MaxTimelineProjects bounds the projects LoadTimelinePage reads.
const MaxTimelineProjects = 200

// LoadTimelinePage reads the portfolio timeline (staff): at most limit
// open projects, by deadline (none last), then start; one batch.
func (db *DB) LoadTimelinePage(ctx context.Context, limit int) (*TimelinePage, error) {
	if limit < 1 || limit > MaxTimelineProjects {
		return nil, onboardiq.Invalid("limit", "must be between 1 and %d", MaxTimelineProjects)
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*TimelinePage, error) {
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		out := &TimelinePage{Customers: map[uuid.UUID]string{}}
		tenant := tx.TenantID()
		b := &pgx.Batch{}
		b.Queue(`SELECT `+projectColumns+` FROM projects p
WHERE p.tenant_id = $1 AND `+projectVisible+` AND p.status NOT IN ('completed', 'cancelled')
ORDER BY p.deadline NULLS LAST, p.start_date, p.project_id
LIMIT $3`, tenant, contactCustomer(p), limit).Query(func(rows pgx.Rows) (err error) {
			out.Projects, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Project, error) { return scanProject(r) })
			return err
		})
		b.Queue(`SELECT count(*) FROM projects p WHERE p.tenant_id = $1 AND `+projectVisible+` AND p.status NOT IN ('completed', 'cancelled')`,
			tenant, contactCustomer(p)).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Total) })
		b.Queue(`
SELECT c.customer_id, c.name FROM customers c
WHERE c.tenant_id = $1 AND c.customer_id IN (
    SELECT p.customer_id FROM projects p WHERE p.tenant_id = $1 AND p.status NOT IN ('completed', 'cancelled'))`, tenant).Query(func(rows pgx.Rows) error {
			var id uuid.UUID
			var name string
			_, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error { out.Customers[id] = name; return nil })
			return err
		})
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("timeline page: %w", err)
		}
		return out, nil
	})
}
