package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// What the portal's home shows.
const (
	projectsOnPortalHome = 50 // the newest
	nextStepsPerProject  = 3  // open tasks, in plan order
)

// PortalHome is what a contact's portal home shows: their company's
// projects, newest first, and each one's next steps: its first open
// tasks, in plan order, among those the contact may see.
type PortalHome struct {
	Projects []*onboardiq.Project
	Next     map[uuid.UUID][]*onboardiq.Task // by project
}

// LoadPortalHome reads the portal's home as the caller sees it: two
// statements, the projects and then the next steps of them all.
func (db *DB) LoadPortalHome(ctx context.Context) (*PortalHome, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*PortalHome, error) {
		out := &PortalHome{Next: map[uuid.UUID][]*onboardiq.Task{}}
		tenant, contact := tx.TenantID(), contactCustomer(p)
		rows, err := tx.Query(ctx, `SELECT `+projectColumns+` FROM projects p
WHERE p.tenant_id = $1 AND `+projectVisible+`
ORDER BY p.created_at DESC, p.project_id DESC LIMIT $3`, tenant, contact, projectsOnPortalHome)
		if err != nil {
			return nil, fmt.Errorf("portal projects: %w", err)
		}
		if out.Projects, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Project, error) { return scanProject(r) }); err != nil {
			return nil, err
		}
		ids := make([]uuid.UUID, len(out.Projects))
		for i, pr := range out.Projects {
			ids[i] = pr.ID
		}
		// The inner query ranks the visible open tasks of each project; the
		// outer one reads the first few of each.
		rows, err = tx.Query(ctx, `SELECT `+taskColumns+taskFrom+`
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
