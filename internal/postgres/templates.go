package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// ListTemplates lists the tenant's templates, the default first (staff).
func (db *DB) ListTemplates(ctx context.Context) ([]*onboardiq.Template, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]*onboardiq.Template, error) {
		if err := p.Check(onboardiq.ReadTemplates); err != nil {
			return nil, err
		}
		return loadTemplates(ctx, tx, nil)
	})
}

// GetTemplate returns a template (staff).
func (db *DB) GetTemplate(ctx context.Context, id uuid.UUID) (*onboardiq.Template, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Template, error) {
		if err := p.Check(onboardiq.ReadTemplates); err != nil {
			return nil, err
		}
		return getTemplate(ctx, tx, id)
	})
}

// CreateTemplate adds a template (admins). Making it the default takes
// that from the previous one. Tasks may come with ids of the caller's
// choosing (so that one can name another as a predecessor); the others get
// new ones.
func (db *DB) CreateTemplate(ctx context.Context, in onboardiq.Template) (*onboardiq.Template, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *onboardiq.Template
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageTemplates); err != nil {
			return err
		}
		if in.IsDefault {
			if err := clearDefault(ctx, tx); err != nil {
				return err
			}
		}
		id, err := createTemplate(ctx, tx, in, nil)
		if err != nil {
			return err
		}
		out, err = getTemplate(ctx, tx, id)
		return err
	})
	return out, err
}

// UpdateTemplate replaces a template's name, description, default flag and
// tasks (admins), keeping the tasks' ids: a task sent with the id of one of
// the template's tasks changes that task in place, a task without an id
// (or with a new one) is added, and the template's tasks left out are
// deleted, with their dependencies. The tasks take the order they are
// sent in. Projects made from the template keep their tasks, and their
// link to the kept template tasks.
func (db *DB) UpdateTemplate(ctx context.Context, id uuid.UUID, in onboardiq.Template) (*onboardiq.Template, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *onboardiq.Template
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageTemplates); err != nil {
			return err
		}
		before, err := lockTemplate(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.IsDefault && !before.IsDefault {
			if err := clearDefault(ctx, tx); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `
UPDATE templates SET name = $3, description = $4, is_default = $5, updated_at = now() WHERE tenant_id = $1 AND template_id = $2`,
			tx.TenantID(), id, in.Name, in.Description, in.IsDefault); err != nil {
			if onboardiq.ErrorCode(storeError(err, "")) == onboardiq.ECONFLICT {
				return nameTaken(in.Name)
			}
			return fmt.Errorf("update template: %w", err)
		}
		if err := writeTemplateTasks(ctx, tx, id, before.Tasks, in.Tasks); err != nil {
			return err
		}
		if out, err = getTemplate(ctx, tx, id); err != nil {
			return err
		}
		ch := changes(before, out, "name", "description", "is_default", "tasks")
		if len(ch) == 0 {
			return nil
		}
		if _, ok := ch["tasks"]; ok { // the whole list is too long for the log
			ch["tasks"] = taskChanges(before.Tasks, out.Tasks)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTemplateUpdated, Data: map[string]any{"template_id": id, "name": out.Name}, Changes: ch})
	})
	return out, err
}

// DuplicateTemplate copies a template under a new name (admins): the same
// tasks and dependencies, with ids of their own; never the default. An
// empty name is "Copy of …" (numbered when that is taken).
func (db *DB) DuplicateTemplate(ctx context.Context, id uuid.UUID, name string) (*onboardiq.Template, error) {
	var out *onboardiq.Template
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageTemplates); err != nil {
			return err
		}
		src, err := getTemplate(ctx, tx, id)
		if err != nil {
			return err
		}
		if name == "" {
			if name, err = freeName(ctx, tx, "Copy of "+src.Name); err != nil {
				return err
			}
		}
		in := onboardiq.Template{Name: name, Description: src.Description, Tasks: onboardiq.CopyTemplateTasks(src.Tasks)}
		if err := in.Validate(); err != nil {
			return err
		}
		newID, err := createTemplate(ctx, tx, in, map[string]any{"copied_from": id})
		if err != nil {
			return err
		}
		out, err = getTemplate(ctx, tx, newID)
		return err
	})
	return out, err
}

