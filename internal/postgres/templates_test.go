package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// templateEnv is a tenant with its default template, an admin and a CSM
// acting in it, and a second tenant's admin.
type templateEnv struct {
	db              *postgres.DB
	tenant          uuid.UUID
	admin, csm      context.Context
	other           context.Context // the admin of another tenant
	adminID, csmID  uuid.UUID
	defaultTemplate *onboardiq.Template
}

func newTemplateEnv(t *testing.T) *templateEnv {
	t.Helper()
	d := testdb.New(t)
	ctx := context.Background()
	res, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Plans", Slug: "plans", AdminEmail: "admin@plans.test", AdminName: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	e := &templateEnv{db: d.App, tenant: res.Tenant.ID, adminID: res.Admin.ID}
	e.admin = onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: e.tenant, UserID: res.Admin.ID, Role: onboardiq.RoleAdmin})
	csm, err := d.App.CreateUser(e.admin, onboardiq.NewUser{Email: "csm@plans.test", Name: "Casey", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	e.csmID = csm.ID
	e.csm = onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: e.tenant, UserID: csm.ID, Role: onboardiq.RoleCSM})
	other, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Other", Slug: "other", AdminEmail: "admin@other.test", AdminName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	e.other = onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: other.Tenant.ID, UserID: other.Admin.ID, Role: onboardiq.RoleAdmin})
	ts, err := d.App.ListTemplates(e.admin)
	if err != nil || len(ts) != 1 || !ts[0].IsDefault {
		t.Fatalf("templates of a new tenant: %v %v", ts, err)
	}
	e.defaultTemplate = ts[0]
	return e
}

func titles(tasks []onboardiq.TemplateTask) []string {
	var out []string
	for _, pt := range tasks {
		out = append(out, pt.Description)
	}
	return out
}

// TestNewTenantGetsTheDefaultPlan: the default template is the plan of
// onboardiq.DefaultTemplate, dependencies included, with ids of the
// tenant's own.
func TestNewTenantGetsTheDefaultPlan(t *testing.T) {
	t.Parallel()
	e := newTemplateEnv(t)
	got := e.defaultTemplate.Tasks
	if len(got) != len(onboardiq.DefaultTemplate) {
		t.Fatalf("%d tasks, want %d", len(got), len(onboardiq.DefaultTemplate))
	}
	index := map[uuid.UUID]int{}
	for i, pt := range got {
		index[pt.ID] = i
	}
	wantIndex := map[uuid.UUID]int{}
	for i, pt := range onboardiq.DefaultTemplate {
		wantIndex[pt.ID] = i
	}
	for i, pt := range got {
		want := onboardiq.DefaultTemplate[i]
		if pt.ID == want.ID || pt.Description != want.Description || pt.Details != want.Details || pt.OffsetDays != want.OffsetDays ||
			pt.DurationDays != want.DurationDays || pt.Side != want.Side || pt.Visibility != want.Visibility {
			t.Errorf("task %d: %+v, want %+v with an id of its own", i, pt, want)
		}
		var deps, wantDeps []int
		for _, d := range pt.DependsOn {
			deps = append(deps, index[d])
		}
		for _, d := range want.DependsOn {
			wantDeps = append(wantDeps, wantIndex[d])
		}
		if !slices.Equal(deps, wantDeps) {
			t.Errorf("task %d waits on %v, want %v", i, deps, wantDeps)
		}
	}
}

