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
// a template, the template's tasks are created too, dated in working days
// (weekends and the tenant's holidays skipped): a task starts its offset
// after the project's first working day and is due its duration after its
// start; customer-side tasks are assigned to the customer's first contact
// and vendor-side ones to its support member, and the template's
// dependencies hold between the new tasks. Without a deadline, the project
// is due when its last task is.
func (tx *Tx) CreateProject(ctx context.Context, in onboardiq.NewProject) (*onboardiq.Project, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	tenant := tx.TenantID()
	var plan templatePlan
	if in.TemplateID != nil {
		var err error
		if plan, err = planTemplate(ctx, tx, *in.TemplateID, in.StartDate); err != nil {
			return nil, err
		}
		if in.Deadline == nil && plan.last != nil {
			in.Deadline = plan.last
		}
	}
	cf, err := checkCustomFieldValues(ctx, tx, onboardiq.CustomFieldProject, in.CustomFields)
	if err != nil {
		return nil, err
	}
	p := &onboardiq.Project{TenantID: tenant, CustomerID: in.CustomerID, TemplateID: in.TemplateID,
		Name: in.Name, Description: in.Description, StartDate: in.StartDate, Deadline: in.Deadline, CustomFields: cf}
	err = tx.QueryRow(ctx, `
INSERT INTO projects (tenant_id, customer_id, template_id, name, description, start_date, deadline, custom_fields)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING project_id, status, progress, created_at, updated_at`,
		tenant, p.CustomerID, p.TemplateID, p.Name, p.Description, p.StartDate, p.Deadline, p.CustomFields).
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
	if len(plan.ids) > 0 {
		// RETURNING: an INSERT … SELECT without it goes through COPY on
		// Citus, which row-level security refuses.
		rows, err := tx.Query(ctx, `
INSERT INTO tasks (tenant_id, project_id, template_task_id, phase, position, description, details, start_at, due_at, visibility, assigned_to)
SELECT $1, $2, tt.template_task_id, tt.phase, tt.position, tt.description, tt.details, d.start_at, d.due_at, tt.visibility,
       CASE tt.side
           WHEN 'customer' THEN (SELECT u.user_id FROM tenant_users u
                                 WHERE u.tenant_id = $1 AND u.customer_id = $3 AND u.disabled_at IS NULL
                                 ORDER BY u.created_at, u.email LIMIT 1)
           ELSE (SELECT c.support_member_id FROM customers c WHERE c.tenant_id = $1 AND c.customer_id = $3)
       END
FROM template_tasks tt
JOIN unnest($5::uuid[], $6::timestamptz[], $7::timestamptz[]) AS d(template_task_id, start_at, due_at)
  ON d.template_task_id = tt.template_task_id
WHERE tt.tenant_id = $1 AND tt.template_id = $4
ORDER BY tt.position
RETURNING task_id`, tenant, p.ID, p.CustomerID, *in.TemplateID, plan.ids, plan.starts, plan.dues)
		if err != nil {
			return nil, fmt.Errorf("instantiate template: %w", err)
		}
		if taskIDs, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return nil, fmt.Errorf("instantiate template: %w", err)
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO task_dependencies (tenant_id, task_id, depends_on_task_id)
SELECT $1, t.task_id, pre.task_id
FROM template_task_dependencies td
JOIN tasks t ON t.tenant_id = td.tenant_id AND t.project_id = $2 AND t.template_task_id = td.template_task_id
JOIN tasks pre ON pre.tenant_id = td.tenant_id AND pre.project_id = $2 AND pre.template_task_id = td.depends_on_template_task_id
WHERE td.tenant_id = $1
RETURNING 1`, tenant, p.ID); err != nil {
			return nil, fmt.Errorf("instantiate template dependencies: %w", err)
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

// templatePlan is when each task of a template starts and is due for a
// project starting at a given time, and when the last is due.
type templatePlan struct {
	ids          []uuid.UUID
	starts, dues []time.Time
	last         *time.Time
}

// planTemplate dates a template's tasks for a project starting at start,
// in working days: day 0 is the first working day on or after start.
func planTemplate(ctx context.Context, tx *Tx, templateID uuid.UUID, start time.Time) (templatePlan, error) {
	var (
		plan     templatePlan
		offsets  []int
		duration []int
		holidays []onboardiq.Holiday
	)
	b := &pgx.Batch{}
	b.Queue(`SELECT template_task_id, offset_days, duration_days FROM template_tasks WHERE tenant_id = $1 AND template_id = $2 ORDER BY position`,
		tx.TenantID(), templateID).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var o, d int
		_, err := pgx.ForEachRow(rows, []any{&id, &o, &d}, func() error {
			plan.ids, offsets, duration = append(plan.ids, id), append(offsets, o), append(duration, d)
			return nil
		})
		return err
	})
	b.Queue(holidaysQuery, tx.TenantID()).Query(func(rows pgx.Rows) (err error) {
		holidays, err = scanHolidays(rows)
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return plan, fmt.Errorf("template plan: %w", err)
	}
	cal := calendarOf(holidays)
	day0 := firstWorkday(cal, start)
	for i := range plan.ids {
		s := addWorkdays(cal, day0, offsets[i])
		d := addWorkdays(cal, s, duration[i])
		plan.starts, plan.dues = append(plan.starts, s), append(plan.dues, d)
		if plan.last == nil || d.After(*plan.last) {
			plan.last = &d
		}
	}
	return plan, nil
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