// CreateTemplateFromProject makes a template of a project's tasks
// (admins): their phases, titles, details and visibility, in order; the
// side from the assignee (a customer contact's task is the customer's,
// any other the vendor's); the start offset and the duration in working
// days (the tenant's calendar) from the project's start to the task's
// start (or, without one, the previous task's due date) and on to its due
// date, counted as a project's dates are (the UTC calendar, day 0 the
// project's first working day); and the dependencies between them.
// Cancelled tasks are left out. An empty name is the project's.
func (db *DB) CreateTemplateFromProject(ctx context.Context, projectID uuid.UUID, name string) (*onboardiq.Template, error) {
	var out *onboardiq.Template
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageTemplates); err != nil {
			return err
		}
		in, err := templateOfProject(ctx, tx, projectID)
		if err != nil {
			return err
		}
		if name != "" {
			in.Name = name
		}
		if err := in.Validate(); err != nil {
			return err
		}
		id, err := createTemplate(ctx, tx, *in, map[string]any{"project_id": projectID})
		if err != nil {
			return err
		}
		out, err = getTemplate(ctx, tx, id)
		return err
	})
	return out, err
}

// DeleteTemplate deletes a template (admins), but not the default one:
// another must be made the default first. Projects made from it keep their
// tasks; they no longer name the template.
func (db *DB) DeleteTemplate(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageTemplates); err != nil {
			return err
		}
		var isDefault bool
		err := tx.QueryRow(ctx, `SELECT is_default FROM templates WHERE tenant_id = $1 AND template_id = $2 FOR UPDATE`, tx.TenantID(), id).Scan(&isDefault)
		if errors.Is(err, pgx.ErrNoRows) {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "template not found")
		}
		if err != nil {
			return fmt.Errorf("delete template: %w", err)
		}
		if isDefault {
			return onboardiq.Errorf(onboardiq.ECONFLICT, "the default template cannot be deleted: make another template the default first")
		}
		if err := clearReferences(ctx, tx, []string{`UPDATE projects SET template_id = NULL WHERE tenant_id = $1 AND template_id = $2`}, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete template: %w", err)
		}
		var name string
		if err := tx.QueryRow(ctx, `DELETE FROM templates WHERE tenant_id = $1 AND template_id = $2 RETURNING name`, tx.TenantID(), id).Scan(&name); err != nil {
			return fmt.Errorf("delete template: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTemplateDeleted, Data: map[string]any{"template_id": id, "name": name}})
	})
}

// createTemplate adds a validated template with its tasks, in order, to the
// tenant tx runs in, and records it (with data added to the event's).
func createTemplate(ctx context.Context, tx *Tx, in onboardiq.Template, data map[string]any) (uuid.UUID, error) {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `
INSERT INTO templates (tenant_id, name, description, is_default) VALUES ($1, $2, $3, $4)
RETURNING template_id`, tx.TenantID(), in.Name, in.Description, in.IsDefault).Scan(&id)
	if onboardiq.ErrorCode(storeError(err, "")) == onboardiq.ECONFLICT {
		return uuid.Nil, nameTaken(in.Name)
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("insert template: %w", err)
	}
	if err := writeTemplateTasks(ctx, tx, id, nil, in.Tasks); err != nil {
		return uuid.Nil, err
	}
	ev := map[string]any{"template_id": id, "name": in.Name}
	for k, v := range data {
		ev[k] = v
	}
	return id, tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTemplateCreated, Data: ev})
}

// createDefaultTemplate gives a new tenant the default plan, with task ids
// of its own.
func createDefaultTemplate(ctx context.Context, tx *Tx) error {
	_, err := createTemplate(ctx, tx, onboardiq.Template{Name: onboardiq.DefaultTemplateName,
		Description: "The classic eight-week plan, in working days: kickoff, technical setup, training, go-live and post-launch.",
		IsDefault:   true, Tasks: onboardiq.CopyTemplateTasks(onboardiq.DefaultTemplate)}, nil)
	return err
}

func nameTaken(name string) error {
	return &onboardiq.Error{Code: onboardiq.ECONFLICT, Field: "name", Message: fmt.Sprintf("a template named %q exists", name)}
}

