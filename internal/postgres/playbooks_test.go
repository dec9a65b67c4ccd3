package postgres

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/playbook"
)

// playbookFixture is a page fixture whose customer has a CSM (the admin)
// and a project with two tasks.
type playbookFixture struct {
	*pageFixture
	admin   uuid.UUID
	project *onboardiq.Project
	tasks   []*onboardiq.Task
}

func newPlaybookFixture(t *testing.T) *playbookFixture {
	t.Helper()
	f := &playbookFixture{pageFixture: newPageFixture(t)}
	f.admin = onboardiq.PrincipalFromContext(f.as).UserID
	if _, err := f.db.AssignSupportMember(f.as, f.customer.ID, &f.admin); err != nil {
		t.Fatal(err)
	}
	f.project = f.pageFixture.project(t, f.customer, "Globex onboarding", 2)
	page, err := f.db.ListTasks(f.as, f.project.ID, TaskFilter{})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("tasks: %v, %v", page.Items, err)
	}
	f.tasks = page.Items
	return f
}

// create saves a playbook, enabled.
func (f *playbookFixture) create(t *testing.T, p onboardiq.Playbook) *onboardiq.Playbook {
	t.Helper()
	p.Enabled = true
	out, err := f.db.CreatePlaybook(f.as, p)
	if err != nil {
		t.Fatalf("create %q: %v", p.Name, err)
	}
	return out
}

// block marks a task blocked and returns the task.blocked event.
func (f *playbookFixture) block(t *testing.T, task *onboardiq.Task) *onboardiq.Event {
	t.Helper()
	if _, err := f.db.UpdateTask(f.as, task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusBlocked), BlockedReason: onboardiq.Set("waiting on IT")}); err != nil {
		t.Fatal(err)
	}
	return f.lastEvent(t, onboardiq.EventTaskBlocked)
}