// TestUpdateTemplateKeepsTaskIDs: renaming a task keeps its id and its
// details, and the project made from the template keeps its link; tasks
// are added (one with an id of the caller's choosing, which another new
// task waits on in the same request), deleted and reordered in one save;
// the positions follow the order sent; the change is logged.
func TestUpdateTemplateKeepsTaskIDs(t *testing.T) {
	t.Parallel()
	e := newTemplateEnv(t)
	tpl := e.defaultTemplate
	c, err := e.db.CreateCustomer(e.admin, onboardiq.NewCustomer{Name: "Globex"})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := e.db.CreateProject(e.admin, onboardiq.NewProject{CustomerID: c.ID, Name: "Rollout", TemplateID: &tpl.ID})
	if err != nil {
		t.Fatal(err)
	}

	edit := *tpl
	edit.Tasks = slices.Clone(tpl.Tasks)
	kickoff := edit.Tasks[1]
	edit.Tasks[1].Description = "Kickoff meeting"
	// The last task moves to the top; the internal review goes; two new
	// tasks, one named by the other.
	named := uuid.New()
	last := edit.Tasks[len(edit.Tasks)-1]
	rest := slices.Clone(edit.Tasks[1 : len(edit.Tasks)-1])
	removed := edit.Tasks[0]
	for i := range rest { // nothing may wait on the removed task
		rest[i].DependsOn = slices.DeleteFunc(slices.Clone(rest[i].DependsOn), func(id uuid.UUID) bool { return id == removed.ID })
	}
	edit.Tasks = append([]onboardiq.TemplateTask{last}, rest...)
	edit.Tasks = append(edit.Tasks,
		onboardiq.TemplateTask{ID: named, Phase: "Kickoff", Description: "Send the welcome pack", Side: "vendor", OffsetDays: 1, DurationDays: 1, DependsOn: []uuid.UUID{kickoff.ID}},
		onboardiq.TemplateTask{Phase: "Kickoff", Description: "Read the welcome pack", Side: "customer", OffsetDays: 2, DurationDays: 1, DependsOn: []uuid.UUID{named}})
	out, err := e.db.UpdateTemplate(e.admin, tpl.ID, edit)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{last.Description, "Kickoff meeting"}, titles(rest[1:])...)
	want = append(want, "Send the welcome pack", "Read the welcome pack")
	if diff := cmp.Diff(want, titles(out.Tasks)); diff != "" {
		t.Fatalf("tasks after the save (-want +got):\n%s", diff)
	}
	renamed := out.Tasks[1]
	if renamed.ID != kickoff.ID || renamed.Details != kickoff.Details || renamed.Details == "" {
		t.Errorf("the renamed task: %+v, want id %s and details %q", renamed, kickoff.ID, kickoff.Details)
	}
	if out.Tasks[0].ID != last.ID || !slices.Equal(out.Tasks[0].DependsOn, last.DependsOn) {
		t.Errorf("the moved task: %+v, was %+v", out.Tasks[0], last)
	}
	added := out.Tasks[len(out.Tasks)-2:]
	if added[0].ID != named || !slices.Equal(added[0].DependsOn, []uuid.UUID{kickoff.ID}) ||
		added[1].ID == uuid.Nil || !slices.Equal(added[1].DependsOn, []uuid.UUID{named}) {
		t.Errorf("the new tasks: %+v", added)
	}
	// Read back the same; positions 0…n-1 in that order.
	again, err := e.db.GetTemplate(e.admin, tpl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out.Tasks, again.Tasks); diff != "" {
		t.Errorf("read back (-saved +read):\n%s", diff)
	}
	var positions []int
	var linked int
	var changes string
	err = e.db.InTenant(context.Background(), e.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT position FROM template_tasks WHERE tenant_id = $1 AND template_id = $2 ORDER BY position`, e.tenant, tpl.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p int
			if err := rows.Scan(&p); err != nil {
				return err
			}
			positions = append(positions, p)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// The project's tasks still name the kept template tasks.
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tasks t JOIN template_tasks tt ON tt.tenant_id = t.tenant_id AND tt.template_task_id = t.template_task_id
WHERE t.tenant_id = $1 AND t.project_id = $2`, e.tenant, pr.ID).Scan(&linked); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT changes::text FROM events WHERE tenant_id = $1 AND kind = $2 ORDER BY event_id DESC LIMIT 1`, e.tenant, onboardiq.EventTemplateUpdated).Scan(&changes)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range positions {
		if p != i {
			t.Fatalf("positions %v, want 0…%d", positions, len(positions)-1)
		}
	}
	if len(positions) != len(out.Tasks) {
		t.Errorf("%d rows, %d tasks", len(positions), len(out.Tasks))
	}
	if linked != len(onboardiq.DefaultTemplate)-1 {
		t.Errorf("%d of the project's tasks name a template task, want %d (all but the deleted one)", linked, len(onboardiq.DefaultTemplate)-1)
	}
	for _, s := range []string{"Send the welcome pack", removed.Description, `"changed"`} {
		if !strings.Contains(changes, s) {
			t.Errorf("the log's changes %s do not mention %q", changes, s)
		}
	}
}

// TestUpdateTemplateRefusals: a cycle is refused naming the tasks along
// it, a dependency on another template's task and another template's task
// id are refused naming the field; a CSM and another tenant may not; each
// refusal changes nothing.
func TestUpdateTemplateRefusals(t *testing.T) {
	t.Parallel()
	e := newTemplateEnv(t)
	tpl := e.defaultTemplate
	other, err := e.db.CreateTemplate(e.admin, onboardiq.Template{Name: "Other", Tasks: []onboardiq.TemplateTask{{Phase: "P", Description: "Elsewhere", Side: "vendor"}}})
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(ts []onboardiq.TemplateTask) []onboardiq.TemplateTask) onboardiq.Template {
		in := *tpl
		in.Tasks = make([]onboardiq.TemplateTask, len(tpl.Tasks))
		for i, pt := range tpl.Tasks {
			pt.DependsOn = slices.Clone(pt.DependsOn)
			in.Tasks[i] = pt
		}
		in.Tasks = change(in.Tasks)
		return in
	}
	// Kickoff call (1) waits on "Create the production workspace" (4),
	// which waits on the kickoff call.
	cycle := with(func(ts []onboardiq.TemplateTask) []onboardiq.TemplateTask {
		ts[1].DependsOn = append(ts[1].DependsOn, ts[4].ID)
		return ts
	})
	for _, tc := range []struct {
		name       string
		ctx        context.Context
		in         onboardiq.Template
		code       string
		field, msg string
	}{
		{"a cycle", e.admin, cycle, onboardiq.EINVALID, "tasks[1].depends_on",
			"“Kickoff call: goals, scope and success criteria” → “Create the production workspace” → “Kickoff call: goals, scope and success criteria”"},
		{"another template's task as a predecessor", e.admin, with(func(ts []onboardiq.TemplateTask) []onboardiq.TemplateTask {
			ts[3].DependsOn = append(ts[3].DependsOn, other.Tasks[0].ID)
			return ts
		}), onboardiq.EINVALID, "tasks[3].depends_on", "no task of this template"},
		{"another template's task id", e.admin, with(func(ts []onboardiq.TemplateTask) []onboardiq.TemplateTask {
			return append(ts, onboardiq.TemplateTask{ID: other.Tasks[0].ID, Phase: "P", Description: "Moved", Side: "vendor"})
		}), onboardiq.EINVALID, "tasks[20].id", "another template"},
		{"a CSM", e.csm, with(func(ts []onboardiq.TemplateTask) []onboardiq.TemplateTask { return ts[1:] }), onboardiq.EFORBIDDEN, "", ""},
		{"another tenant", e.other, with(func(ts []onboardiq.TemplateTask) []onboardiq.TemplateTask { return ts[1:] }), onboardiq.ENOTFOUND, "", ""},
	} {
		_, err := e.db.UpdateTemplate(tc.ctx, tpl.ID, tc.in)
		if onboardiq.ErrorCode(err) != tc.code || onboardiq.ErrorField(err) != tc.field || !strings.Contains(onboardiq.ErrorMessage(err), tc.msg) {
			t.Errorf("%s: %v; want %s on %q saying %q", tc.name, err, tc.code, tc.field, tc.msg)
		}
	}
	after, err := e.db.GetTemplate(e.admin, tpl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tpl, after); diff != "" {
		t.Errorf("refused saves changed the template (-before +after):\n%s", diff)
	}
	// Another tenant reads, copies and deletes nothing of it.
	if _, err := e.db.GetTemplate(e.other, tpl.ID); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("another tenant reads it: %v", err)
	}
	if _, err := e.db.DuplicateTemplate(e.other, tpl.ID, ""); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("another tenant copies it: %v", err)
	}
	if err := e.db.DeleteTemplate(e.other, other.ID); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("another tenant deletes one: %v", err)
	}
	if ts, err := e.db.ListTemplates(e.other); err != nil || len(ts) != 1 || ts[0].ID == tpl.ID {
		t.Errorf("another tenant's list: %v %v", ts, err)
	}
	// A CSM reads it, and may not copy it.
	if _, err := e.db.GetTemplate(e.csm, tpl.ID); err != nil {
		t.Errorf("a CSM reads it: %v", err)
	}
	if _, err := e.db.DuplicateTemplate(e.csm, tpl.ID, ""); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a CSM copies it: %v", err)
	}
}

// TestDuplicateAndDeleteTemplate: a copy is named "Copy of …" (numbered
// when taken), has the same tasks and dependencies under new ids, and is
// not the default; the default template cannot be deleted; one in use
// can, and its projects keep their tasks.
func TestDuplicateAndDeleteTemplate(t *testing.T) {
	t.Parallel()
	e := newTemplateEnv(t)
	tpl := e.defaultTemplate
	cp, err := e.db.DuplicateTemplate(e.admin, tpl.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	cp2, err := e.db.DuplicateTemplate(e.admin, tpl.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if cp.Name != "Copy of "+tpl.Name || cp2.Name != "Copy of "+tpl.Name+" (2)" || cp.IsDefault || cp.Description != tpl.Description {
		t.Errorf("copies named %q and %q (default %v)", cp.Name, cp2.Name, cp.IsDefault)
	}
	if _, err := e.db.DuplicateTemplate(e.admin, tpl.ID, cp.Name); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT || onboardiq.ErrorField(err) != "name" {
		t.Errorf("a copy under a taken name: %v", err)
	}
	if !slices.Equal(titles(cp.Tasks), titles(tpl.Tasks)) {
		t.Fatalf("the copy's tasks: %v", titles(cp.Tasks))
	}
	ids := map[uuid.UUID]int{}
	for i, pt := range tpl.Tasks {
		ids[pt.ID] = i
	}
	copyIDs := map[uuid.UUID]int{}
	for i, pt := range cp.Tasks {
		if _, shared := ids[pt.ID]; shared {
			t.Errorf("task %d shares its id with the original", i)
		}
		copyIDs[pt.ID] = i
	}
	for i, pt := range cp.Tasks {
		var got, want []int
		for _, d := range pt.DependsOn {
			got = append(got, copyIDs[d])
		}
		for _, d := range tpl.Tasks[i].DependsOn {
			want = append(want, ids[d])
		}
		if !slices.Equal(got, want) || pt.Details != tpl.Tasks[i].Details {
			t.Errorf("task %d of the copy waits on %v, want %v", i, got, want)
		}
	}

	// The default cannot go; a copy in use can.
	if err := e.db.DeleteTemplate(e.admin, tpl.ID); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT || !strings.Contains(onboardiq.ErrorMessage(err), "default") {
		t.Errorf("delete the default: %v", err)
	}
	c, err := e.db.CreateCustomer(e.admin, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := e.db.CreateProject(e.admin, onboardiq.NewProject{CustomerID: c.ID, Name: "Rollout", TemplateID: &cp.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.db.GetTemplate(e.admin, cp.ID); err != nil || got.Projects != 1 {
		t.Errorf("the copy in use: %d projects (%v)", got.Projects, err)
	}
	if err := e.db.DeleteTemplate(e.csm, cp.ID); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a CSM deletes: %v", err)
	}
	if err := e.db.DeleteTemplate(e.admin, cp.ID); err != nil {
		t.Fatal(err)
	}
	p, err := e.db.GetProject(e.admin, pr.ID)
	if err != nil || p.TemplateID != nil {
		t.Errorf("the project after its template went: %+v %v", p, err)
	}
	tasks, err := e.db.ListTasks(e.admin, pr.ID, postgres.TaskFilter{ListOptions: onboardiq.ListOptions{Limit: 100}})
	if err != nil || len(tasks.Items) != len(tpl.Tasks) {
		t.Errorf("the project keeps %d tasks (%v)", len(tasks.Items), err)
	}
}

// TestTemplateFromProject: a running project's tasks become a template:
// phases, titles, details and visibility kept; a contact's task is the
// customer's, others the vendor's; offsets and durations in working days
// from the project start (weekends and the tenant's holidays skipped;
// a task without a start starts when the one before is due); the
// dependencies kept; cancelled tasks left out.
func TestTemplateFromProject(t *testing.T) {
	t.Parallel()
	e := newTemplateEnv(t)
	c, err := e.db.CreateCustomer(e.admin, onboardiq.NewCustomer{Name: "Umbrella", SupportMemberID: &e.csmID})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := e.db.CreateUser(e.admin, onboardiq.NewUser{Email: "pat@umbrella.test", Name: "Pat", Role: onboardiq.RoleCustomer, CustomerID: &c.ID})
	if err != nil {
		t.Fatal(err)
	}
	// Monday 5 April 2027; Wednesday 7 April a holiday.
	start := time.Date(2027, 4, 5, 9, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2027, 4, d, 17, 0, 0, 0, time.UTC) }
	pr, err := e.db.CreateProject(e.admin, onboardiq.NewProject{CustomerID: c.ID, Name: "Umbrella pilot", StartDate: start})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		phase, title, details, vis, status string
		assignee                           *uuid.UUID
		startAt, dueAt                     *time.Time
	}
	ptr := func(t time.Time) *time.Time { return &t }
	rows := []row{
		{"Kickoff", "Kickoff call", "Agree the goals.", "customer", "completed", &e.csmID, ptr(day(5)), ptr(day(6))},
		{"Setup", "Configure SSO", "SAML.", "customer", "in_progress", &contact.ID, ptr(day(8)), ptr(day(13))},
		{"Setup", "Dropped idea", "", "customer", "cancelled", &contact.ID, nil, ptr(day(9))},
		{"", "Internal: check the logs", "", "internal", "not_started", nil, nil, ptr(day(15))},
	}
	ids := make([]uuid.UUID, len(rows))
	err = e.db.InTenant(context.Background(), e.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO tenant_holidays (tenant_id, day, name) VALUES ($1, '2027-04-07', 'Founders day')`, e.tenant); err != nil {
			return err
		}
		for i, r := range rows {
			var completed *time.Time
			if r.status == "completed" {
				completed = r.dueAt
			}
			if err := tx.QueryRow(ctx, `
INSERT INTO tasks (tenant_id, project_id, phase, position, description, details, visibility, status, completed_at, assigned_to, start_at, due_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING task_id`,
				e.tenant, pr.ID, r.phase, i, r.title, r.details, r.vis, r.status, completed, r.assignee, r.startAt, r.dueAt).Scan(&ids[i]); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO task_dependencies (tenant_id, task_id, depends_on_task_id)
VALUES ($1, $3, $2), ($1, $4, $3), ($1, $5, $2), ($1, $5, $3), ($1, $5, $4)`, e.tenant, ids[0], ids[1], ids[2], ids[3])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.CreateTemplateFromProject(e.csm, pr.ID, "Pilot plan"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a CSM: %v", err)
	}
	if _, err := e.db.CreateTemplateFromProject(e.other, pr.ID, "Pilot plan"); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("another tenant: %v", err)
	}
	tpl, err := e.db.CreateTemplateFromProject(e.admin, pr.ID, "Pilot plan")
	if err != nil {
		t.Fatal(err)
	}
	type task struct {
		Phase, Title, Details, Side string
		Vis                         onboardiq.Visibility
		Offset, Duration            int
		DependsOn                   []string
	}
	byID := map[uuid.UUID]string{}
	for _, pt := range tpl.Tasks {
		byID[pt.ID] = pt.Description
	}
	var got []task
	for _, pt := range tpl.Tasks {
		deps := []string{}
		for _, d := range pt.DependsOn {
			deps = append(deps, byID[d])
		}
		got = append(got, task{pt.Phase, pt.Description, pt.Details, pt.Side, pt.Visibility, pt.OffsetDays, pt.DurationDays, deps})
	}
	want := []task{
		// Starts on the start day; due Tuesday: one working day.
		{"Kickoff", "Kickoff call", "Agree the goals.", "vendor", "customer", 0, 1, []string{}},
		// Starts Thursday 8th (Mon→Thu: Tue, Thu — Wednesday is a
		// holiday); due Tuesday 13th (Fri, Mon, Tue).
		{"Setup", "Configure SSO", "SAML.", "customer", "customer", 2, 3, []string{"Kickoff call"}},
		// No start: starts when the task before it is due (the cancelled
		// one is left out, with its dependency); no phase: the one before.
		{"Setup", "Internal: check the logs", "", "vendor", "internal", 5, 2, []string{"Kickoff call", "Configure SSO"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the template of the project (-want +got):\n%s", diff)
	}
	if tpl.Name != "Pilot plan" || tpl.IsDefault {
		t.Errorf("named %q, default %v", tpl.Name, tpl.IsDefault)
	}
	// Again under the same name: the field is named.
	if _, err := e.db.CreateTemplateFromProject(e.admin, pr.ID, "Pilot plan"); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT || onboardiq.ErrorField(err) != "name" {
		t.Errorf("a taken name: %v", err)
	}
	// No name: the project's.
	if tpl, err := e.db.CreateTemplateFromProject(e.admin, pr.ID, ""); err != nil || tpl.Name != "Umbrella pilot" {
		t.Errorf("without a name: %v %v", tpl, err)
	}
}

// TestTemplateProjectRoundTrip: a project made from the default template
// (its dates in working days, its dependencies copied), saved as a
// template, gives back the default plan: the same offsets, durations,
// sides and dependencies.
func TestTemplateProjectRoundTrip(t *testing.T) {
	t.Parallel()
	e := newTemplateEnv(t)
	c, err := e.db.CreateCustomer(e.admin, onboardiq.NewCustomer{Name: "Hooli", SupportMemberID: &e.csmID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.CreateUser(e.admin, onboardiq.NewUser{Email: "gavin@hooli.test", Name: "Gavin", Role: onboardiq.RoleCustomer, CustomerID: &c.ID}); err != nil {
		t.Fatal(err)
	}
	// A Saturday: day 0 is the Monday after.
	start := time.Date(2027, 5, 1, 9, 0, 0, 0, time.UTC)
	pr, err := e.db.CreateProject(e.admin, onboardiq.NewProject{CustomerID: c.ID, Name: "Hooli rollout", StartDate: start, TemplateID: &e.defaultTemplate.ID})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := e.db.CreateTemplateFromProject(e.admin, pr.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	type task struct {
		Phase, Title, Side string
		Offset, Duration   int
		Waits              []int
	}
	flat := func(ts []onboardiq.TemplateTask) []task {
		at := map[uuid.UUID]int{}
		for i, pt := range ts {
			at[pt.ID] = i
		}
		var out []task
		for _, pt := range ts {
			w := []int{}
			for _, d := range pt.DependsOn {
				w = append(w, at[d])
			}
			out = append(out, task{pt.Phase, pt.Description, pt.Side, pt.OffsetDays, pt.DurationDays, w})
		}
		return out
	}
	if diff := cmp.Diff(flat(e.defaultTemplate.Tasks), flat(tpl.Tasks)); diff != "" {
		t.Errorf("the default plan, made a project and saved back (-plan +saved):\n%s", diff)
	}
	if tpl.Name != "Hooli rollout" {
		t.Errorf("named %q", tpl.Name)
	}
}
