package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// lifecycleProject creates a project of f's customer that started days ago
// (start) and ends at deadline (days from now), with one open task due at
// the deadline.
func (f *pageFixture) lifecycleProject(t *testing.T, name string, start, deadline int) *onboardiq.Project {
	t.Helper()
	now := time.Now()
	d := now.AddDate(0, 0, deadline)
	pr, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: name, StartDate: now.AddDate(0, 0, -start), Deadline: &d})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Go live"), DueAt: onboardiq.Set(d)}); err != nil {
		t.Fatal(err)
	}
	return pr
}

func (f *pageFixture) change(t *testing.T, id uuid.UUID, l onboardiq.Lifecycle, reason string) *onboardiq.Project {
	t.Helper()
	pr, err := f.db.ChangeProjectLifecycle(f.as, id, l, reason)
	if err != nil {
		t.Fatalf("%s: %v", l, err)
	}
	return pr
}

// exec runs SQL in f's tenant, as the tests' stand-in for time passing.
func (f *pageFixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, sql, args...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestResumeMovesTheDatesByTheDaysOnHold: a project on hold for ten days
// and two hours resumes with its deadline and its open tasks' due dates ten
// days later, and ten days held; done, cancelled and undated tasks stay.
func TestResumeMovesTheDatesByTheDaysOnHold(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr := f.lifecycleProject(t, "Paused rollout", 20, 10)
	due := time.Now().AddDate(0, 0, -5).Truncate(time.Microsecond) // as stored
	task := func(desc string, status onboardiq.Status, due *time.Time) *onboardiq.Task {
		in := onboardiq.TaskPatch{Description: onboardiq.Set(desc), Status: onboardiq.Set(status)}
		if due != nil {
			in.DueAt = onboardiq.Set(*due)
		}
		x, err := f.db.CreateTask(f.as, pr.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	done := task("Kickoff", onboardiq.StatusCompleted, &due)
	dropped := task("Legacy import", onboardiq.StatusCancelled, &due)
	late := task("Connect SSO", onboardiq.StatusInProgress, &due)
	undated := task("Training", onboardiq.StatusNotStarted, nil)

	held := f.change(t, pr.ID, onboardiq.LifecycleHold, "Security review")
	f.exec(t, `UPDATE projects SET status_changed_at = now() - interval '10 days 2 hours' WHERE tenant_id = $1 AND project_id = $2`, f.tenant, pr.ID)
	resumed := f.change(t, pr.ID, onboardiq.LifecycleResume, "")
	if resumed.Status != onboardiq.StatusInProgress || resumed.HeldDays != 10 || resumed.StatusReason != nil {
		t.Errorf("resumed: %s, %d days held, reason %v; want in_progress, 10, none", resumed.Status, resumed.HeldDays, resumed.StatusReason)
	}
	if want := held.Deadline.AddDate(0, 0, 10); !resumed.Deadline.Equal(want) {
		t.Errorf("deadline %s, want %s", resumed.Deadline, want)
	}
	for _, c := range []struct {
		task *onboardiq.Task
		want *time.Time
	}{
		{done, &due}, {dropped, &due}, {late, ptrTo(due.AddDate(0, 0, 10))}, {undated, nil},
	} {
		got, err := f.db.GetTask(f.as, c.task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if (got.DueAt == nil) != (c.want == nil) || got.DueAt != nil && !got.DueAt.Equal(*c.want) {
			t.Errorf("%s (%s): due %v, want %v", got.Description, got.Status, got.DueAt, c.want)
		}
	}
	events, err := f.db.ListActivity(f.as, ActivityFilter{ProjectID: &pr.ID, ListOptions: onboardiq.ListOptions{Limit: 1}})
	if err != nil {
		t.Fatal(err)
	}
	e := events.Items[0]
	if e.Kind != onboardiq.EventProjectResumed || e.Data["held_days"] != 10.0 || e.Data["moved_tasks"] != 2.0 || e.Changes["deadline"] == nil {
		t.Errorf("resumed event: %s %v %v", e.Kind, e.Data, e.Changes)
	}

	// Held again and resumed at once: nothing moves, the days add up.
	f.change(t, pr.ID, onboardiq.LifecycleHold, "Again")
	again := f.change(t, pr.ID, onboardiq.LifecycleResume, "")
	if again.HeldDays != 10 || !again.Deadline.Equal(*resumed.Deadline) {
		t.Errorf("a short hold moved things: %d days held, deadline %s", again.HeldDays, again.Deadline)
	}

}

func ptrTo[T any](v T) *T { return &v }

// TestScanSkipsPausedProjects: of three projects past their deadline, the
// one on hold and the cancelled one raise no alert and get no forecast;
// holding clears a forecast and at-risk flag already there. Resumed, the
// project is overdue again and alerts.
func TestScanSkipsPausedProjects(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	running := f.lifecycleProject(t, "Running late", 30, -3)
	held := f.lifecycleProject(t, "Held late", 30, -3)
	cancelled := f.lifecycleProject(t, "Cancelled late", 30, -3)
	f.exec(t, `UPDATE projects SET at_risk = true, risk_reason = 'slow', forecast_finish = now() WHERE tenant_id = $1`, f.tenant)
	f.change(t, held.ID, onboardiq.LifecycleHold, "Customer re-org")
	f.change(t, cancelled.ID, onboardiq.LifecycleCancel, "Churned")

	r, err := f.db.ScanOne(context.Background(), f.tenant, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.Overdue != 1 {
		t.Errorf("%d overdue projects scanned, want 1 (the running one)", r.Overdue)
	}
	alerts := func(id uuid.UUID) int {
		var n int
		err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM project_alerts WHERE tenant_id = $1 AND project_id = $2`, f.tenant, id).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if alerts(running.ID) == 0 {
		t.Error("the running project raised no alert")
	}
	for _, p := range []*onboardiq.Project{held, cancelled} {
		if n := alerts(p.ID); n != 0 {
			t.Errorf("%s raised %d alerts", p.Name, n)
		}
		got, err := f.db.GetProject(f.as, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Overdue || got.AtRisk || got.RiskReason != nil || got.ForecastFinish != nil {
			t.Errorf("%s: overdue %v, at risk %v (%v), forecast %v; want none", got.Name, got.Overdue, got.AtRisk, got.RiskReason, got.ForecastFinish)
		}
	}

	f.change(t, held.ID, onboardiq.LifecycleResume, "")
	if _, err := f.db.ScanOne(context.Background(), f.tenant, time.Now()); err != nil {
		t.Fatal(err)
	}
	if alerts(held.ID) == 0 {
		t.Error("resumed and still late, the project raised no alert")
	}
}

// TestDashboardLeavesPausedProjectsOut: the dashboard's overdue and at-risk
// lists and its on-time rate count running and completed projects only; a
// project on hold is listed as active, with its status.
func TestDashboardLeavesPausedProjectsOut(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	late := f.lifecycleProject(t, "Running late", 30, -3)
	held := f.lifecycleProject(t, "Held late", 30, -3)
	heldRisky := f.lifecycleProject(t, "Held at risk", 30, 3)
	cancelled := f.lifecycleProject(t, "Cancelled late", 30, -3)
	onTime := f.lifecycleProject(t, "Done on time", 30, 3)
	tasks, err := f.db.ListTasks(f.as, onTime.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateTask(f.as, tasks.Items[0].ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)}); err != nil {
		t.Fatal(err)
	}
	f.change(t, held.ID, onboardiq.LifecycleHold, "Customer re-org")
	f.change(t, heldRisky.ID, onboardiq.LifecycleHold, "Waiting for budget")
	f.change(t, cancelled.ID, onboardiq.LifecycleCancel, "Churned")
	// A flag left from before the hold must not list it either.
	f.exec(t, `UPDATE projects SET at_risk = true WHERE tenant_id = $1 AND project_id = $2`, f.tenant, heldRisky.ID)

	d, err := f.db.LoadDashboard(f.as, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	names := func(ps []*onboardiq.Project) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	if got := names(d.Overdue); len(got) != 1 || got[0] != late.Name {
		t.Errorf("overdue: %v, want only %s", got, late.Name)
	}
	if got := names(d.AtRisk); len(got) != 0 {
		t.Errorf("at risk: %v, want none", got)
	}
	if d.OnTimeRate == nil || *d.OnTimeRate != 100 {
		t.Errorf("on-time rate %v, want 100%% (the one completed project)", d.OnTimeRate)
	}
	if d.ByStatus["on_hold"] != 2 || d.ByStatus["cancelled"] != 1 {
		t.Errorf("by status %v", d.ByStatus)
	}
	active := names(d.Active)
	for _, want := range []string{late.Name, held.Name, heldRisky.Name} {
		found := false
		for _, a := range active {
			found = found || a == want
		}
		if !found {
			t.Errorf("active %v lacks %s", active, want)
		}
	}
}