// loadTemplates reads templates with their tasks (each with the tasks it
// waits on, in the template's order) and how many projects were made from
// them: all of the tenant's, or one (id).
func loadTemplates(ctx context.Context, tx *Tx, id *uuid.UUID) ([]*onboardiq.Template, error) {
	rows, err := tx.Query(ctx, `
WITH deps AS (
    SELECT d.template_task_id, jsonb_agg(d.depends_on_template_task_id ORDER BY pre.position, pre.template_task_id) AS ids
    FROM template_task_dependencies d
    JOIN template_tasks pre ON pre.tenant_id = d.tenant_id AND pre.template_task_id = d.depends_on_template_task_id
    WHERE d.tenant_id = $1 AND pre.tenant_id = $1 AND ($2::uuid IS NULL OR pre.template_id = $2)
    GROUP BY d.template_task_id
), uses AS (
    SELECT template_id, count(*) AS n FROM projects WHERE tenant_id = $1 AND template_id IS NOT NULL AND ($2::uuid IS NULL OR template_id = $2)
    GROUP BY template_id
)
SELECT t.template_id, t.name, t.description, t.is_default, t.created_at, t.updated_at, coalesce(max(u.n), 0),
       coalesce(jsonb_agg(jsonb_build_object(
           'id', tt.template_task_id, 'phase', tt.phase, 'description', tt.description, 'details', tt.details,
           'offset_days', tt.offset_days, 'duration_days', tt.duration_days, 'side', tt.side, 'visibility', tt.visibility,
           'depends_on', coalesce(d.ids, '[]'::jsonb)) ORDER BY tt.position)
           FILTER (WHERE tt.template_task_id IS NOT NULL), '[]')
FROM templates t
LEFT JOIN template_tasks tt ON tt.tenant_id = t.tenant_id AND tt.template_id = t.template_id
LEFT JOIN deps d ON d.template_task_id = tt.template_task_id
LEFT JOIN uses u ON u.template_id = t.template_id
WHERE t.tenant_id = $1 AND ($2::uuid IS NULL OR t.template_id = $2)
GROUP BY t.tenant_id, t.template_id
ORDER BY t.is_default DESC, t.name`, tx.TenantID(), id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Template, error) {
		t := &onboardiq.Template{}
		var n int64
		err := r.Scan(&t.ID, &t.Name, &t.Description, &t.IsDefault, &t.CreatedAt, &t.UpdatedAt, &n, &t.Tasks)
		t.Projects = int(n)
		return t, err
	})
}

func getTemplate(ctx context.Context, tx *Tx, id uuid.UUID) (*onboardiq.Template, error) {
	ts, err := loadTemplates(ctx, tx, &id)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "template not found")
	}
	return ts[0], nil
}

// lockTemplate reads a template to change it, holding its row's lock so
// that two edits do not interleave.
func lockTemplate(ctx context.Context, tx *Tx, id uuid.UUID) (*onboardiq.Template, error) {
	err := tx.QueryRow(ctx, `SELECT template_id FROM templates WHERE tenant_id = $1 AND template_id = $2 FOR UPDATE`, tx.TenantID(), id).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "template not found")
	}
	if err != nil {
		return nil, fmt.Errorf("lock template: %w", err)
	}
	return getTemplate(ctx, tx, id)
}

// clearDefault unsets the tenant's default template, so another can take
// its place.
func clearDefault(ctx context.Context, tx *Tx) error {
	_, err := tx.Exec(ctx, `UPDATE templates SET is_default = false, updated_at = now() WHERE tenant_id = $1 AND is_default`, tx.TenantID())
	return err
}

