package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/metrics"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestMilestonesConsumer: the fan-out's milestones consumer records the
// demo's milestones as usage arrives (the first API call; three users in a
// week over two ingests) and a task milestone when its task completes,
// each once with one milestone.reached event, however often it runs.
func TestMilestonesConsumer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t)
	db := f.db.App
	var globex, initech, task string
	// Rules over event names of this test's own, so the demo's usage has
	// reached none of them.
	f.exec(t, `UPDATE milestones SET rule = '{"event": "first_api_call"}' WHERE key = 'first_api_call'`)
	f.exec(t, `UPDATE milestones SET rule = '{"event": "user_active", "distinct_users": 3, "within_days": 7}' WHERE key = 'three_users_week'`)
	f.exec(t, `DELETE FROM milestone_hits`)
	base := f.count(t, `SELECT count(*) FROM events WHERE kind = 'milestone.reached'`) // the demo's own
	f.row(t, `SELECT customer_id::text FROM customers WHERE name = 'Globex Logistics'`, &globex)
	f.row(t, `SELECT customer_id::text FROM customers WHERE name = 'Initech Health'`, &initech)
	f.row(t, `SELECT t.task_id::text FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
WHERE c.name = 'Initech Health' AND t.status NOT IN ('completed', 'blocked') ORDER BY t.position LIMIT 1`, &task)
	at := func(d time.Duration) string {
		return time.Now().UTC().Add(-3 * 24 * time.Hour).Add(d).Format(time.RFC3339)
	}
	ingest := func(events ...onboardiq.UsageEventInput) {
		t.Helper()
		if res, err := db.IngestUsage(f.admin, events); err != nil || res.Accepted != len(events) {
			t.Fatalf("ingest: %+v, %v", res, err)
		}
		f.fanOut(t)
	}
	hits := func(customer, key string) int {
		return f.count(t, `SELECT count(*) FROM milestone_hits h JOIN milestones m ON m.tenant_id = h.tenant_id AND m.milestone_id = h.milestone_id
WHERE h.customer_id = $1 AND m.key = $2`, customer, key)
	}
	ingest(onboardiq.UsageEventInput{ID: "api-1", CustomerID: globex, Name: "first_api_call", UserEmail: "dev@globex.example", OccurredAt: at(0)},
		onboardiq.UsageEventInput{ID: "active-1", CustomerID: globex, Name: "user_active", UserEmail: "a@globex.example", OccurredAt: at(time.Hour)},
		onboardiq.UsageEventInput{ID: "active-2", CustomerID: globex, Name: "user_active", UserEmail: "b@globex.example", OccurredAt: at(2 * time.Hour)})
	if hits(globex, "first_api_call") != 1 || hits(globex, "three_users_week") != 0 {
		t.Fatalf("after the first ingest: first API call %d, three users %d", hits(globex, "first_api_call"), hits(globex, "three_users_week"))
	}
	ingest(onboardiq.UsageEventInput{ID: "active-3", CustomerID: globex, Name: "user_active", UserEmail: "c@globex.example", OccurredAt: at(26 * time.Hour)})
	if n := f.count(t, `SELECT count(*) FROM milestone_hits WHERE event_ids = '{active-1,active-2,active-3}'`); n != 1 || hits(globex, "three_users_week") != 1 {
		t.Errorf("three users in a week: %d hits citing the three events", n)
	}

	name := ""
	f.row(t, `SELECT description FROM tasks WHERE task_id = $1`, &name, task)
	if _, err := db.CreateMilestone(f.admin, postgres.MilestoneInput{Name: "Initech task", Milestone: metrics.Milestone{Task: name}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateTask(f.admin, uuid.MustParse(task), onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)}); err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	if n := f.count(t, `SELECT count(*) FROM milestone_hits WHERE customer_id = $1 AND project_id IS NOT NULL`, initech); n != 1 {
		t.Errorf("the task milestone: %d hits", n)
	}
	// Run again, every event is evaluated again: a customer may reach a
	// milestone defined after its events (Globex completed a task of that
	// name long ago), but nothing is recorded twice.
	f.fanOutAgain(t)
	reached, recorded := f.count(t, `SELECT count(*) FROM events WHERE kind = 'milestone.reached'`)-base, f.count(t, `SELECT count(*) FROM milestone_hits`)
	f.fanOutAgain(t)
	if again := f.count(t, `SELECT count(*) FROM events WHERE kind = 'milestone.reached'`) - base; reached != recorded || again != reached || reached < 3 {
		t.Errorf("milestone.reached events: %d for %d hits, %d after the fan-out ran again", reached, recorded, again)
	}
}

// row reads one value in f's tenant.
func (f *fixture) row(t *testing.T, q string, dst any, args ...any) {
	t.Helper()
	if err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(dst)
	}); err != nil {
		t.Fatal(err)
	}
}
