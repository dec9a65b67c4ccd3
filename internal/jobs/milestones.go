package jobs

import (
	"context"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// evaluateMilestones records the milestones an event may have reached:
// usage.ingested for the customers whose usage arrived, a task's
// completion (or another status change, which a reopened-and-completed
// task passes through) for the task's customer. Run twice it records
// nothing more: a milestone is reached once (docs/customer-success.md).
func evaluateMilestones(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	var customers []uuid.UUID
	switch e.Kind {
	case onboardiq.EventUsageIngested:
		list, _ := e.Data["customer_ids"].([]any)
		for _, v := range list {
			s, _ := v.(string)
			if id, err := uuid.Parse(s); err == nil {
				customers = append(customers, id)
			}
		}
		if len(customers) == 0 && e.CustomerID != nil {
			customers = append(customers, *e.CustomerID)
		}
	case onboardiq.EventTaskCompleted, onboardiq.EventTaskStatusChanged:
		if e.CustomerID != nil {
			customers = append(customers, *e.CustomerID)
		}
	}
	if len(customers) == 0 {
		return nil
	}
	_, err := tx.EvaluateMilestones(ctx, customers)
	return err
}
