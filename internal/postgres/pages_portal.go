package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// What the portal's home shows.
const (
	projectsOnPortalHome = 50  // the newest
	nextStepsPerProject  = 3   // open tasks, in plan order
	tasksOnPortalHome    = 100 // the contact's own open tasks, overdue first
)

// PortalHome is what a contact's portal home shows: their own open tasks
// across their company's projects ("Your tasks": overdue first, then by due
// date), their company's projects, newest first, with each one's next
// steps (its first open tasks, in plan order, among those the contact may
// see), who their support member is, and the portal's branding.
type PortalHome struct {
	Mine     []*onboardiq.Task
	Projects []*onboardiq.Project
	Next     map[uuid.UUID][]*onboardiq.Task // by project
	Names    map[uuid.UUID]string            // the projects' names, for Mine
	CSM      *SupportContact                 // nil when none is assigned
	Brand    *PortalBrand
	Surveys  []*OpenSurvey // the contact's open surveys (surveys.go)
}

// SupportContact is who a customer's contacts can turn to: their support
// member (CSM).
type SupportContact struct {
	Name, Email string
}

// openTask picks the tasks still to do, of projects going on (tasks t of
// projects p): a project on hold or cancelled asks nothing of anyone now.
const openTask = `t.status NOT IN ('completed', 'cancelled') AND p.status NOT IN ('on_hold', 'cancelled')`

// LoadPortalHome reads the portal's home as the caller sees it, at now
// (what is overdue): two round trips, the tasks, projects, support member
// and branding in one batch, and then the next steps of the projects.
// Tasks of projects on hold or cancelled are not the contact's to do now,
// and are left out of their tasks.
func (db *DB) LoadPortalHome(ctx context.Context, now time.Time) (*PortalHome, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*PortalHome, error) {
		out := &PortalHome{Next: map[uuid.UUID][]*onboardiq.Task{}, Names: map[uuid.UUID]string{}}
		tenant, contact := tx.TenantID(), contactCustomer(p)
		b := &pgx.Batch{}
		b.Queue(`SELECT `+taskColumns+taskFrom+`
WHERE t.tenant_id = $1 AND `+taskVisible+` AND t.assigned_to = $3 AND `+openTask+`
ORDER BY (t.due_at < $4) DESC NULLS LAST, t.due_at NULLS LAST, t.position, t.task_id LIMIT $5`, tenant, contact, p.UserID, now, tasksOnPortalHome).
			Query(func(rows pgx.Rows) (err error) {
				out.Mine, err = scanTasks(rows)
				return err
			})
		b.Queue(`SELECT p.project_id, p.name FROM projects p
WHERE p.tenant_id = $1 AND `+projectVisible+` AND p.project_id IN (
    SELECT t.project_id`+taskWithProject+`WHERE t.tenant_id = $1 AND t.assigned_to = $3 AND `+openTask+`)`, tenant, contact, p.UserID).
			Query(func(rows pgx.Rows) error {
				var id uuid.UUID
				var name string
				_, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error { out.Names[id] = name; return nil })
				return err
			})
		b.Queue(`SELECT `+projectColumns+` FROM projects p
WHERE p.tenant_id = $1 AND `+projectVisible+`
ORDER BY p.created_at DESC, p.project_id DESC LIMIT $3`, tenant, contact, projectsOnPortalHome).Query(func(rows pgx.Rows) (err error) {
			out.Projects, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Project, error) { return scanProject(r) })
			return err
		})
		if p.IsCustomer() {
			queueOpenSurveys(b, tenant, p.UserID, now, &out.Surveys)
		}
		if contact != nil {
			b.Queue(`
SELECT s.name, s.email FROM customers c
JOIN support_members s ON s.tenant_id = c.tenant_id AND s.support_member_id = c.support_member_id
WHERE c.tenant_id = $1 AND c.customer_id = $2 AND s.active`, tenant, *contact).QueryRow(func(row pgx.Row) error {
				csm := &SupportContact{}
				err := row.Scan(&csm.Name, &csm.Email)
				if errors.Is(err, pgx.ErrNoRows) {
					return nil
				}
				out.CSM = csm
				return err
			})
		}
		out.Brand = queuePortalBrand(b, tenant)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("portal home: %w", err)
		}
		ids := make([]uuid.UUID, len(out.Projects))
		for i, pr := range out.Projects {
			ids[i] = pr.ID
		}
		// The inner query ranks the visible open tasks of each project; the
		// outer one reads the first few of each.
		rows, err := tx.Query(ctx, `SELECT `+taskColumns+taskFrom+`
WHERE t.tenant_id = $1 AND `+taskVisible+` AND t.task_id IN (
    SELECT task_id FROM (
        SELECT t.task_id, row_number() OVER (PARTITION BY t.project_id ORDER BY t.position, t.task_id) AS step`+taskWithProject+`
        WHERE t.tenant_id = $1 AND `+taskVisible+` AND t.project_id = ANY ($3) AND t.status NOT IN ('completed', 'cancelled')
    ) open WHERE step <= $4)
ORDER BY t.project_id, t.position, t.task_id`, tenant, contact, ids, nextStepsPerProject)
		if err != nil {
			return nil, fmt.Errorf("portal next steps: %w", err)
		}
		tasks, err := scanTasks(rows)
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			out.Next[t.ProjectID] = append(out.Next[t.ProjectID], t)
		}
		return out, nil
	})
}

