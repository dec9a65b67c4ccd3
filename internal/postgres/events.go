package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// Event is one entry of the activity log.
type Event struct {
	Kind       string
	CustomerID *uuid.UUID
	ProjectID  *uuid.UUID
	TaskID     *uuid.UUID
	Changes    map[string]any // field → {"from": …, "to": …}
	Data       map[string]any
}

// RecordEvent appends e to the activity log in tx, as the principal in ctx
// (none for the command line).
func RecordEvent(ctx context.Context, tx *Tx, e Event) error {
	var actor *uuid.UUID
	if p := onboardiq.PrincipalFromContext(ctx); p != nil {
		actor = p.Actor()
	}
	if e.Changes == nil {
		e.Changes = map[string]any{}
	}
	if e.Data == nil {
		e.Data = map[string]any{}
	}
	_, err := tx.Exec(ctx, `
INSERT INTO events (tenant_id, actor_user_id, kind, customer_id, project_id, task_id, changes, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		tx.TenantID(), actor, e.Kind, e.CustomerID, e.ProjectID, e.TaskID, e.Changes, e.Data)
	if err != nil {
		return fmt.Errorf("record event %s: %w", e.Kind, err)
	}
	return nil
}