// freeName returns name, or name (2), (3)… when a template has it.
func freeName(ctx context.Context, tx *Tx, name string) (string, error) {
	base := truncate(name, 190)
	rows, err := tx.Query(ctx, `SELECT name FROM templates WHERE tenant_id = $1 AND left(name, $3) = $2`, tx.TenantID(), base, len([]rune(base)))
	if err != nil {
		return "", fmt.Errorf("template names: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("template names: %w", err)
	}
	taken := make(map[string]bool, len(names))
	for _, n := range names {
		taken[n] = true
	}
	try := base
	for i := 2; taken[try]; i++ {
		try = base + " (" + strconv.Itoa(i) + ")"
	}
	return try, nil
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// templateOfProject reads a project's tasks as a template (see
// CreateTemplateFromProject), named after the project.
func templateOfProject(ctx context.Context, tx *Tx, projectID uuid.UUID) (*onboardiq.Template, error) {
	tenant := tx.TenantID()
	var (
		name  string
		start time.Time
	)
	err := tx.QueryRow(ctx, `SELECT name, start_date FROM projects WHERE tenant_id = $1 AND project_id = $2`, tenant, projectID).Scan(&name, &start)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "project not found")
	}
	if err != nil {
		return nil, fmt.Errorf("read project: %w", err)
	}
	cal, err := loadCalendar(ctx, tx)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `
SELECT t.task_id, t.phase, t.description, t.details, t.visibility, t.start_at, t.due_at, coalesce(u.role = 'customer', false)
FROM tasks t
LEFT JOIN tenant_users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to
WHERE t.tenant_id = $1 AND t.project_id = $2 AND t.status <> 'cancelled'
ORDER BY t.position, t.created_at, t.task_id`, tenant, projectID)
	if err != nil {
		return nil, fmt.Errorf("read project tasks: %w", err)
	}
	type projectTask struct {
		id                uuid.UUID
		phase, title, dtl string
		vis               onboardiq.Visibility
		startAt, dueAt    *time.Time
		customerSide      bool
	}
	tasks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (projectTask, error) {
		var t projectTask
		err := r.Scan(&t.id, &t.phase, &t.title, &t.dtl, &t.vis, &t.startAt, &t.dueAt, &t.customerSide)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("read project tasks: %w", err)
	}
	if len(tasks) == 0 {
		return nil, onboardiq.Invalid("project_id", "the project has no tasks to make a template of")
	}
	out := &onboardiq.Template{Name: name, Description: "Made from the project “" + name + "”."}
	ids := make(map[uuid.UUID]uuid.UUID, len(tasks))
	at := make(map[uuid.UUID]int, len(tasks))
	// Day 0 is the project's first working day, as when a project is made
	// from a template (planTemplate): a project saved as a template and
	// made again gets the same dates.
	first := firstWorkday(cal, start)
	var prevDue *time.Time
	phase := "Tasks"
	clamp := func(n int) int { return min(max(n, 0), 3650) }
	for i, t := range tasks {
		if t.phase != "" {
			phase = t.phase
		}
		begin := first
		switch {
		case t.startAt != nil:
			begin = t.startAt.UTC()
		case prevDue != nil:
			begin = prevDue.UTC()
		}
		duration := 1
		if t.dueAt != nil {
			duration = cal.WorkdaysBetween(begin, t.dueAt.UTC())
			prevDue = t.dueAt
		}
		side := onboardiq.SideVendor
		if t.customerSide {
			side = onboardiq.SideCustomer
		}
		pt := onboardiq.TemplateTask{ID: uuid.New(), Phase: phase, Description: t.title, Details: t.dtl,
			OffsetDays: clamp(cal.WorkdaysBetween(first, begin)), DurationDays: clamp(duration),
			Side: side, Visibility: t.vis, DependsOn: []uuid.UUID{}}
		ids[t.id], at[t.id] = pt.ID, i
		out.Tasks = append(out.Tasks, pt)
	}
	rows, err = tx.Query(ctx, `
SELECT d.task_id, d.depends_on_task_id
FROM task_dependencies d
JOIN tasks t ON t.tenant_id = d.tenant_id AND t.task_id = d.task_id
WHERE d.tenant_id = $1 AND t.tenant_id = $1 AND t.project_id = $2`, tenant, projectID)
	if err != nil {
		return nil, fmt.Errorf("read project task dependencies: %w", err)
	}
	deps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]uuid.UUID, error) {
		var d [2]uuid.UUID
		err := r.Scan(&d[0], &d[1])
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("read project task dependencies: %w", err)
	}
	for _, d := range deps {
		i, ok := at[d[0]]
		pre, known := ids[d[1]]
		if ok && known { // a cancelled task is no one's predecessor in the plan
			out.Tasks[i].DependsOn = append(out.Tasks[i].DependsOn, pre)
		}
	}
	pos := make(map[uuid.UUID]int, len(out.Tasks))
	for i, pt := range out.Tasks {
		pos[pt.ID] = i
	}
	for i := range out.Tasks { // in the template's order, as they are read back
		slices.SortFunc(out.Tasks[i].DependsOn, func(a, b uuid.UUID) int { return cmp.Compare(pos[a], pos[b]) })
	}
	return out, nil
}