// PortalProjectPage is what a project's portal page shows: the project,
// the tasks the contact may see in plan order, their latest comments
// (oldest first), the names of the contact's company's contacts (whom the
// portal names as assignees), and the portal's branding.
type PortalProjectPage struct {
	Project  *onboardiq.Project
	Tasks    []*onboardiq.Task
	Comments map[uuid.UUID][]*onboardiq.Comment
	Contacts map[uuid.UUID]string
	Brand    *PortalBrand
	// Mentionable is whom the contact's comments may mention, and whom
	// the portal suggests (portal_mentions.go).
	Mentionable []PortalMentionable
}

// LoadPortalProjectPage reads a project's portal page as the caller sees it:
// three round trips, the project (not found unless the caller may see it),
// the rest in one batch, then what its tasks wait on (fillDependencies:
// the predecessors the contact may see).
func (db *DB) LoadPortalProjectPage(ctx context.Context, id uuid.UUID) (*PortalProjectPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*PortalProjectPage, error) {
		pr, err := getProject(ctx, tx, p, id, false)
		if err != nil {
			return nil, err
		}
		out := &PortalProjectPage{Project: pr, Comments: map[uuid.UUID][]*onboardiq.Comment{}, Contacts: map[uuid.UUID]string{}}
		tenant, contact := tx.TenantID(), contactCustomer(p)
		b := &pgx.Batch{}
		b.Queue(projectTasksQuery, tenant, contact, id).Query(func(rows pgx.Rows) (err error) {
			out.Tasks, err = scanTasks(rows)
			return err
		})
		b.Queue(`
SELECT event_id, task_id, actor_user_id, author, body, occurred_at FROM (
    SELECT e.event_id, e.task_id, e.actor_user_id, coalesce(u.name, 'OnboardIQ') AS author, e.data->>'body' AS body, e.occurred_at,
           row_number() OVER (PARTITION BY e.task_id ORDER BY e.event_id DESC) AS latest
    FROM events e LEFT JOIN tenant_users u ON u.tenant_id = e.tenant_id AND u.user_id = e.actor_user_id
    WHERE e.tenant_id = $1 AND e.project_id = $3 AND e.kind = 'task.commented' AND e.task_id IN (
        SELECT t.task_id`+taskWithProject+`WHERE t.tenant_id = $1 AND `+taskVisible+` AND t.project_id = $3)
) c WHERE latest <= $4
ORDER BY event_id`, tenant, contact, id, commentsPerTask).Query(func(rows pgx.Rows) error {
			comments, err := pgx.CollectRows(rows, scanComment)
			for _, c := range comments {
				out.Comments[c.TaskID] = append(out.Comments[c.TaskID], c)
			}
			return err
		})
		if contact != nil {
			b.Queue(`SELECT user_id, name FROM tenant_users WHERE tenant_id = $1 AND customer_id = $2`, tenant, *contact).Query(func(rows pgx.Rows) error {
				var uid uuid.UUID
				var name string
				_, err := pgx.ForEachRow(rows, []any{&uid, &name}, func() error { out.Contacts[uid] = name; return nil })
				return err
			})
			queuePortalMentionable(b, tenant, *contact, id, &out.Mentionable)
		}
		out.Brand = queuePortalBrand(b, tenant)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("portal project page: %w", err)
		}
		return out, tx.fillDependencies(ctx, out.Tasks)
	})
}
