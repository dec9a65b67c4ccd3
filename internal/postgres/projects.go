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

// CreateProject adds a project to a customer of the tenant tx runs in. With
// a template, the template's tasks are created too: due at the project start
// plus their offset and duration, customer-side tasks assigned to the
// customer's first contact and vendor-side ones to its support member.
func (tx *Tx) CreateProject(ctx context.Context, in onboardiq.NewProject) (*onboardiq.Project, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	tenant := tx.TenantID()
	if in.TemplateID != nil && in.Deadline == nil {
		var days *int
		err := tx.QueryRow(ctx, `
SELECT max(offset_days + duration_days) FROM template_tasks WHERE tenant_id = $1 AND template_id = $2`,
			tenant, *in.TemplateID).Scan(&days)
		if err != nil {
			return nil, fmt.Errorf("template length: %w", err)
		}
		if days != nil {
			d := in.StartDate.AddDate(0, 0, *days)
			in.Deadline = &d
		}
	}
	p := &onboardiq.Project{TenantID: tenant, CustomerID: in.CustomerID, TemplateID: in.TemplateID,
		Name: in.Name, Description: in.Description, StartDate: in.StartDate, Deadline: in.Deadline}
	err := tx.QueryRow(ctx, `
INSERT INTO projects (tenant_id, customer_id, template_id, name, description, start_date, deadline)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING project_id, status, progress, created_at, updated_at`,
		tenant, p.CustomerID, p.TemplateID, p.Name, p.Description, p.StartDate, p.Deadline).
		Scan(&p.ID, &p.Status, &p.Progress, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		var pgErr interface{ SQLState() string }
		if errors.As(err, &pgErr) && pgErr.SQLState() == "23503" {
			if in.TemplateID != nil {
				return nil, onboardiq.Invalid("customer_id", "no such customer, or template_id names no template")
			}
			return nil, onboardiq.Invalid("customer_id", "no such customer")
		}
		return nil, fmt.Errorf("insert project: %w", err)
	}
	var taskIDs []uuid.UUID
	if in.TemplateID != nil {
		// RETURNING: an INSERT … SELECT without it goes through COPY on
		// Citus, which row-level security refuses.
		rows, err := tx.Query(ctx, `
INSERT INTO tasks (tenant_id, project_id, template_task_id, phase, position, description, details, due_at, visibility, assigned_to)
SELECT $1, $2, tt.template_task_id, tt.phase, tt.position, tt.description, tt.details,
       $3::timestamptz + make_interval(days => tt.offset_days + tt.duration_days), tt.visibility,
       CASE tt.side
           WHEN 'customer' THEN (SELECT u.user_id FROM tenant_users u
                                 WHERE u.tenant_id = $1 AND u.customer_id = $4 AND u.disabled_at IS NULL
                                 ORDER BY u.created_at, u.email LIMIT 1)
           ELSE (SELECT c.support_member_id FROM customers c WHERE c.tenant_id = $1 AND c.customer_id = $4)
       END
FROM template_tasks tt
WHERE tt.tenant_id = $1 AND tt.template_id = $5
ORDER BY tt.position
RETURNING task_id`, tenant, p.ID, p.StartDate, p.CustomerID, *in.TemplateID)
		if err != nil {
			return nil, fmt.Errorf("instantiate template: %w", err)
		}
		if taskIDs, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return nil, fmt.Errorf("instantiate template: %w", err)
		}
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventProjectCreated, CustomerID: &p.CustomerID, ProjectID: &p.ID,
		Data: map[string]any{"name": p.Name, "template_id": p.TemplateID}}); err != nil {
		return nil, err
	}
	if err := enqueueEmbed(ctx, tx, EntityProject, p.ID); err != nil {
		return nil, err
	}
	return p, enqueueEmbed(ctx, tx, EntityTask, taskIDs...)
}

// RefreshProject derives a project's progress and status from its tasks:
// progress is completed ÷ non-cancelled tasks as a percentage with two
// decimals; the project is completed when every such task is, in progress
// once any has started, and not started otherwise. A project on hold keeps
// its status (its progress follows), and a cancelled one is left alone. A
// change of status is recorded as an event. Callers change tasks and
// refresh in one transaction, holding the project row's lock, so concurrent
// changes cannot lose updates.
func (tx *Tx) RefreshProject(ctx context.Context, projectID uuid.UUID) error {
	ch, err := tx.refreshProject(ctx, projectID, false, time.Now())
	if err != nil || ch.from == ch.to {
		return err
	}
	kind := onboardiq.EventProjectStatusChanged
	if ch.to == onboardiq.StatusCompleted {
		kind = onboardiq.EventProjectCompleted
	}
	return tx.Emit(ctx, onboardiq.Event{Kind: kind, CustomerID: &ch.customerID, ProjectID: &projectID,
		Changes: map[string]any{"status": map[string]any{"from": ch.from, "to": ch.to}},
		Data:    ch.data()})
}

// statusChange is what refreshProject did to a project.
type statusChange struct {
	customerID uuid.UUID
	name       string
	from, to   onboardiq.Status
	progress   float64
}

// data is what a project status event carries.
func (c *statusChange) data() map[string]any {
	return map[string]any{"name": c.name, "progress": c.progress, "status": c.to, "previous_status": c.from}
}

// refreshProject is RefreshProject without its event. With release, the
// status follows the tasks even from on hold or cancelled (resuming and
// reopening); without, those stay, and a cancelled project is left alone
// (its change is from cancelled to cancelled). The caller holds the
// project's lock.
func (tx *Tx) refreshProject(ctx context.Context, projectID uuid.UUID, release bool, now time.Time) (*statusChange, error) {
	ch := &statusChange{}
	err := tx.QueryRow(ctx, `
WITH s AS (
    SELECT count(*) FILTER (WHERE status <> 'cancelled') AS total,
           count(*) FILTER (WHERE status = 'completed') AS done,
           count(*) FILTER (WHERE status IN ('in_progress', 'blocked', 'completed')) AS started,
           max(completed_at) AS last_done
    FROM tasks WHERE tenant_id = @tenant AND project_id = @project
), old AS (
    SELECT status FROM projects WHERE tenant_id = @tenant AND project_id = @project
), n AS (
    SELECT CASE WHEN old.status = 'on_hold' AND NOT @release THEN 'on_hold'
                WHEN s.total > 0 AND s.done = s.total THEN 'completed'
                WHEN s.started > 0 THEN 'in_progress'
                ELSE 'not_started' END AS status
    FROM s, old
)
UPDATE projects p SET
    progress = CASE WHEN s.total = 0 THEN 0 ELSE round(100.0 * s.done / s.total, 2) END,
    status = n.status,
    status_reason = CASE WHEN n.status = old.status THEN p.status_reason END,
    status_changed_at = CASE WHEN n.status = old.status THEN p.status_changed_at ELSE @now END,
    completed_at = CASE WHEN n.status = 'completed' THEN coalesce(p.completed_at, s.last_done, @now) END,
    updated_at = @now
FROM s, old, n
WHERE p.tenant_id = @tenant AND p.project_id = @project AND (@release OR p.status <> 'cancelled')
RETURNING p.customer_id, p.name, old.status, p.status, p.progress`,
		pgx.NamedArgs{"tenant": tx.TenantID(), "project": projectID, "release": release, "now": now}).
		Scan(&ch.customerID, &ch.name, &ch.from, &ch.to, &ch.progress)
	if errors.Is(err, pgx.ErrNoRows) {
		return &statusChange{from: onboardiq.StatusCancelled, to: onboardiq.StatusCancelled}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("refresh project: %w", err)
	}
	return ch, nil
}
