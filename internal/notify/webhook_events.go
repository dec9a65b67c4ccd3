package notify

import (
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
// a completion. The body is built from the event alone, as it was when it
// happened, so a late or repeated fan-out publishes the same thing.
func WebhookMessages(e *onboardiq.Event) []WebhookMessage {
	var data map[string]any
	types := []onboardiq.EventKind{e.Kind}
	switch e.Kind {
	case onboardiq.EventTaskCompleted, onboardiq.EventTaskBlocked:
		data = map[string]any{"task": map[string]any{
			"id": e.TaskID, "description": e.Data["description"], "status": e.Data["status"],
			"blocked_reason": e.Data["blocked_reason"], "project_id": e.ProjectID, "customer_id": e.CustomerID}}
	case onboardiq.EventProjectStatusChanged, onboardiq.EventProjectCompleted:
		data = map[string]any{"project": map[string]any{
			"id": e.ProjectID, "name": e.Data["name"], "customer_id": e.CustomerID,
			"status": e.Data["status"], "progress": e.Data["progress"]},
			"previous_status": e.Data["previous_status"]}
		if e.Kind == onboardiq.EventProjectCompleted {
			types = []onboardiq.EventKind{onboardiq.EventProjectStatusChanged, onboardiq.EventProjectCompleted}
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
