package notify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

func TestWebhookMessages(t *testing.T) {
	t.Parallel()
	task, project, customer := uuid.New(), uuid.New(), uuid.New()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	reason := "Waiting for the IdP metadata"
	cases := []struct {
		name  string
		event onboardiq.Event
		want  map[string]string // webhook type: JSON of its data
	}{
		{"task blocked", onboardiq.Event{Kind: onboardiq.EventTaskBlocked, TaskID: &task, ProjectID: &project, CustomerID: &customer,
			Data: map[string]any{"description": "Configure SSO", "status": "blocked", "blocked_reason": reason}},
			map[string]string{"task.blocked": `{"task":{"blocked_reason":"Waiting for the IdP metadata","customer_id":"` + customer.String() +
				`","description":"Configure SSO","id":"` + task.String() + `","project_id":"` + project.String() + `","status":"blocked"}}`}},
		{"task completed", onboardiq.Event{Kind: onboardiq.EventTaskCompleted, TaskID: &task, ProjectID: &project, CustomerID: &customer,
			Data: map[string]any{"description": "Go live", "status": "completed", "blocked_reason": nil}},
			map[string]string{"task.completed": `{"task":{"blocked_reason":null,"customer_id":"` + customer.String() +
				`","description":"Go live","id":"` + task.String() + `","project_id":"` + project.String() + `","status":"completed"}}`}},
		{"project started", onboardiq.Event{Kind: onboardiq.EventProjectStatusChanged, ProjectID: &project, CustomerID: &customer,
			Data: map[string]any{"name": "Rollout", "progress": 50.0, "status": "in_progress", "previous_status": "not_started"}},
			map[string]string{"project.status_changed": `{"previous_status":"not_started","project":{"customer_id":"` + customer.String() +
				`","id":"` + project.String() + `","name":"Rollout","progress":50,"status":"in_progress"}}`}},
		{"project completed is a status change too", onboardiq.Event{Kind: onboardiq.EventProjectCompleted, ProjectID: &project, CustomerID: &customer,
			Data: map[string]any{"name": "Rollout", "progress": 100.0, "status": "completed", "previous_status": "in_progress"}},
			map[string]string{
				"project.status_changed": `{"previous_status":"in_progress","project":{"customer_id":"` + customer.String() + `","id":"` + project.String() + `","name":"Rollout","progress":100,"status":"completed"}}`,
				"project.completed":      `{"previous_status":"in_progress","project":{"customer_id":"` + customer.String() + `","id":"` + project.String() + `","name":"Rollout","progress":100,"status":"completed"}}`}},
		{"project put on hold is a status change with its reason", onboardiq.Event{Kind: onboardiq.EventProjectPutOnHold, ProjectID: &project, CustomerID: &customer,
			Data: map[string]any{"name": "Rollout", "progress": 40.0, "status": "on_hold", "previous_status": "in_progress", "reason": "Customer re-org"}},
			map[string]string{"project.status_changed": `{"previous_status":"in_progress","project":{"customer_id":"` + customer.String() +
				`","id":"` + project.String() + `","name":"Rollout","progress":40,"status":"on_hold","status_reason":"Customer re-org"}}`}},
		{"project cancelled", onboardiq.Event{Kind: onboardiq.EventProjectCancelled, ProjectID: &project, CustomerID: &customer,
			Data: map[string]any{"name": "Rollout", "progress": 40.0, "status": "cancelled", "previous_status": "on_hold", "reason": "Churned"}},
			map[string]string{"project.status_changed": `{"previous_status":"on_hold","project":{"customer_id":"` + customer.String() +
				`","id":"` + project.String() + `","name":"Rollout","progress":40,"status":"cancelled","status_reason":"Churned"}}`}},
		{"project resumed", onboardiq.Event{Kind: onboardiq.EventProjectResumed, ProjectID: &project, CustomerID: &customer,
			Data: map[string]any{"name": "Rollout", "progress": 40.0, "status": "in_progress", "previous_status": "on_hold", "held_days": 3}},
			map[string]string{"project.status_changed": `{"previous_status":"on_hold","project":{"customer_id":"` + customer.String() +
				`","id":"` + project.String() + `","name":"Rollout","progress":40,"status":"in_progress"}}`}},
		{"project reopened onto completed is a completion too", onboardiq.Event{Kind: onboardiq.EventProjectReopened, ProjectID: &project, CustomerID: &customer,
			Data: map[string]any{"name": "Rollout", "progress": 100.0, "status": "completed", "previous_status": "cancelled"}},
			map[string]string{
				"project.status_changed": `{"previous_status":"cancelled","project":{"customer_id":"` + customer.String() + `","id":"` + project.String() + `","name":"Rollout","progress":100,"status":"completed"}}`,
				"project.completed":      `{"previous_status":"cancelled","project":{"customer_id":"` + customer.String() + `","id":"` + project.String() + `","name":"Rollout","progress":100,"status":"completed"}}`}},
		{"overdue keeps the scan's snapshot", onboardiq.Event{Kind: onboardiq.EventProjectOverdue, ProjectID: &project,
			Data: map[string]any{"project": map[string]any{"name": "Rollout", "deadline": "2026-03-01T00:00:00Z"}}},
			map[string]string{"project.overdue": `{"project":{"deadline":"2026-03-01T00:00:00Z","name":"Rollout"}}`}},
		{"at risk", onboardiq.Event{Kind: onboardiq.EventProjectAtRisk, ProjectID: &project, Data: map[string]any{"reason": "slow"}},
			map[string]string{"project.at_risk": `{"reason":"slow"}`}},
		{"a task renamed is not published", onboardiq.Event{Kind: onboardiq.EventTaskUpdated, TaskID: &task}, nil},
		{"a comment is not published", onboardiq.Event{Kind: onboardiq.EventTaskCommented, TaskID: &task}, nil},
		{"a customer created is not published", onboardiq.Event{Kind: onboardiq.EventCustomerCreated}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.event.OccurredAt = at
			got := WebhookMessages(&c.event)
			if len(got) != len(c.want) {
				t.Fatalf("%d messages, want %d: %+v", len(got), len(c.want), got)
			}
			for _, m := range got {
				want, ok := c.want[m.Type]
				if !ok {
					t.Errorf("unexpected type %s", m.Type)
					continue
				}
				if m.Body["type"] != m.Type || m.Body["timestamp"] != "2026-03-04T04:06:07Z" {
					t.Errorf("%s: type %v, timestamp %v", m.Type, m.Body["type"], m.Body["timestamp"])
				}
				data, err := json.Marshal(m.Body["data"])
				if err != nil || string(data) != want {
					t.Errorf("%s data:\n got %s\nwant %s", m.Type, data, want)
				}
			}
		})
	}
	// Every kind an endpoint can subscribe to is published.
	for _, k := range onboardiq.WebhookEvents {
		if len(WebhookMessages(&onboardiq.Event{Kind: k, Data: map[string]any{}})) == 0 {
			t.Errorf("%s is a webhook event but nothing publishes it", k)
		}
	}
}
