package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/schedule"
)

// day is a date of March 2027 at 9:00 UTC (1 March 2027 is a Monday).
func day(d int) time.Time { return time.Date(2027, 3, d, 9, 0, 0, 0, time.UTC) }

func ptrTime(t time.Time) *time.Time { return &t }

// depTask creates a task of project pr, with start and due (0: none) and
// predecessors.
func (f *pageFixture) depTask(t *testing.T, pr *onboardiq.Project, desc string, start, due int, status onboardiq.Status, after ...*onboardiq.Task) *onboardiq.Task {
	t.Helper()
	in := onboardiq.TaskPatch{Description: onboardiq.Set(desc), Status: onboardiq.Set(status)}
	if start > 0 {
		in.StartAt = onboardiq.Set(day(start))
	}
	if due > 0 {
		in.DueAt = onboardiq.Set(day(due))
	}
	if len(after) > 0 {
		ids := make([]uuid.UUID, len(after))
		for i, a := range after {
			ids[i] = a.ID
		}
		in.DependsOn = onboardiq.Set(ids)
	}
	x, err := f.db.CreateTask(f.as, pr.ID, in)
	if err != nil {
		t.Fatalf("create %s: %v", desc, err)
	}
	return x
}

func (f *pageFixture) getTask(t *testing.T, id uuid.UUID) *onboardiq.Task {
	t.Helper()
	x, err := f.db.GetTask(f.as, id)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// wantInvalid fails unless err is EINVALID naming field with a message
// containing want.
func wantInvalid(t *testing.T, err error, field, want string) {
	t.Helper()
	var e *onboardiq.Error
	if onboardiq.ErrorCode(err) != onboardiq.EINVALID || !asError(err, &e) || e.Field != field || !strings.Contains(e.Message, want) {
		t.Errorf("error %v, want invalid %s: …%s…", err, field, want)
	}
}

func asError(err error, e **onboardiq.Error) bool {
	for err != nil {
		if x, ok := err.(*onboardiq.Error); ok {
			*e = x
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TestDependencyCycleRefused: a change that would make a task wait on
// itself, directly or through others, is refused naming the tasks along
// the cycle, and changes nothing.
func TestDependencyCycleRefused(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr := f.lifecycleProject(t, "Rollout", 5, 30)
	a := f.depTask(t, pr, "Kickoff", 0, 0, onboardiq.StatusNotStarted)
	b := f.depTask(t, pr, "Connect SSO", 0, 0, onboardiq.StatusNotStarted, a)
	c := f.depTask(t, pr, "Train admins", 0, 0, onboardiq.StatusNotStarted, b)
	if got := f.getTask(t, c.ID); !cmp.Equal(got.DependsOn, []uuid.UUID{b.ID}) || len(got.WaitingOn) != 1 || got.WaitingOn[0].Description != "Connect SSO" {
		t.Fatalf("c depends on %v, waits on %v", got.DependsOn, got.WaitingOn)
	}

	_, err := f.db.UpdateTask(f.as, a.ID, onboardiq.TaskPatch{DependsOn: onboardiq.Set([]uuid.UUID{c.ID})})
	wantInvalid(t, err, "depends_on", "“Kickoff” → “Train admins” → “Connect SSO” → “Kickoff” would wait on itself")
	_, err = f.db.UpdateTask(f.as, a.ID, onboardiq.TaskPatch{DependsOn: onboardiq.Set([]uuid.UUID{a.ID})})
	wantInvalid(t, err, "depends_on", "cannot wait on itself")
	if got := f.getTask(t, a.ID); len(got.DependsOn) != 0 {
		t.Errorf("a refused change left a depending on %v", got.DependsOn)
	}

	// Replacing, then clearing, is allowed; the event names the change.
	got, err := f.db.UpdateTask(f.as, c.ID, onboardiq.TaskPatch{DependsOn: onboardiq.Set([]uuid.UUID{a.ID, b.ID, a.ID})})
	if err != nil || !cmp.Equal(got.DependsOn, []uuid.UUID{a.ID, b.ID}) {
		t.Fatalf("c after a and b: %v, %v", got.DependsOn, err)
	}
	got, err = f.db.UpdateTask(f.as, c.ID, onboardiq.TaskPatch{DependsOn: onboardiq.Patch[[]uuid.UUID]{Set: true, Null: true}})
	if err != nil || len(got.DependsOn) != 0 || got.DependsOn == nil {
		t.Fatalf("c cleared: %#v, %v", got.DependsOn, err)
	}
	var n int
	f.scalar(t, &n, `SELECT count(*) FROM events WHERE tenant_id = $1 AND task_id = $2 AND kind = 'task.updated' AND changes ? 'depends_on'`, f.tenant, c.ID)
	if n != 2 {
		t.Errorf("%d task.updated events with depends_on changes, want 2", n)
	}
}

func (f *pageFixture) scalar(t *testing.T, dst any, sql string, args ...any) {
	t.Helper()
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, sql, args...).Scan(dst)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDependencyOutsideTheProjectRefused: a predecessor in another project,
// in another tenant, or no task at all is refused naming depends_on; only
// staff who may edit tasks change dependencies.
func TestDependencyOutsideTheProjectRefused(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr := f.lifecycleProject(t, "Rollout", 5, 30)
	other := f.lifecycleProject(t, "Pilot", 5, 30)
	a := f.depTask(t, pr, "Kickoff", 0, 0, onboardiq.StatusNotStarted)
	elsewhere := f.depTask(t, other, "Pilot kickoff", 0, 0, onboardiq.StatusNotStarted)

	g := newPageFixture(t) // another tenant
	gp := g.lifecycleProject(t, "Theirs", 5, 30)
	theirs := g.depTask(t, gp, "Their kickoff", 0, 0, onboardiq.StatusNotStarted)

	for name, id := range map[string]uuid.UUID{"another project": elsewhere.ID, "another tenant": theirs.ID, "no task": uuid.New()} {
		_, err := f.db.UpdateTask(f.as, a.ID, onboardiq.TaskPatch{DependsOn: onboardiq.Set([]uuid.UUID{id})})
		wantInvalid(t, err, "depends_on", "is not a task of this project")
		_, err = f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("New"), DependsOn: onboardiq.Set([]uuid.UUID{id})})
		wantInvalid(t, err, "depends_on", "is not a task of this project")
		if t.Failed() {
			t.Fatalf("%s: accepted", name)
		}
	}
	// Another tenant cannot point at ours either.
	_, err := g.db.UpdateTask(g.as, theirs.ID, onboardiq.TaskPatch{DependsOn: onboardiq.Set([]uuid.UUID{a.ID})})
	wantInvalid(t, err, "depends_on", "is not a task of this project")

	b := f.depTask(t, pr, "Connect SSO", 0, 0, onboardiq.StatusNotStarted)
	for _, role := range []onboardiq.Role{onboardiq.RoleSalesLeader, onboardiq.RoleViewer, onboardiq.RoleCustomer} {
		as := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(role, f.contact.ID))
		_, err := f.db.UpdateTask(as, b.ID, onboardiq.TaskPatch{DependsOn: onboardiq.Set([]uuid.UUID{a.ID})})
		if code := onboardiq.ErrorCode(err); code != onboardiq.EFORBIDDEN && code != onboardiq.ENOTFOUND {
			t.Errorf("%s set a predecessor: %v", role, err)
		}
		_, err = f.db.UpdateTask(as, b.ID, onboardiq.TaskPatch{DueAt: onboardiq.Set(day(5)), ShiftDependents: true})
		if code := onboardiq.ErrorCode(err); code != onboardiq.EFORBIDDEN && code != onboardiq.ENOTFOUND {
			t.Errorf("%s moved a task: %v", role, err)
		}
	}
	if got := f.getTask(t, b.ID); len(got.DependsOn) != 0 || got.DueAt != nil {
		t.Errorf("refused changes left %v, due %v", got.DependsOn, got.DueAt)
	}
}

// TestContactSeesOnlyVisiblePredecessors: an internal predecessor is not
// named to a customer contact.
func TestContactSeesOnlyVisiblePredecessors(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr := f.lifecycleProject(t, "Rollout", 5, 30)
	internal, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Internal review"), Visibility: onboardiq.Set(onboardiq.VisibilityInternal)})
	if err != nil {
		t.Fatal(err)
	}
	shared := f.depTask(t, pr, "Kickoff", 0, 0, onboardiq.StatusNotStarted)
	x := f.depTask(t, pr, "Go live", 0, 0, onboardiq.StatusNotStarted, internal, shared)
	if got := f.getTask(t, x.ID); len(got.DependsOn) != 2 || len(got.WaitingOn) != 2 {
		t.Errorf("staff see %v, waiting on %v", got.DependsOn, got.WaitingOn)
	}
	got, err := f.db.GetTask(f.asContact, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got.DependsOn, []uuid.UUID{shared.ID}) || len(got.WaitingOn) != 1 || got.WaitingOn[0].ID != shared.ID {
		t.Errorf("the contact sees %v, waiting on %v; want only the shared task", got.DependsOn, got.WaitingOn)
	}
	page, err := f.db.LoadPortalProjectPage(f.asContact, pr.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(page.Tasks, func(pt *onboardiq.Task) bool { return pt.ID == x.ID })
	if i < 0 {
		t.Fatal("the contact's project page lacks the task")
	}
	if pt := page.Tasks[i]; !cmp.Equal(pt.DependsOn, []uuid.UUID{shared.ID}) || len(pt.WaitingOn) != 1 || pt.WaitingOn[0].ID != shared.ID {
		t.Errorf("the contact's project page: %v, waiting on %v; want only the shared task", pt.DependsOn, pt.WaitingOn)
	}
}

// TestShiftDependents: moving a task's due date by two working days with
// ShiftDependents moves what waits on it, transitively, by two working days
// over a weekend and a holiday, each with an event; a finished task, and
// what waits only through it, stays; without the flag nothing moves.
func TestShiftDependents(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	if _, err := f.db.SetHolidays(f.as, []onboardiq.Holiday{{Day: "2027-03-15", Name: "Founders' day"}}); err != nil {
		t.Fatal(err)
	}
	pr := f.lifecycleProject(t, "Rollout", 5, 400)
	a := f.depTask(t, pr, "Kickoff", 1, 5, onboardiq.StatusInProgress)              // due Fri 5
	b := f.depTask(t, pr, "Connect SSO", 8, 10, onboardiq.StatusNotStarted, a)      // Mon 8 – Wed 10
	c := f.depTask(t, pr, "Train admins", 11, 12, onboardiq.StatusNotStarted, b)    // Thu 11 – Fri 12
	d := f.depTask(t, pr, "Import data", 0, 9, onboardiq.StatusCompleted, a)        // done
	e := f.depTask(t, pr, "Verify import", 10, 11, onboardiq.StatusNotStarted, d)   // waits on a only through d
	x := f.depTask(t, pr, "Unrelated", 8, 9, onboardiq.StatusNotStarted)            // waits on nothing
	undated := f.depTask(t, pr, "Send survey", 0, 0, onboardiq.StatusNotStarted, c) // nothing to move
	dropped := f.depTask(t, pr, "Old import", 8, 9, onboardiq.StatusCancelled, a)   // cancelled
	_ = undated

	// Without the flag, only the task moves.
	if _, shifted, err := f.db.UpdateTaskAndDependents(f.as, a.ID, onboardiq.TaskPatch{DueAt: onboardiq.Set(day(8))}); err != nil || len(shifted) != 0 {
		t.Fatalf("moved without shifting: %v, %v", shifted, err)
	}
	if got := f.getTask(t, b.ID); !got.DueAt.Equal(day(10)) {
		t.Fatalf("b moved without the flag: %v", got.DueAt)
	}
	if _, err := f.db.UpdateTask(f.as, a.ID, onboardiq.TaskPatch{DueAt: onboardiq.Set(day(5))}); err != nil {
		t.Fatal(err)
	}

	// Fri 5 → Tue 9: two working days (Mon 8, Tue 9).
	got, shifted, err := f.db.UpdateTaskAndDependents(f.as, a.ID, onboardiq.TaskPatch{DueAt: onboardiq.Set(day(9)), ShiftDependents: true})
	if err != nil {
		t.Fatal(err)
	}
	if !got.DueAt.Equal(day(9)) {
		t.Errorf("a due %v", got.DueAt)
	}
	if diff := cmp.Diff([]onboardiq.TaskRef{{ID: b.ID, Description: "Connect SSO"}, {ID: c.ID, Description: "Train admins"}}, shifted); diff != "" {
		t.Errorf("shifted (-want +got):\n%s", diff)
	}
	want := map[uuid.UUID][2]*time.Time{
		b.ID:       {ptrTime(day(10)), ptrTime(day(12))}, // Mon 8 → Wed 10, Wed 10 → Fri 12
		c.ID:       {ptrTime(day(16)), ptrTime(day(17))}, // Thu 11 → Tue 16 (weekend, holiday), Fri 12 → Wed 17
		d.ID:       {nil, ptrTime(day(9))},
		e.ID:       {ptrTime(day(10)), ptrTime(day(11))},
		x.ID:       {ptrTime(day(8)), ptrTime(day(9))},
		dropped.ID: {ptrTime(day(8)), ptrTime(day(9))},
	}
	for id, w := range want {
		g := f.getTask(t, id)
		if !sameTime(g.StartAt, w[0]) || !sameTime(g.DueAt, w[1]) {
			t.Errorf("%s: %v – %v, want %v – %v", g.Description, g.StartAt, g.DueAt, w[0], w[1])
		}
	}
	var n int
	f.scalar(t, &n, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind = 'task.updated' AND task_id = ANY ($2)
		AND changes ? 'due_at' AND (data->>'working_days')::int = 2 AND data->'moved_with'->>'id' = $3`, f.tenant, []uuid.UUID{b.ID, c.ID}, a.ID.String())
	if n != 2 {
		t.Errorf("%d shift events, want one for each of b and c", n)
	}

	// Back by two working days: everything returns.
	if _, shifted, err = f.db.UpdateTaskAndDependents(f.as, a.ID, onboardiq.TaskPatch{DueAt: onboardiq.Set(day(5)), ShiftDependents: true}); err != nil || len(shifted) != 2 {
		t.Fatalf("back: %v, %v", shifted, err)
	}
	if g := f.getTask(t, c.ID); !sameTime(g.StartAt, ptrTime(day(11))) || !sameTime(g.DueAt, ptrTime(day(12))) {
		t.Errorf("c back: %v – %v", g.StartAt, g.DueAt)
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// TestStartNotAfterDue: a start after the due date is refused naming the
// field that was set.
func TestStartNotAfterDue(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr := f.lifecycleProject(t, "Rollout", 5, 30)
	x := f.depTask(t, pr, "Kickoff", 3, 5, onboardiq.StatusNotStarted)
	_, err := f.db.UpdateTask(f.as, x.ID, onboardiq.TaskPatch{StartAt: onboardiq.Set(day(6))})
	wantInvalid(t, err, "start_at", "must not be after the due date")
	_, err = f.db.UpdateTask(f.as, x.ID, onboardiq.TaskPatch{DueAt: onboardiq.Set(day(2))})
	wantInvalid(t, err, "due_at", "must not be before the start date")
	got, err := f.db.UpdateTask(f.as, x.ID, onboardiq.TaskPatch{StartAt: onboardiq.Set(day(4))})
	if err != nil || !got.StartAt.Equal(day(4)) {
		t.Errorf("start moved to the 4th: %v, %v", got, err)
	}
}

// TestProjectFromTemplateInWorkingDays: a project created from a template
// dates its tasks in working days from its first working day (weekends and
// holidays skipped), is due when its last task is, and has the template's
// dependencies between its tasks.
func TestProjectFromTemplateInWorkingDays(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	if _, err := f.db.SetHolidays(f.as, []onboardiq.Holiday{{Day: "2027-03-03", Name: "Holiday"}}); err != nil {
		t.Fatal(err)
	}
	tpl, err := f.db.CreateTemplate(f.as, onboardiq.Template{Name: "Short plan", Tasks: []onboardiq.TemplateTask{
		{Phase: "Setup", Description: "Kickoff", OffsetDays: 0, DurationDays: 2, Side: "vendor"},
		{Phase: "Setup", Description: "Connect SSO", OffsetDays: 2, DurationDays: 3, Side: "customer"},
		{Phase: "Go-live", Description: "Go live", OffsetDays: 5, DurationDays: 1, Side: "vendor"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Go live waits on both others; Connect SSO on Kickoff.
	f.exec(t, `
INSERT INTO template_task_dependencies (tenant_id, template_task_id, depends_on_template_task_id)
SELECT a.tenant_id, a.template_task_id, b.template_task_id
FROM template_tasks a JOIN template_tasks b ON b.tenant_id = a.tenant_id AND b.template_id = a.template_id
WHERE a.tenant_id = $1 AND a.template_id = $2 AND (a.position, b.position) IN ((1, 0), (2, 0), (2, 1))
RETURNING 1`, f.tenant, tpl.ID)

	start := time.Date(2027, 2, 27, 9, 0, 0, 0, time.UTC) // a Saturday: day 0 is Monday 1 March
	pr, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "From the plan", StartDate: start, TemplateID: &tpl.ID})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{ListOptions: onboardiq.ListOptions{Limit: 10}})
	if err != nil {
		t.Fatal(err)
	}
	type dated struct {
		Description string
		Start, Due  time.Time
		DependsOn   []string
	}
	names := map[uuid.UUID]string{}
	for _, x := range tasks.Items {
		names[x.ID] = x.Description
	}
	var got []dated
	for _, x := range tasks.Items {
		d := dated{Description: x.Description, Start: x.StartAt.UTC(), Due: x.DueAt.UTC()}
		for _, id := range x.DependsOn {
			d.DependsOn = append(d.DependsOn, names[id])
		}
		got = append(got, d)
	}
	// Working days of March 2027: Mon 1, Tue 2, (Wed 3 a holiday), Thu 4,
	// Fri 5, Mon 8, Tue 9, Wed 10, Thu 11.
	want := []dated{
		{"Kickoff", day(1), day(4), nil},                                 // 0 + 2: Tue 2, Thu 4
		{"Connect SSO", day(4), day(9), []string{"Kickoff"}},             // 2: Thu 4; + 3: Fri 5, Mon 8, Tue 9
		{"Go live", day(9), day(10), []string{"Kickoff", "Connect SSO"}}, // 5: Tue 9; + 1: Wed 10
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
	if pr.Deadline == nil || !pr.Deadline.Equal(day(10)) {
		t.Errorf("deadline %v, want the last due date %v", pr.Deadline, day(10))
	}
}

// TestHolidays: admins replace the list; it comes back in date order; a bad
// entry is refused naming it and changes nothing; others may read it only.
func TestHolidays(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	saved, err := f.db.SetHolidays(f.as, []onboardiq.Holiday{{Day: "2026-12-25", Name: " Christmas "}, {Day: "2026-01-01", Name: "New Year"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []onboardiq.Holiday{{Day: "2026-01-01", Name: "New Year"}, {Day: "2026-12-25", Name: "Christmas"}}
	if diff := cmp.Diff(want, saved); diff != "" {
		t.Errorf("saved (-want +got):\n%s", diff)
	}
	_, err = f.db.SetHolidays(f.as, []onboardiq.Holiday{{Day: "2026-05-01"}, {Day: "2026-05-01"}})
	wantInvalid(t, err, "holidays[1].day", "2026-05-01 is already holidays[0]")
	_, err = f.db.SetHolidays(f.as, []onboardiq.Holiday{{Day: "25/12/2026"}})
	wantInvalid(t, err, "holidays[0].day", `"25/12/2026" is not a date`)
	csm := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleCSM, uuid.New()))
	if _, err := f.db.SetHolidays(csm, nil); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a CSM replaced the holidays: %v", err)
	}
	got, err := f.db.ListHolidays(csm)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed (-want +got):\n%s", diff)
	}
	if _, err := f.db.ListHolidays(f.asContact); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact read the holidays: %v", err)
	}
	if _, err := f.db.SetHolidays(f.as, nil); err != nil {
		t.Fatal(err)
	}
	var n int
	f.scalar(t, &n, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind = 'settings.holidays_changed'`, f.tenant)
	if n != 2 {
		t.Errorf("%d holidays events, want 2 (set, cleared)", n)
	}
}

// TestScanForecastsTheChain: the delay scan feeds the dependencies of open
// tasks to the forecast; a chain that cannot fit before the deadline makes
// the project at risk, naming the chain's last task.
func TestScanForecastsTheChain(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	now := time.Now().UTC()
	var cal schedule.Calendar
	due := func(n int) time.Time { return cal.AddWorkdays(now, n) }
	deadline := due(8)
	pr, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "Chained", StartDate: now.AddDate(0, 0, -30), Deadline: &deadline})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Export the data"), DueAt: onboardiq.Set(due(6))})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Import the data"), DueAt: onboardiq.Set(due(7))})
	if err != nil {
		t.Fatal(err)
	}
	riskOf := func() (bool, string) {
		var risk bool
		var reason *string
		err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
			return tx.QueryRow(ctx, `SELECT at_risk, risk_reason FROM projects WHERE tenant_id = $1 AND project_id = $2`, f.tenant, pr.ID).Scan(&risk, &reason)
		})
		if err != nil {
			t.Fatal(err)
		}
		if reason == nil {
			return risk, ""
		}
		return risk, *reason
	}
	if _, err := f.db.ScanOne(context.Background(), f.tenant, now); err != nil {
		t.Fatal(err)
	}
	if risk, why := riskOf(); risk {
		t.Fatalf("independent tasks due before the deadline: at risk (%s)", why)
	}
	// Import waits on export: 6 + 7 working days, past the deadline.
	if _, err := f.db.UpdateTask(f.as, b.ID, onboardiq.TaskPatch{DependsOn: onboardiq.Set([]uuid.UUID{a.ID})}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ScanOne(context.Background(), f.tenant, now); err != nil {
		t.Fatal(err)
	}
	if risk, why := riskOf(); !risk || !strings.Contains(why, "ending with “Import the data” needs 13 working days") {
		t.Errorf("chained: at risk %v, reason %q", risk, why)
	}
}