func (f *playbookFixture) lastEvent(t *testing.T, kind onboardiq.EventKind) *onboardiq.Event {
	t.Helper()
	var e *onboardiq.Event
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT max(event_id) FROM events WHERE tenant_id = $1 AND kind = $2`, f.tenant, kind).Scan(&id); err != nil {
			return err
		}
		var err error
		e, err = tx.Event(ctx, id)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	return e
}

// trigger hands e to the playbooks, as the fan-out's consumer does.
func (f *playbookFixture) trigger(t *testing.T, e *onboardiq.Event, now time.Time) int {
	t.Helper()
	var n int
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		n, err = tx.TriggerPlaybooks(ctx, e, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// schedules runs the hourly schedule check at now.
func (f *playbookFixture) schedules(t *testing.T, now time.Time) int {
	t.Helper()
	var n int
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		n, err = tx.RunPlaybookSchedules(ctx, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// drain does every pending action, in order, each twice (as a job run
// again after a crash would), until none is left.
func (f *playbookFixture) drain(t *testing.T, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for range 50 {
		var pending []PlaybookActionArgs
		err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
			rows, err := tx.Query(ctx, `SELECT run_id, idx FROM playbook_actions a WHERE tenant_id = $1 AND status = 'pending'
  AND NOT EXISTS (SELECT FROM playbook_actions b WHERE b.tenant_id = a.tenant_id AND b.run_id = a.run_id AND b.idx < a.idx AND b.status = 'pending')
ORDER BY run_id, idx`, f.tenant)
			if err != nil {
				return err
			}
			pending, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (PlaybookActionArgs, error) {
				a := PlaybookActionArgs{TenantID: f.tenant}
				return a, r.Scan(&a.RunID, &a.Index)
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			return
		}
		for _, a := range pending {
			for range 2 {
				if err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
					return tx.DoPlaybookAction(ctx, a, 1, ActionEnv{BaseURL: "http://onboardiq.test"}, now)
				}); err != nil {
					t.Fatalf("action %d of %s: %v", a.Index, a.RunID, err)
				}
			}
		}
	}
	t.Fatal("actions keep coming")
}

func (f *playbookFixture) runs(t *testing.T, pb uuid.UUID) []*onboardiq.PlaybookRun {
	t.Helper()
	page, err := f.db.ListPlaybookRuns(f.as, pb, onboardiq.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func (f *playbookFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, query, append([]any{f.tenant}, args...)...).Scan(&n)
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func statuses(runs []*onboardiq.PlaybookRun) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[len(runs)-1-i] = r.Status // oldest first
	}
	return out
}

var notifyAndTask = []onboardiq.PlaybookAction{
	{Type: "notify", To: []string{"csm"}, Subject: "{{customer_name}} is blocked", Body: "{{task_title}}"},
	{Type: "create_task", Task: "Call {{customer_name}} about the blocker", DueDays: 2},
}

// TestPlaybookRunsOncePerEvent: a task.blocked event handed to the
// playbooks twice (the fan-out run again) records one run; its actions,
// each done twice, notify the CSM once and create one task; the run keeps
// the conditions with the values seen, and the outcome of each action.
func TestPlaybookRunsOncePerEvent(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	pb := f.create(t, onboardiq.Playbook{Name: "Blocked", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"},
		Conditions: onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{{Field: "task.status", Op: "eq", Value: "blocked"}, {Field: "customer.name", Op: "eq", Value: "globex"}}},
		Actions:    notifyAndTask})
	e := f.block(t, f.tasks[0])
	now := time.Now()
	if n := f.trigger(t, e, now); n != 1 {
		t.Fatalf("first hand-over: %d runs, want 1", n)
	}
	if n := f.trigger(t, e, now); n != 0 {
		t.Fatalf("the same event again: %d runs, want 0", n)
	}
	f.drain(t, now)
	runs := f.runs(t, pb.ID)
	if len(runs) != 1 || runs[0].Status != "done" || runs[0].EventID == nil || *runs[0].EventID != e.ID || runs[0].TriggerKey != fmt.Sprintf("event:%d", e.ID) {
		t.Fatalf("runs: %+v", runs)
	}
	r := runs[0]
	if len(r.Conditions) != 2 || !r.Conditions[0].OK || r.Conditions[0].Saw != "blocked" || r.Conditions[1].Saw != "Globex" || r.CustomerName != "Globex" {
		t.Errorf("conditions: %+v", r.Conditions)
	}
	if len(r.Actions) != 2 || r.Actions[0].Status != "done" || r.Actions[1].Status != "done" || len(r.Actions[0].CreatedIDs) != 1 || len(r.Actions[1].CreatedIDs) != 1 ||
		r.Actions[0].IdempotencyKey == r.Actions[1].IdempotencyKey {
		t.Fatalf("actions: %+v", r.Actions)
	}
	if n := f.count(t, `SELECT count(*) FROM notifications WHERE tenant_id = $1 AND kind = 'playbook' AND user_id = $2 AND title = 'Globex is blocked'`, f.admin); n != 1 {
		t.Errorf("%d notifications to the CSM, want 1", n)
	}
	if n := f.count(t, `SELECT count(*) FROM tasks WHERE tenant_id = $1 AND project_id = $2 AND description = 'Call Globex about the blocker' AND assigned_to = $3 AND visibility = 'internal'`,
		f.project.ID, f.admin); n != 1 {
		t.Errorf("%d tasks created, want 1", n)
	}
	// The task.created event the action caused names the playbook, so the
	// playbook would never run on it.
	created := f.lastEvent(t, onboardiq.EventTaskCreated)
	if created.Data["playbook_id"] != pb.ID.String() || created.Data["playbook_run_id"] != r.ID.String() {
		t.Errorf("the caused event's data: %v", created.Data)
	}
}

// TestPlaybookConditionsCooldownAndCap: a run whose conditions fail is
// recorded as skipped with what it saw; the cooldown holds a second run on
// the same customer back until it ends; the daily cap holds runs back
// across customers.
func TestPlaybookConditionsCooldownAndCap(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	notify := []onboardiq.PlaybookAction{{Type: "notify", To: []string{"csm"}, Subject: "{{customer_name}}"}}
	never := f.create(t, onboardiq.Playbook{Name: "Enterprise only", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"},
		Conditions: onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{{Field: "customer.segment", Op: "eq", Value: "enterprise"}}}, Actions: notify})
	cool := f.create(t, onboardiq.Playbook{Name: "Cooling", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"}, CooldownMinutes: 60, Actions: notify})
	now := time.Now()
	f.trigger(t, f.block(t, f.tasks[0]), now)
	f.trigger(t, f.block(t, f.tasks[1]), now.Add(30*time.Minute))
	runs := f.runs(t, never.ID)
	if len(runs) != 2 || runs[0].Status != "skipped" || runs[0].Reason != "the conditions did not hold" || runs[0].Conditions[0].OK || runs[0].Conditions[0].Saw != nil {
		t.Errorf("conditions not met: %d runs, first %+v", len(runs), *runs[0])
	}
	if got := statuses(f.runs(t, cool.ID)); !slices.Equal(got, []string{"running", "skipped"}) {
		t.Fatalf("within the cooldown: %v", got)
	}
	if r := f.runs(t, cool.ID)[0]; !strings.HasPrefix(r.Reason, "cooling down") {
		t.Errorf("reason: %q", r.Reason)
	}
	// After the cooldown, the next event runs it again.
	if _, err := f.db.UpdateTask(f.as, f.tasks[0].ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusInProgress)}); err != nil {
		t.Fatal(err)
	}
	f.trigger(t, f.block(t, f.tasks[0]), now.Add(61*time.Minute))
	if got := statuses(f.runs(t, cool.ID)); !slices.Equal(got, []string{"running", "skipped", "running"}) {
		t.Fatalf("after the cooldown: %v", got)
	}

	// The cap: one run a day, over all customers.
	capped := f.create(t, onboardiq.Playbook{Name: "Capped", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"}, MaxRunsPerDay: 1, Actions: notify})
	other, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	otherProject := f.pageFixture.project(t, other, "Initech onboarding", 1)
	otherTasks, err := f.db.ListTasks(f.as, otherProject.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	f.trigger(t, f.block(t, f.tasks[1]), now.Add(2*time.Hour))
	f.trigger(t, f.block(t, otherTasks.Items[0]), now.Add(3*time.Hour))
	runs = f.runs(t, capped.ID)
	if got := statuses(runs); !slices.Equal(got, []string{"running", "skipped"}) || runs[0].Reason != "the cap of 1 runs in 24 hours was reached" || runs[0].CustomerName != "Initech" {
		t.Fatalf("the cap: %v %+v", got, runs[0])
	}
	// A run by hand is past the cooldown and the cap.
	r, err := f.db.RunPlaybook(f.as, capped.ID, RunInput{CustomerID: other.ID})
	if err != nil || r.Status != "running" || r.Trigger != "manual" || r.By == nil || *r.By != f.admin {
		t.Fatalf("by hand: %+v, %v", r, err)
	}
}

// TestPlaybookScheduleTriggers: each schedule trigger runs once a day on
// each subject it holds for, with its evidence, and not on the others.
func TestPlaybookScheduleTriggers(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	now := time.Now()
	ctx := context.Background()
	quiet, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Quiet Co"})
	if err != nil {
		t.Fatal(err)
	}
	exec := func(query string, args ...any) {
		t.Helper()
		if err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
			_, err := tx.Exec(ctx, query, append([]any{f.tenant}, args...)...)
			return err
		}); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	// Globex renews in 30 days and is at risk; Quiet Co was added 20 days
	// ago and has done nothing since, and its health has been 30 for 5 days.
	exec(`UPDATE customers SET renewal_date = $2 WHERE tenant_id = $1 AND customer_id = $3`, now.AddDate(0, 0, 30), f.customer.ID)
	exec(`UPDATE customers SET created_at = $2 WHERE tenant_id = $1 AND customer_id = $3`, now.AddDate(0, 0, -20), quiet.ID)
	exec(`UPDATE projects SET at_risk = true, risk_reason = 'forecast 9 days late' WHERE tenant_id = $1 AND project_id = $2`, f.project.ID)
	exec(`INSERT INTO customer_health (tenant_id, customer_id, score, level, computed_at) VALUES ($1, $2, 30, 'critical', $3)`, quiet.ID, now)
	for d := 5; d >= 0; d-- {
		exec(`INSERT INTO health_history (tenant_id, customer_id, day, score, level, computed_at) VALUES ($1, $2, $3::date, 30, 'critical', $3)`, quiet.ID, now.AddDate(0, 0, -d))
	}
	exec(`INSERT INTO health_history (tenant_id, customer_id, day, score, level, computed_at) VALUES ($1, $2, $3::date, 70, 'moderate', $3)`, quiet.ID, now.AddDate(0, 0, -6))
	f.block(t, f.tasks[0])
	// Usage: Globex sent 10 events in the week before last and 2 last week.
	for i := range 12 {
		at := now.AddDate(0, 0, -10)
		if i >= 10 {
			at = now.AddDate(0, 0, -2)
		}
		f.ingest(t, usageEvent(f.customer.ID, fmt.Sprintf("evt_%d", i), "report_exported", "ana@globex.test", at))
	}

	notify := []onboardiq.PlaybookAction{{Type: "notify", To: []string{"csm"}, Subject: "{{customer_name}}"}}
	cases := []struct {
		trigger  onboardiq.PlaybookTrigger
		subject  string
		want     string // the customer it runs on
		evidence string // a word of the evidence
	}{
		{onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleRenewal, Days: 90}, "customer", "Globex", "renew"},
		{onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleNoActivity, Days: 7}, "customer", "Quiet Co", "activity"},
		{onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleUsageChange, Days: 7, Percent: -30}, "customer", "Globex", "%"},
		{onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleHealthBelow, Score: 40, Days: 3}, "customer", "Quiet Co", "40"},
		{onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleTaskBlocked, Days: 3}, "project", "Globex", "Task 0"},
		{onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleAtRisk}, "project", "Globex", "forecast 9 days late"},
	}
	var pbs []*onboardiq.Playbook
	for _, c := range cases {
		pbs = append(pbs, f.create(t, onboardiq.Playbook{Name: c.trigger.Schedule, Subject: c.subject, Trigger: c.trigger, Actions: notify}))
	}
	later := now.Add(4 * 24 * time.Hour) // the task has been blocked 4 days
	if n := f.schedules(t, later); n != len(cases) {
		t.Errorf("%d runs, want %d", n, len(cases))
	}
	// The same UTC day (a run's key): an hour later, or an hour earlier
	// when later falls in the day's last hour.
	again := later.Add(time.Hour)
	if again.UTC().Format(time.DateOnly) != later.UTC().Format(time.DateOnly) {
		again = later.Add(-time.Hour)
	}
	if n := f.schedules(t, again); n != 0 {
		t.Errorf("again the same day: %d runs, want none (once a day)", n)
	}
	for i, c := range cases {
		runs := f.runs(t, pbs[i].ID)
		if len(runs) != 1 || runs[0].CustomerName != c.want || runs[0].Trigger != "schedule:"+c.trigger.Schedule ||
			!strings.Contains(strings.Join(runs[0].Evidence, " "), c.evidence) {
			t.Errorf("%s: %d runs: %+v", c.trigger.Schedule, len(runs), runs)
			for _, r := range runs {
				t.Logf("%s on %s: %v", r.Trigger, r.CustomerName, r.Evidence)
			}
		}
		if c.subject == "project" && (len(runs) != 1 || runs[0].ProjectID == nil || *runs[0].ProjectID != f.project.ID) {
			t.Errorf("%s: not on the project: %+v", c.trigger.Schedule, runs)
		}
	}
	if n := f.schedules(t, later.Add(24*time.Hour)); n != len(cases) {
		t.Errorf("the next day: %d runs, want %d", n, len(cases))
	}
}

// tenantSnapshot digests every row of every tenant table of the fixture's
// tenant, and the tenant's jobs.
func (f *playbookFixture) tenantSnapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1`)
		if err != nil {
			return err
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, tbl := range tables {
			var digest string
			if err := tx.QueryRow(ctx, `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM `+
				pgx.Identifier{tbl}.Sanitize()+` t WHERE tenant_id = $1`, f.tenant).Scan(&digest); err != nil {
				return fmt.Errorf("%s: %w", tbl, err)
			}
			out[tbl] = digest
		}
		return tx.QueryRow(ctx, `SELECT count(*)::text FROM river_job WHERE args->>'tenant_id' = $1`, f.tenant.String()).Scan(new(string))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPlaybookDryRunChangesNothing: a dry run lists the customers whose
// conditions hold, with the actions in words, and every row of the
// tenant is as it was.
func TestPlaybookDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	if _, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech", Segment: "smb"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateCustomer(f.as, f.customer.ID, onboardiq.CustomerPatch{Segment: onboardiq.Set("enterprise")}); err != nil {
		t.Fatal(err)
	}
	pb := f.create(t, onboardiq.Playbook{Name: "Enterprise blockers", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"},
		Conditions: onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{{Field: "customer.segment", Op: "eq", Value: "enterprise"}}},
		Actions:    notifyAndTask})
	before := f.tenantSnapshot(t)
	d, err := f.db.DryRunPlaybook(f.as, pb.ID)
	if err != nil {
		t.Fatal(err)
	}
	after := f.tenantSnapshot(t)
	if !maps.Equal(before, after) {
		for k := range before {
			if before[k] != after[k] {
				t.Errorf("%s changed: %s → %s", k, before[k], after[k])
			}
		}
	}
	if d.Checked != 2 || len(d.Matches) != 1 || d.Matches[0].CustomerName != "Globex" || len(d.Matches[0].Actions) != 2 ||
		!d.Matches[0].Conditions[0].OK || d.Matches[0].Conditions[0].Saw != "enterprise" || d.Note == "" {
		t.Fatalf("dry run: %+v", d)
	}
	if n := f.count(t, `SELECT count(*) FROM playbook_runs WHERE tenant_id = $1`); n != 0 {
		t.Errorf("%d runs recorded by a dry run", n)
	}
	if _, err := f.db.DryRunPlaybook(f.asContact, pb.ID); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact's dry run: %v", err)
	}
}

