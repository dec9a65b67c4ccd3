package jobs

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// event is a delivered webhook body.
type event struct {
	Type string `json:"type"`
	Data struct {
		Task *struct {
			ID            uuid.UUID `json:"id"`
			Status        string    `json:"status"`
			BlockedReason *string   `json:"blocked_reason"`
			ProjectID     uuid.UUID `json:"project_id"`
		} `json:"task"`
		Project *struct {
			ID     uuid.UUID `json:"id"`
			Status string    `json:"status"`
		} `json:"project"`
		PreviousStatus string `json:"previous_status"`
	} `json:"data"`
}

// deliveredEvents waits until r has received n requests (or 30 s pass),
// then a little longer for any extra one, verifies every signature with
// secret, and returns the decoded bodies.
func deliveredEvents(t *testing.T, r *receiver, n int, secret string) []event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(r.got()) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	var out []event
	ids := map[string]bool{}
	for _, req := range r.got() {
		if err := wh.Verify(req.body, req.header); err != nil {
			t.Errorf("signature of %s: %v", req.body, err)
		}
		id := req.header.Get("webhook-id")
		if ids[id] {
			t.Errorf("webhook-id %s delivered twice", id)
		}
		ids[id] = true
		var e event
		if err := json.Unmarshal(req.body, &e); err != nil {
			t.Fatalf("body %s: %v", req.body, err)
		}
		out = append(out, e)
	}
	return out
}

func types(events []event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Type)
	}
	slices.Sort(out)
	return out
}

