package jobs

import (
	"context"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/journey"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// journeyTriggers are the events that move customers by the workspace's
// journey rules, and the trigger each is (besides a health level change,
// whose trigger names the level).
var journeyTriggers = map[onboardiq.EventKind]string{
	onboardiq.EventProjectCreated:   journey.ProjectStarted,
	onboardiq.EventProjectCompleted: journey.ProjectCompleted,
}

// moveByJourneyRules moves the event's customer to the stage the
// workspace's rules name for it (docs/customer-success.md). Run twice, it
// moves nothing more: an event moves a customer once.
func moveByJourneyRules(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	if e.CustomerID == nil {
		return nil
	}
	trigger, ok := healthTrigger(e)
	if on, known := journeyTriggers[e.Kind]; known {
		trigger, ok = journey.Trigger{On: on}, true
	}
	if !ok {
		return nil
	}
	_, err := tx.ApplyJourneyRules(ctx, *e.CustomerID, trigger, e.ID, time.Now())
	return err
}