// TestPlaybookNeverSeesAnotherTenant: the same playbook in two workspaces;
// an event of one runs only the playbook of that one, and handed to the
// other's transaction runs nothing.
func TestPlaybookNeverSeesAnotherTenant(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	ctx := context.Background()
	def := onboardiq.Playbook{Name: "Blocked", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"}, Actions: notifyAndTask}
	mine := f.create(t, def)
	ten, err := f.db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Umbrella", Slug: "umbrella", AdminEmail: "a@umbrella.test"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.db.Authenticate(ctx, ten.Token)
	if err != nil {
		t.Fatal(err)
	}
	otherCtx := onboardiq.NewContextWithPrincipal(ctx, p)
	def.Enabled = true
	theirs, err := f.db.CreatePlaybook(otherCtx, def)
	if err != nil {
		t.Fatal(err)
	}
	e := f.block(t, f.tasks[0])
	f.trigger(t, e, time.Now())
	var n int
	if err := f.db.InTenant(ctx, ten.Tenant.ID, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.TriggerPlaybooks(ctx, e, time.Now()); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM playbook_runs WHERE tenant_id = $1`, ten.Tenant.ID).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the other workspace recorded %d runs", n)
	}
	if runs := f.runs(t, mine.ID); len(runs) != 1 {
		t.Errorf("mine: %d runs", len(runs))
	}
	if _, err := f.db.ListPlaybookRuns(f.as, theirs.ID, onboardiq.ListOptions{}); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("their playbook from mine: %v", err)
	}
}

// TestPlaybookDefaultsSetupAndManualRun: a new workspace has the default
// playbooks, disabled; one that needs a URL cannot be enabled until it has
// one; run by hand, its webhook action fails for want of a URL and the run
// says so; with a URL it queues a signed delivery of the n8n body.
func TestPlaybookDefaultsSetupAndManualRun(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	all, err := f.db.ListPlaybooks(f.as)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(playbook.Defaults()) || len(all) == 0 {
		t.Fatalf("%d playbooks, want the %d defaults", len(all), len(playbook.Defaults()))
	}
	var health *onboardiq.Playbook
	for _, p := range all {
		if p.Enabled {
			t.Errorf("%q is enabled", p.Name)
		}
		if p.Name == "Health below 40" {
			health = p
		}
	}
	if health == nil || !slices.Contains(health.NeedsSetup, "actions[0].url") || health.CooldownMinutes != 60 {
		t.Fatalf("health below 40: %+v", health)
	}
	if _, err := f.db.SetPlaybookEnabled(f.as, health.ID, true); onboardiq.ErrorField(err) != "actions[0].url" {
		t.Fatalf("enabled without a URL: %v", err)
	}
	r, err := f.db.RunPlaybook(f.as, health.ID, RunInput{CustomerID: f.customer.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.drain(t, time.Now())
	runs := f.runs(t, health.ID)
	// The customer has no health score: the condition fails, nothing runs.
	if len(runs) != 1 || runs[0].ID != r.ID || runs[0].Status != "skipped" {
		t.Fatalf("run by hand without a score: %+v", runs)
	}
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO customer_health (tenant_id, customer_id, score, level, components, computed_at) VALUES ($1, $2, 35, 'critical', '[]', now())`, f.tenant, f.customer.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.RunPlaybook(f.as, health.ID, RunInput{CustomerID: f.customer.ID}); err != nil {
		t.Fatal(err)
	}
	f.drain(t, time.Now())
	runs = f.runs(t, health.ID)
	if runs[0].Status != "failed" || runs[0].Actions[0].Outcome != "no URL is set" {
		t.Fatalf("without a URL: %+v", runs[0])
	}

	health.Actions[0].URL = "https://93.184.215.14/n8n"
	health, err = f.db.UpdatePlaybook(f.as, health.ID, *health)
	if err != nil || len(health.NeedsSetup) != 0 || !strings.HasPrefix(health.SigningSecret, "whsec_") {
		t.Fatalf("with a URL: %+v, %v", health, err)
	}
	if health, err = f.db.SetPlaybookEnabled(f.as, health.ID, true); err != nil || !health.Enabled {
		t.Fatalf("enable: %+v, %v", health, err)
	}
	if _, err := f.db.RunPlaybook(f.as, health.ID, RunInput{CustomerID: f.customer.ID}); err != nil {
		t.Fatal(err)
	}
	f.drain(t, time.Now())
	run := f.runs(t, health.ID)[0]
	if run.Status != "done" || len(run.Actions[0].DeliveryIDs) != 1 {
		t.Fatalf("with a URL: %+v", run)
	}
	var o *Outbound
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		o, err = tx.LoadOutbound(ctx, run.Actions[0].DeliveryIDs[0])
		return err
	}); err != nil {
		t.Fatal(err)
	}
	account, _ := o.Payload["account"].(map[string]any)
	if o.URL != "https://93.184.215.14/n8n" || o.Secret != health.SigningSecret || o.Payload["health_score"] != float64(35) || account["name"] != "Globex" {
		t.Errorf("the delivery: %s %q %v", o.URL, o.Secret, o.Payload)
	}
	// A contact sees none of it.
	if _, err := f.db.GetPlaybook(f.asContact, health.ID); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact reads a playbook: %v", err)
	}
}