// TestTaskAndProjectEventsDelivered: blocking and completing tasks, and the
// project status changes that follow, queue task.blocked, task.completed,
// project.status_changed and project.completed to the endpoints subscribed
// to them (and to no other), and the running workers deliver them, signed.
func TestTaskAndProjectEventsDelivered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tasksRcv := newReceiver(t, nil)
	projectsRcv := newReceiver(t, nil)
	tasksEP, tasksSecret := f.register(t, tasksRcv.URL, string(onboardiq.EventTaskCompleted), string(onboardiq.EventTaskBlocked))
	projectsEP, projectsSecret := f.register(t, projectsRcv.URL, string(onboardiq.EventProjectCompleted), string(onboardiq.EventProjectStatusChanged))

	var customer uuid.UUID
	if err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT customer_id FROM customers WHERE name = 'Umbrella Retail'`).Scan(&customer)
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * 24 * time.Hour)
	pr, err := f.db.App.CreateProject(f.admin, onboardiq.NewProject{CustomerID: customer, Name: "Umbrella webhook events", Deadline: &deadline})
	if err != nil {
		t.Fatal(err)
	}
	var tasks []*onboardiq.Task
	for _, d := range []string{"Configure SSO", "Go live"} {
		task, err := f.db.App.CreateTask(f.admin, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set(d)})
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, task)
	}
	f.fanOut(t)
	if n := f.count(t, `SELECT count(*) FROM deliveries WHERE channel = 'webhook'`); n != 0 {
		t.Fatalf("creating a project and its tasks queued %d webhooks, want none", n)
	}

	update := func(id uuid.UUID, patch onboardiq.TaskPatch) {
		t.Helper()
		if _, err := f.db.App.UpdateTask(f.admin, id, patch); err != nil {
			t.Fatal(err)
		}
	}
	const reason = "Waiting for Umbrella's IdP metadata"
	// not_started -> in_progress: task.blocked, project.status_changed.
	update(tasks[0].ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusBlocked), BlockedReason: onboardiq.Set(reason)})
	// The project stays in progress: task.completed only.
	update(tasks[0].ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)})
	// in_progress -> completed: task.completed, project.status_changed, project.completed.
	update(tasks[1].ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)})
	f.fanOut(t)

	// Queued, before any worker runs: each endpoint has a delivery of each
	// event it subscribed to, and none of the others.
	queued := func(ep uuid.UUID) []string {
		t.Helper()
		var out []string
		err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT coalesce(array_agg(event_type ORDER BY event_type), '{}') FROM deliveries WHERE endpoint_id = $1`, ep).Scan(&out)
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	wantTasks := []string{string(onboardiq.EventTaskBlocked), string(onboardiq.EventTaskCompleted), string(onboardiq.EventTaskCompleted)}
	wantProjects := []string{string(onboardiq.EventProjectCompleted), string(onboardiq.EventProjectStatusChanged), string(onboardiq.EventProjectStatusChanged)}
	slices.Sort(wantTasks)
	slices.Sort(wantProjects)
	if got := queued(tasksEP); !slices.Equal(got, wantTasks) {
		t.Errorf("queued for the task endpoint: %v, want %v", got, wantTasks)
	}
	if got := queued(projectsEP); !slices.Equal(got, wantProjects) {
		t.Errorf("queued for the project endpoint: %v, want %v", got, wantProjects)
	}
	if n := len(f.pending(t, "webhook")); n != len(wantTasks)+len(wantProjects) {
		t.Errorf("%d webhook jobs queued, want %d", n, len(wantTasks)+len(wantProjects))
	}

	// The workers deliver them. Their scan on start raises Initech's overdue
	// alert too, but neither endpoint takes project.overdue.
	runner, err := Start(context.Background(), Deps{DB: f.db.App, Embedder: ai.Local{}, Logger: slog.New(slog.DiscardHandler),
		Mailer: f.mailer, Webhooks: f.hooks, ScanInterval: time.Hour}, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Stop(5 * time.Second)

	got := deliveredEvents(t, tasksRcv, len(wantTasks), tasksSecret)
	if !slices.Equal(types(got), wantTasks) {
		t.Fatalf("the task endpoint received %v, want %v", types(got), wantTasks)
	}
	completed := map[uuid.UUID]int{}
	for _, e := range got {
		if e.Data.Task == nil || e.Data.Task.ProjectID != pr.ID {
			t.Errorf("%s without the task or its project: %+v", e.Type, e.Data)
			continue
		}
		switch e.Type {
		case string(onboardiq.EventTaskBlocked):
			if e.Data.Task.ID != tasks[0].ID || e.Data.Task.Status != "blocked" || e.Data.Task.BlockedReason == nil || *e.Data.Task.BlockedReason != reason {
				t.Errorf("task.blocked: %+v", *e.Data.Task)
			}
		case string(onboardiq.EventTaskCompleted):
			if e.Data.Task.Status != "completed" {
				t.Errorf("task.completed: %+v", *e.Data.Task)
			}
			completed[e.Data.Task.ID]++
		}
	}
	if want := map[uuid.UUID]int{tasks[0].ID: 1, tasks[1].ID: 1}; !maps.Equal(completed, want) {
		t.Errorf("task.completed per task: %v, want one for each", completed)
	}

	got = deliveredEvents(t, projectsRcv, len(wantProjects), projectsSecret)
	if !slices.Equal(types(got), wantProjects) {
		t.Fatalf("the project endpoint received %v, want %v", types(got), wantProjects)
	}
	var transitions []string
	for _, e := range got {
		if e.Data.Project == nil || e.Data.Project.ID != pr.ID {
			t.Errorf("%s without the project: %+v", e.Type, e.Data)
			continue
		}
		switch e.Type {
		case string(onboardiq.EventProjectStatusChanged):
			transitions = append(transitions, e.Data.PreviousStatus+"->"+e.Data.Project.Status)
		case string(onboardiq.EventProjectCompleted):
			if e.Data.Project.Status != "completed" {
				t.Errorf("project.completed with status %q", e.Data.Project.Status)
			}
		}
	}
	slices.Sort(transitions)
	if want := []string{"in_progress->completed", "not_started->in_progress"}; !slices.Equal(transitions, want) {
		t.Errorf("project.status_changed: %v, want %v", transitions, want)
	}

	// The log says delivered, once each.
	for _, ep := range []uuid.UUID{tasksEP, projectsEP} {
		page, err := f.db.App.ListDeliveries(f.admin, postgres.DeliveryFilter{EndpointID: &ep})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			if d.Status != "delivered" || len(d.Attempts) != 1 {
				t.Errorf("%s to %s: %s after %d attempts", d.EventType, d.Recipient, d.Status, len(d.Attempts))
			}
		}
	}
}
