package notify

import (
	"fmt"
	"time"

	"github.com/onboardiq/onboardiq"
)

// WebhookMessage is one webhook event to publish: its type and its body
// ({"type", "timestamp", "data"}).
type WebhookMessage struct {
	Type string
	Body map[string]any
}

// WebhookMessages are the webhook events a recorded event is published as:
// none for most kinds; a project's completion is both a status change and
// a completion; putting a project on hold, resuming, cancelling and
// reopening it are status changes (and a completion, when resuming or
// reopening lands on completed). The body is built from the event alone, as it was when it
// happened, so a late or repeated fan-out publishes the same thing.
func WebhookMessages(e *onboardiq.Event) []WebhookMessage {
	var data map[string]any
	types := []onboardiq.EventKind{e.Kind}
	switch e.Kind {
	case onboardiq.EventTaskCompleted, onboardiq.EventTaskBlocked:
		data = map[string]any{"task": map[string]any{
			"id": e.TaskID, "description": e.Data["description"], "status": e.Data["status"],
			"blocked_reason": e.Data["blocked_reason"], "project_id": e.ProjectID, "customer_id": e.CustomerID}}
	case onboardiq.EventProjectStatusChanged, onboardiq.EventProjectCompleted,
		onboardiq.EventProjectPutOnHold, onboardiq.EventProjectResumed, onboardiq.EventProjectCancelled, onboardiq.EventProjectReopened:
		project := map[string]any{
			"id": e.ProjectID, "name": e.Data["name"], "customer_id": e.CustomerID,
			"status": e.Data["status"], "progress": e.Data["progress"]}
		data = map[string]any{"project": project, "previous_status": e.Data["previous_status"]}
		switch e.Kind {
		case onboardiq.EventProjectCompleted:
			types = []onboardiq.EventKind{onboardiq.EventProjectStatusChanged, onboardiq.EventProjectCompleted}
		case onboardiq.EventProjectPutOnHold, onboardiq.EventProjectCancelled:
			// Changed by hand, with a reason: published as a status change.
			project["status_reason"] = e.Data["reason"]
			types = []onboardiq.EventKind{onboardiq.EventProjectStatusChanged}
		case onboardiq.EventProjectResumed, onboardiq.EventProjectReopened:
			// Back to what the tasks say, which may be completed.
			types = []onboardiq.EventKind{onboardiq.EventProjectStatusChanged}
			if fmt.Sprint(e.Data["status"]) == string(onboardiq.StatusCompleted) {
				types = append(types, onboardiq.EventProjectCompleted)
			}
		}
	case onboardiq.EventProjectOverdue, onboardiq.EventProjectAtRisk:
		data = e.Data // the alert's snapshot of the project, as the scan saw it
	default:
		return nil
	}
	out := make([]WebhookMessage, len(types))
	for i, t := range types {
		out[i] = WebhookMessage{Type: string(t), Body: map[string]any{
			"type": string(t), "timestamp": e.OccurredAt.UTC().Format(time.RFC3339), "data": data}}
	}
	return out
}