// TestPlaybookEscalationLadder: step 1 (the CSM) is told at once, step 2
// (the admins) when its job runs; once acknowledged, step 3 is not told.
func TestPlaybookEscalationLadder(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	csm, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "sam@acme.test", Name: "Sam", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AssignSupportMember(f.as, f.customer.ID, &csm.ID); err != nil {
		t.Fatal(err)
	}
	pb := f.create(t, onboardiq.Playbook{Name: "Escalate", Subject: "project", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"},
		Actions: []onboardiq.PlaybookAction{{Type: "escalate", Subject: "{{project_name}} is stuck", Ladder: []onboardiq.EscalationStep{
			{To: "csm"}, {To: "role:admin", AfterMinutes: 240}, {To: "user:a@acme.test", AfterMinutes: 60}}}}})
	now := time.Now()
	f.trigger(t, f.block(t, f.tasks[0]), now)
	f.drain(t, now)
	run := f.runs(t, pb.ID)[0]
	if run.Status != "done" || len(run.Actions[0].CreatedIDs) != 1 {
		t.Fatalf("run: %+v", run)
	}
	esc := run.Actions[0].CreatedIDs[0]
	notices := func(user uuid.UUID) int {
		return f.count(t, `SELECT count(*) FROM notifications WHERE tenant_id = $1 AND kind = 'playbook_escalation' AND user_id = $2 AND title = 'Globex onboarding is stuck'`, user)
	}
	if notices(csm.ID) != 1 || notices(f.admin) != 0 {
		t.Fatalf("step 1: csm %d, admin %d", notices(csm.ID), notices(f.admin))
	}
	step := func(n int) {
		t.Helper()
		for range 2 {
			if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
				return tx.EscalatePlaybook(ctx, EscalationStepArgs{TenantID: f.tenant, EscalationID: esc, Step: n}, now)
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	step(2)
	if notices(f.admin) != 1 || notices(csm.ID) != 1 {
		t.Fatalf("step 2: csm %d, admin %d", notices(csm.ID), notices(f.admin))
	}
	if n := f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'playbook_escalation' AND args->>'tenant_id' = $1::text AND args->>'escalation_id' = $2 AND (args->>'step')::int = 3`, esc.String()); n != 1 {
		t.Errorf("step 3 scheduled %d times", n)
	}
	e, err := f.db.AcknowledgeEscalation(f.as, esc)
	if err != nil || e.AcknowledgedAt == nil || e.Step != 2 || *e.AcknowledgedBy != f.admin {
		t.Fatalf("acknowledge: %+v, %v", e, err)
	}
	step(3)
	if notices(f.admin) != 1 {
		t.Errorf("after the acknowledgement the ladder went on: %d", notices(f.admin))
	}
}

// TestPlaybookExportImportRoundTrip: the workspace's playbooks exported,
// imported into an empty workspace and exported again are the same file,
// in YAML and in JSON; a bad file changes nothing and names the playbook
// and field.
func TestPlaybookExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	ctx := context.Background()
	f.create(t, onboardiq.Playbook{Name: "Blocked", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"}, CooldownMinutes: 30,
		Conditions: onboardiq.PlaybookConditions{Match: "any", Rules: []onboardiq.PlaybookCondition{{Field: "customer.arr", Op: "gte", Value: 100000},
			{Field: "customer.segment", Op: "in", Value: []any{"enterprise", "mid-market"}}}}, Actions: notifyAndTask})
	for _, format := range []string{playbook.YAML, playbook.JSON} {
		first, err := f.db.ExportPlaybooks(f.as, format)
		if err != nil {
			t.Fatal(err)
		}
		ten, err := f.db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Empty " + format, Slug: "empty-" + format, AdminEmail: "a@empty.test"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.db.Authenticate(ctx, ten.Token)
		if err != nil {
			t.Fatal(err)
		}
		empty := onboardiq.NewContextWithPrincipal(ctx, p)
		defaults, err := f.db.ListPlaybooks(empty)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range defaults {
			if err := f.db.DeletePlaybook(empty, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		res, err := f.db.ImportPlaybooks(empty, first, "")
		if err != nil || res.Created != len(defaults)+1 || res.Updated != 0 {
			t.Fatalf("%s import: %+v, %v", format, res, err)
		}
		again, err := f.db.ExportPlaybooks(empty, format)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Errorf("%s: the export differs after a round trip:\n%s\n---\n%s", format, first, again)
		}
		// Imported again: every playbook updated by name, nothing added.
		if res, err := f.db.ImportPlaybooks(empty, first, format); err != nil || res.Updated != len(defaults)+1 || res.Created != 0 {
			t.Errorf("%s import again: %+v, %v", format, res, err)
		}
	}
	bad := []byte("version: 1\nplaybooks:\n  - name: Broken\n    subject: customer\n    trigger: {event: no.such_event}\n    actions: [{type: notify, to: [csm]}]\n")
	before, _ := f.db.ListPlaybooks(f.as)
	if _, err := f.db.ImportPlaybooks(f.as, bad, ""); onboardiq.ErrorField(err) != "playbooks[0].trigger.event" {
		t.Errorf("a bad file: %v (field %q)", err, onboardiq.ErrorField(err))
	}
	if after, _ := f.db.ListPlaybooks(f.as); len(after) != len(before) {
		t.Errorf("a bad import changed the playbooks: %d → %d", len(before), len(after))
	}
}

// TestPlaybookPagesReadInFixedRoundTrips: the list and a playbook's page
// cost the same with one run as with ten.
func TestPlaybookPagesReadInFixedRoundTrips(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	pb := f.create(t, onboardiq.Playbook{Name: "Blocked", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"}, Actions: notifyAndTask})
	var list, one [][]string
	for _, n := range []int{1, 10} {
		for range n - len(f.runs(t, pb.ID)) {
			if _, err := f.db.RunPlaybook(f.as, pb.ID, RunInput{CustomerID: f.customer.ID}); err != nil {
				t.Fatal(err)
			}
		}
		f.tr.take()
		lp, err := f.traced.LoadPlaybooksPage(f.as)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, f.tr.take())
		pp, err := f.traced.LoadPlaybookPage(f.as, &pb.ID)
		if err != nil {
			t.Fatal(err)
		}
		one = append(one, f.tr.take())
		if !lp.CanManage || len(pp.Runs) != n || pp.Playbook.ID != pb.ID || len(pp.Customers) != 1 || len(pp.Stages) == 0 || len(pp.Staff) == 0 {
			t.Errorf("%d runs: list %+v, page runs %d, customers %d", n, lp, len(pp.Runs), len(pp.Customers))
		}
	}
	sameCost(t, "playbooks page", list)
	sameCost(t, "playbook page", one)
	if _, err := f.db.LoadPlaybooksPage(f.asContact); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact's list: %v", err)
	}
}

// TestDefaultPlaybooksForOlderWorkspaces: a workspace created before
// playbooks existed is given the defaults once (serve at start); one it
// already has by name is kept as it is; a second start gives nothing.
func TestDefaultPlaybooksForOlderWorkspaces(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	ctx := context.Background()
	if err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM playbooks WHERE tenant_id = $1 AND name <> 'Health below 40'`, f.tenant); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE tenants SET playbooks_seeded_at = NULL WHERE tenant_id = $1`, f.tenant)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kept, err := f.db.ListPlaybooks(f.as)
	if err != nil || len(kept) != 1 {
		t.Fatalf("before: %d, %v", len(kept), err)
	}
	kept[0].Actions[0].URL = "https://93.184.215.14/mine"
	if _, err := f.db.UpdatePlaybook(f.as, kept[0].ID, *kept[0]); err != nil {
		t.Fatal(err)
	}
	if n, err := f.db.CreateMissingDefaultPlaybooks(ctx); err != nil || n < 1 {
		t.Fatalf("first start: %d workspaces, %v", n, err)
	}
	all, err := f.db.ListPlaybooks(f.as)
	if err != nil || len(all) != len(playbook.Defaults()) {
		t.Fatalf("after: %d playbooks, %v", len(all), err)
	}
	for _, p := range all {
		if p.Name == "Health below 40" && p.Actions[0].URL != "https://93.184.215.14/mine" {
			t.Errorf("the workspace's own version was replaced: %+v", p.Actions[0])
		}
	}
	if err := f.db.DeletePlaybook(f.as, all[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.CreateMissingDefaultPlaybooks(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.db.ListPlaybooks(f.as); len(again) != len(all)-1 {
		t.Errorf("a second start brought a deleted default back: %d playbooks", len(again))
	}
}

// TestPlaybookEventTriggersFireOnce: for each kind of event a playbook
// may wait for, an event of that kind runs the playbook waiting for it,
// once however often it is handed over, and no playbook waiting for
// another kind; a second such event within the cooldown is held back.
func TestPlaybookEventTriggersFireOnce(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	ctx := context.Background()
	kinds := []onboardiq.EventKind{onboardiq.EventCustomerHealthLevelChanged, onboardiq.EventCustomerHealthDropped, onboardiq.EventCustomerStageChanged,
		onboardiq.EventProjectOverdue, onboardiq.EventProjectAtRisk, onboardiq.EventProjectCompleted, onboardiq.EventMilestoneReached,
		onboardiq.EventSurveyAnswered, onboardiq.EventTaskBlocked, onboardiq.EventTaskCompleted}
	pbs := map[onboardiq.EventKind]uuid.UUID{}
	for i, k := range kinds {
		subject := "customer"
		if i%2 == 1 && !strings.HasPrefix(string(k), "customer.") {
			subject = "project"
		}
		pb := f.create(t, onboardiq.Playbook{Name: string(k), Subject: subject, Trigger: onboardiq.PlaybookTrigger{Event: string(k)}, CooldownMinutes: 60,
			Actions: []onboardiq.PlaybookAction{{Type: "notify", To: []string{"csm"}, Subject: "{{trigger}}"}}})
		pbs[k] = pb.ID
	}
	emit := func(k onboardiq.EventKind) *onboardiq.Event {
		t.Helper()
		var e *onboardiq.Event
		if err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
			if err := tx.Emit(ctx, onboardiq.Event{Kind: k, CustomerID: &f.customer.ID, ProjectID: &f.project.ID, TaskID: &f.tasks[0].ID}); err != nil {
				return err
			}
			var id int64
			if err := tx.QueryRow(ctx, `SELECT max(event_id) FROM events WHERE tenant_id = $1`, f.tenant).Scan(&id); err != nil {
				return err
			}
			var err error
			e, err = tx.Event(ctx, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	now := time.Now()
	for _, k := range kinds {
		e := emit(k)
		if n := f.trigger(t, e, now); n != 1 {
			t.Errorf("%s: %d runs, want 1", k, n)
		}
		if n := f.trigger(t, e, now); n != 0 {
			t.Errorf("%s handed over again: %d runs, want 0", k, n)
		}
	}
	for _, k := range kinds {
		runs := f.runs(t, pbs[k])
		if len(runs) != 1 || runs[0].Trigger != string(k) || runs[0].Status != "running" {
			t.Errorf("%s: %+v", k, runs)
		}
	}
	// Within the cooldown, the same kind again is held back.
	f.trigger(t, emit(kinds[0]), now.Add(time.Minute))
	if got := statuses(f.runs(t, pbs[kinds[0]])); !slices.Equal(got, []string{"running", "skipped"}) {
		t.Errorf("within the cooldown: %v", got)
	}
}
