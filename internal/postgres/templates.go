package postgres

import (
	"context"
	"errors"
	"fmt"

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
// that from the previous one.
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
		id, err := createTemplate(ctx, tx, in.Name, in.Description, in.Tasks, in.IsDefault)
		if onboardiq.ErrorCode(err) == onboardiq.ECONFLICT {
			return &onboardiq.Error{Code: onboardiq.ECONFLICT, Field: "name", Message: fmt.Sprintf("a template named %q exists", in.Name)}
		}
		if err != nil {
			return err
		}
		out, err = getTemplate(ctx, tx, id)
		return err
	})
	return out, err
}

// UpdateTemplate replaces a template's name, description, default flag and
// tasks (admins). Projects made from it keep their tasks.
func (db *DB) UpdateTemplate(ctx context.Context, id uuid.UUID, in onboardiq.Template) (*onboardiq.Template, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *onboardiq.Template
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageTemplates); err != nil {
			return err
		}
		before, err := getTemplate(ctx, tx, id)
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
				return &onboardiq.Error{Code: onboardiq.ECONFLICT, Field: "name", Message: fmt.Sprintf("a template named %q exists", in.Name)}
			}
			return fmt.Errorf("update template: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM template_tasks WHERE tenant_id = $1 AND template_id = $2`, tx.TenantID(), id); err != nil {
			return err
		}
		if err := insertTemplateTasks(ctx, tx, id, in.Tasks); err != nil {
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
			ch["tasks"] = map[string]any{"from": len(before.Tasks), "to": len(out.Tasks)}
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTemplateUpdated, Data: map[string]any{"template_id": id}, Changes: ch})
	})
	return out, err
}

// DeleteTemplate deletes a template (admins); projects made from it keep
// their tasks.
func (db *DB) DeleteTemplate(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageTemplates); err != nil {
			return err
		}
		if err := clearReferences(ctx, tx, []string{`UPDATE projects SET template_id = NULL WHERE tenant_id = $1 AND template_id = $2`}, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete template: %w", err)
		}
		var name string
		err := tx.QueryRow(ctx, `DELETE FROM templates WHERE tenant_id = $1 AND template_id = $2 RETURNING name`, tx.TenantID(), id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "template not found")
		}
		if err != nil {
			return fmt.Errorf("delete template: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTemplateDeleted, Data: map[string]any{"template_id": id, "name": name}})
	})
}

// createTemplate adds a template with its tasks, in order, to the tenant tx
// runs in.
func createTemplate(ctx context.Context, tx *Tx, name, description string, tasks []onboardiq.TemplateTask, isDefault bool) (uuid.UUID, error) {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `
INSERT INTO templates (tenant_id, name, description, is_default) VALUES ($1, $2, $3, $4)
RETURNING template_id`, tx.TenantID(), name, description, isDefault).Scan(&id)
	if err != nil {
		return uuid.Nil, storeError(err, fmt.Sprintf("template %q", name))
	}
	if err := insertTemplateTasks(ctx, tx, id, tasks); err != nil {
		return uuid.Nil, err
	}
	return id, tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTemplateCreated, Data: map[string]any{"template_id": id, "name": name}})
}

// insertTemplateTasks adds tasks, in order, to a template.
func insertTemplateTasks(ctx context.Context, tx *Tx, id uuid.UUID, tasks []onboardiq.TemplateTask) error {
	n := len(tasks)
	phases, descs, details, sides, vis := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	offsets, durations := make([]int32, n), make([]int32, n)
	for i, t := range tasks {
		phases[i], descs[i], details[i], sides[i], vis[i] = t.Phase, t.Description, t.Details, t.Side, string(t.Visibility)
		offsets[i], durations[i] = int32(t.OffsetDays), int32(t.DurationDays)
	}
	// RETURNING: an INSERT … SELECT without it goes through COPY on Citus,
	// which row-level security refuses.
	rows, err := tx.Query(ctx, `
INSERT INTO template_tasks (tenant_id, template_id, position, phase, description, details, offset_days, duration_days, side, visibility)
SELECT $1, $2, t.ord - 1, t.phase, t.description, t.details, t.offset_days, t.duration_days, t.side, t.visibility
FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[], $9::text[])
     WITH ORDINALITY AS t(phase, description, details, offset_days, duration_days, side, visibility, ord)
RETURNING template_task_id`,
		tx.TenantID(), id, phases, descs, details, offsets, durations, sides, vis)
	if err == nil {
		_, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	}
	if err != nil {
		return fmt.Errorf("insert template tasks: %w", err)
	}
	return nil
}

// loadTemplates reads templates with their tasks: all of the tenant's, or
// one (id).
func loadTemplates(ctx context.Context, tx *Tx, id *uuid.UUID) ([]*onboardiq.Template, error) {
	rows, err := tx.Query(ctx, `
SELECT t.template_id, t.name, t.description, t.is_default, t.created_at, t.updated_at,
       coalesce(jsonb_agg(jsonb_build_object(
           'phase', tt.phase, 'description', tt.description, 'details', tt.details, 'offset_days', tt.offset_days,
           'duration_days', tt.duration_days, 'side', tt.side, 'visibility', tt.visibility) ORDER BY tt.position)
           FILTER (WHERE tt.template_task_id IS NOT NULL), '[]')
FROM templates t
LEFT JOIN template_tasks tt ON tt.tenant_id = t.tenant_id AND tt.template_id = t.template_id
WHERE t.tenant_id = $1 AND ($2::uuid IS NULL OR t.template_id = $2)
GROUP BY t.tenant_id, t.template_id
ORDER BY t.is_default DESC, t.name`, tx.TenantID(), id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Template, error) {
		t := &onboardiq.Template{}
		err := r.Scan(&t.ID, &t.Name, &t.Description, &t.IsDefault, &t.CreatedAt, &t.UpdatedAt, &t.Tasks)
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

// clearDefault unsets the tenant's default template, so another can take
// its place.
func clearDefault(ctx context.Context, tx *Tx) error {
	_, err := tx.Exec(ctx, `UPDATE templates SET is_default = false, updated_at = now() WHERE tenant_id = $1 AND is_default`, tx.TenantID())
	return err
}
