package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

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
	return id, RecordEvent(ctx, tx, Event{Kind: "template.created", Data: map[string]any{"template_id": id, "name": name}})
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
	_, err := tx.Exec(ctx, `
INSERT INTO template_tasks (tenant_id, template_id, position, phase, description, details, offset_days, duration_days, side, visibility)
SELECT $1, $2, t.ord - 1, t.phase, t.description, t.details, t.offset_days, t.duration_days, t.side, t.visibility
FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[], $9::text[])
     WITH ORDINALITY AS t(phase, description, details, offset_days, duration_days, side, visibility, ord)`,
		tx.TenantID(), id, phases, descs, details, offsets, durations, sides, vis)
	if err != nil {
		return fmt.Errorf("insert template tasks: %w", err)
	}
	return nil
}
