package postgres

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// planTask is a task to create for the bulk and reorder tests.
type planTask struct {
	phase, desc string
	due         *time.Time
}

// plan creates a project of f's customer with the tasks, in that order.
func (f *pageFixture) plan(t *testing.T, name string, tasks ...planTask) (*onboardiq.Project, []*onboardiq.Task) {
	t.Helper()
	pr, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	var out []*onboardiq.Task
	for _, pt := range tasks {
		in := onboardiq.TaskPatch{Description: onboardiq.Set(pt.desc), Phase: onboardiq.Set(pt.phase)}
		if pt.due != nil {
			in.DueAt = onboardiq.Set(*pt.due)
		}
		task, err := f.db.CreateTask(f.as, pr.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, task)
	}
	return pr, out
}

// taskEvent is an event recorded about a task.
type taskEvent struct {
	Kind    string
	Task    uuid.UUID
	Changes map[string]any
}

// eventsAfter lists the events of project pr after event id `after`, oldest
// first; lastEvent gives the id to start from.
func (f *pageFixture) eventsAfter(t *testing.T, pr uuid.UUID, after int64) []taskEvent {
	t.Helper()
	var out []taskEvent
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT kind, coalesce(task_id, '00000000-0000-0000-0000-000000000000'), changes FROM events
WHERE tenant_id = $1 AND project_id = $2 AND event_id > $3 ORDER BY event_id`, f.tenant, pr, after)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e taskEvent
			var raw []byte
			if err := rows.Scan(&e.Kind, &e.Task, &raw); err != nil {
				return err
			}
			if err := json.Unmarshal(raw, &e.Changes); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *pageFixture) lastEvent(t *testing.T) int64 {
	t.Helper()
	var id int64
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT coalesce(max(event_id), 0) FROM events WHERE tenant_id = $1`, f.tenant).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// tasksOf reads a project's tasks as stored, in plan order.
func (f *pageFixture) tasksOf(t *testing.T, pr uuid.UUID) []*onboardiq.Task {
	t.Helper()
	page, err := f.db.ListTasks(f.as, pr, TaskFilter{ListOptions: onboardiq.ListOptions{Limit: 200}})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func ids(tasks ...*onboardiq.Task) []uuid.UUID {
	out := make([]uuid.UUID, len(tasks))
	for i, t := range tasks {
		out[i] = t.ID
	}
	return out
}

// TestBulkUpdateTasks: one change to several tasks, each changed as
// UpdateTask changes one, with its own event; the project follows.
func TestBulkUpdateTasks(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	due := time.Now().AddDate(0, 0, 7).Truncate(time.Microsecond)
	pr, ts := f.plan(t, "Rollout",
		planTask{"Kickoff", "Kickoff call", &due},
		planTask{"Kickoff", "Name an owner", &due},
		planTask{"Setup", "Configure SSO", nil},
		planTask{"Setup", "Import data", &due},
	)
	admin := onboardiq.PrincipalFromContext(f.as).UserID

	// Shift three dates back five days (the undated one keeps none) and
	// reassign them to the admin.
	mark := f.lastEvent(t)
	got, err := f.db.BulkUpdateTasks(f.as, pr.ID, ids(ts[0], ts[2], ts[3], ts[0]), BulkTaskChange{AssignedTo: onboardiq.Set(admin), ShiftDays: -5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != ts[0].ID || got[1].ID != ts[2].ID || got[2].ID != ts[3].ID {
		t.Fatalf("returned %d tasks: %v; want the three named, in plan order", len(got), got)
	}
	want := due.AddDate(0, 0, -5)
	for _, task := range got {
		if task.AssignedTo == nil || *task.AssignedTo != admin {
			t.Errorf("%s: assigned to %v", task.Description, task.AssignedTo)
		}
		if task.ID == ts[2].ID {
			if task.DueAt != nil {
				t.Errorf("the undated task got a due date: %v", task.DueAt)
			}
		} else if task.DueAt == nil || !task.DueAt.Equal(want) {
			t.Errorf("%s: due %v, want %v", task.Description, task.DueAt, want)
		}
	}
	events := f.eventsAfter(t, pr.ID, mark)
	if len(events) != 3 {
		t.Fatalf("%d events, want one per task: %+v", len(events), events)
	}
	for i, e := range events {
		_, dueChanged := e.Changes["due_at"]
		if e.Kind != string(onboardiq.EventTaskUpdated) || e.Task != got[i].ID || e.Changes["assigned_to"] == nil || dueChanged != (i != 1) {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if untouched := f.tasksOf(t, pr.ID)[1]; untouched.AssignedTo != nil || !untouched.DueAt.Equal(due) {
		t.Errorf("a task not named changed: %+v", untouched)
	}

	// Complete two: their events say so, and the project's progress follows.
	mark = f.lastEvent(t)
	if _, err := f.db.BulkUpdateTasks(f.as, pr.ID, ids(ts[0], ts[1]), BulkTaskChange{Status: onboardiq.StatusCompleted}); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range f.eventsAfter(t, pr.ID, mark) {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds, []string{"task.completed", "task.completed", "project.status_changed"}) {
		t.Errorf("events: %v", kinds)
	}
	if p, err := f.db.GetProject(f.as, pr.ID); err != nil || p.Progress != 50 || p.Status != onboardiq.StatusInProgress {
		t.Errorf("the project: %v %v", p, err)
	}

	// Blocked, with its reason.
	blocked, err := f.db.BulkUpdateTasks(f.as, pr.ID, ids(ts[2], ts[3]), BulkTaskChange{Status: onboardiq.StatusBlocked, BlockedReason: "Waiting on IT"})
	if err != nil || blocked[0].BlockedReason == nil || *blocked[1].BlockedReason != "Waiting on IT" {
		t.Errorf("blocked: %v %v", blocked, err)
	}
}

// TestBulkUpdateTasksIsAllOrNothing: when one task is refused, none
// changes and nothing is recorded; the error names the task and the field.
func TestBulkUpdateTasksIsAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	due := time.Now().AddDate(0, 0, 3).Truncate(time.Microsecond)
	late := time.Date(onboardiq.MaxYear, 12, 1, 0, 0, 0, 0, time.UTC)
	pr, ts := f.plan(t, "Rollout",
		planTask{"Kickoff", "Kickoff call", &due},
		planTask{"Kickoff", "Name an owner", &due},
		planTask{"Later", "Far in the future", &late},
	)
	other, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "x@initech.test", Name: "Stranger", Role: onboardiq.RoleCustomer, CustomerID: &other.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, otherTasks := f.plan(t, "Other rollout", planTask{"Kickoff", "Elsewhere", &due})

	// Another workspace's task.
	ctx := context.Background()
	bolt, err := f.db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Bolt", Slug: "bolt", AdminEmail: "a@bolt.test"})
	if err != nil {
		t.Fatal(err)
	}
	boltAdmin, err := f.db.Authenticate(ctx, bolt.Token)
	if err != nil {
		t.Fatal(err)
	}
	asBolt := onboardiq.NewContextWithPrincipal(ctx, boltAdmin)
	bc, err := f.db.CreateCustomer(asBolt, onboardiq.NewCustomer{Name: "Bolt's customer"})
	if err != nil {
		t.Fatal(err)
	}
	bp, err := f.db.CreateProject(asBolt, onboardiq.NewProject{CustomerID: bc.ID, Name: "Bolt's project"})
	if err != nil {
		t.Fatal(err)
	}
	bt, err := f.db.CreateTask(asBolt, bp.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Bolt's task"), DueAt: onboardiq.Set(due)})
	if err != nil {
		t.Fatal(err)
	}

	viewer := onboardiq.NewContextWithPrincipal(ctx, f.principal(onboardiq.RoleViewer, uuid.New()))
	before := f.tasksOf(t, pr.ID)
	mark := f.lastEvent(t)
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		project uuid.UUID
		ids     []uuid.UUID
		change  BulkTaskChange
		code    string
		field   string
		says    string
	}{
		{"a date past the last year", f.as, pr.ID, ids(ts...), BulkTaskChange{ShiftDays: 60}, onboardiq.EINVALID, "shift_days", `task "Far in the future"`},
		{"an assignee of another customer", f.as, pr.ID, ids(ts...), BulkTaskChange{AssignedTo: onboardiq.Set(stranger.ID)}, onboardiq.EINVALID, "assigned_to", `task "Kickoff call"`},
		{"blocked without a reason", f.as, pr.ID, ids(ts...), BulkTaskChange{Status: onboardiq.StatusBlocked}, onboardiq.EINVALID, "blocked_reason", "required"},
		{"a reason without blocked", f.as, pr.ID, ids(ts...), BulkTaskChange{Status: onboardiq.StatusCompleted, BlockedReason: "x"}, onboardiq.EINVALID, "blocked_reason", ""},
		{"nothing to change", f.as, pr.ID, ids(ts...), BulkTaskChange{}, onboardiq.EINVALID, "change", ""},
		{"no tasks", f.as, pr.ID, nil, BulkTaskChange{ShiftDays: 1}, onboardiq.EINVALID, "task_ids", ""},
		{"too far", f.as, pr.ID, ids(ts...), BulkTaskChange{ShiftDays: MaxShiftDays + 1}, onboardiq.EINVALID, "shift_days", ""},
		{"another project's task", f.as, pr.ID, append(ids(ts[0]), otherTasks[0].ID), BulkTaskChange{ShiftDays: 1}, onboardiq.EINVALID, "task_ids", otherTasks[0].ID.String()},
		{"another workspace's task", f.as, pr.ID, append(ids(ts[0]), bt.ID), BulkTaskChange{ShiftDays: 1}, onboardiq.EINVALID, "task_ids", bt.ID.String()},
		{"another workspace's project", f.as, bp.ID, ids(bt), BulkTaskChange{ShiftDays: 1}, onboardiq.ENOTFOUND, "", ""},
		{"from the other workspace", asBolt, pr.ID, ids(ts...), BulkTaskChange{ShiftDays: 1}, onboardiq.ENOTFOUND, "", ""},
		{"a viewer", viewer, pr.ID, ids(ts...), BulkTaskChange{ShiftDays: 1}, onboardiq.EFORBIDDEN, "", ""},
		{"the contact", f.asContact, pr.ID, ids(ts...), BulkTaskChange{Status: onboardiq.StatusCompleted}, onboardiq.EFORBIDDEN, "", ""},
	} {
		_, err := f.db.BulkUpdateTasks(tc.ctx, tc.project, tc.ids, tc.change)
		if onboardiq.ErrorCode(err) != tc.code || onboardiq.ErrorField(err) != tc.field || !strings.Contains(onboardiq.ErrorMessage(err), tc.says) {
			t.Errorf("%s: %v; want %s about %q saying %q", tc.name, err, tc.code, tc.field, tc.says)
		}
	}
	if after := f.tasksOf(t, pr.ID); !equalTasks(before, after) {
		t.Errorf("refused changes changed the tasks")
	}
	if events := f.eventsAfter(t, pr.ID, mark); len(events) != 0 {
		t.Errorf("refused changes were recorded: %+v", events)
	}
	if got, err := f.db.GetTask(asBolt, bt.ID); err != nil || !got.DueAt.Equal(due) {
		t.Errorf("the other workspace's task: %v %v", got, err)
	}

	// A cancelled project's tasks do not change.
	if _, err := f.db.ChangeProjectLifecycle(f.as, pr.ID, onboardiq.LifecycleCancel, "Churned"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.BulkUpdateTasks(f.as, pr.ID, ids(ts[0]), BulkTaskChange{ShiftDays: 1}); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
		t.Errorf("a cancelled project: %v", err)
	}
}

func equalTasks(a, b []*onboardiq.Task) bool {
	return slices.EqualFunc(a, b, func(x, y *onboardiq.Task) bool {
		return x.ID == y.ID && x.Status == y.Status && x.Position == y.Position && x.UpdatedAt.Equal(y.UpdatedAt) &&
			((x.DueAt == nil) == (y.DueAt == nil)) && (x.DueAt == nil || x.DueAt.Equal(*y.DueAt)) &&
			((x.AssignedTo == nil) == (y.AssignedTo == nil)) && (x.AssignedTo == nil || *x.AssignedTo == *y.AssignedTo)
	})
}

// TestMoveTask: a task moves one place within its phase, changing places
// with its neighbour, each recorded as a change of position; not past the
// edge of its phase; tasks that share a position are pulled apart.
func TestMoveTask(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr, ts := f.plan(t, "Rollout",
		planTask{"Kickoff", "A", nil},
		planTask{"Kickoff", "B", nil},
		planTask{"Kickoff", "C", nil},
		planTask{"Setup", "D", nil},
		planTask{"Setup", "E", nil},
	)
	order := func() string {
		var s []string
		last := -1
		for _, task := range f.tasksOf(t, pr.ID) {
			s = append(s, task.Description)
			if task.Position <= last {
				t.Errorf("%s shares a position or is out of order: %d after %d", task.Description, task.Position, last)
			}
			last = task.Position
		}
		return strings.Join(s, "")
	}
	move := func(task *onboardiq.Task, dir string) error {
		t.Helper()
		moved, err := f.db.MoveTask(f.as, task.ID, dir)
		if err == nil && moved.ID != task.ID {
			t.Errorf("MoveTask returned %s, not the task moved", moved.Description)
		}
		return err
	}

	mark := f.lastEvent(t)
	if err := move(ts[1], MoveUp); err != nil || order() != "BACDE" {
		t.Fatalf("B up: %v, order %s", err, order())
	}
	events := f.eventsAfter(t, pr.ID, mark)
	if len(events) != 2 {
		t.Fatalf("%d events, want two: %+v", len(events), events)
	}
	for _, e := range events {
		if e.Kind != string(onboardiq.EventTaskUpdated) || len(e.Changes) != 1 || e.Changes["position"] == nil {
			t.Errorf("event %+v; want task.updated with the position alone", e)
		}
	}
	if err := move(ts[0], MoveDown); err != nil || order() != "BCADE" {
		t.Errorf("A down: %v, order %s", err, order())
	}
	for _, tc := range []struct {
		task *onboardiq.Task
		dir  string
		says string
	}{{ts[1], MoveUp, "first"}, {ts[0], MoveDown, "last"}, {ts[3], MoveUp, "first"}, {ts[4], MoveDown, "last"}, {ts[2], "sideways", "up or down"}} {
		if err := move(tc.task, tc.dir); onboardiq.ErrorField(err) != "direction" || !strings.Contains(onboardiq.ErrorMessage(err), tc.says) {
			t.Errorf("%s %s: %v", tc.task.Description, tc.dir, err)
		}
	}
	if order() != "BCADE" {
		t.Errorf("refused moves changed the order: %s", order())
	}

	// D and E share a position (set through the API, say): E sorts by its
	// id; moving either pulls them apart, in the order asked for.
	f.exec(t, `UPDATE tasks SET position = (SELECT position FROM tasks WHERE tenant_id = $1 AND task_id = $2) WHERE tenant_id = $1 AND task_id = $3`,
		f.tenant, ts[3].ID, ts[4].ID)
	first, second := ts[3], ts[4]
	if first.ID.String() > second.ID.String() {
		first, second = second, first
	}
	if err := move(second, MoveUp); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "BCA"+second.Description+first.Description {
		t.Errorf("after a tie: %s", got)
	}

	// Who may not.
	viewer := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleViewer, uuid.New()))
	if _, err := f.db.MoveTask(viewer, ts[2].ID, MoveUp); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a viewer: %v", err)
	}
	if _, err := f.db.MoveTask(f.asContact, ts[2].ID, MoveUp); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("the contact: %v", err)
	}
	if _, err := f.db.MoveTask(f.as, uuid.New(), MoveUp); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("no such task: %v", err)
	}
}

// TestLoadTimelinePage: the open projects by deadline, capped, with the
// total; staff only.
func TestLoadTimelinePage(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	now := time.Now()
	var made []*onboardiq.Project
	for i, days := range []int{30, 10, 20} {
		d := now.AddDate(0, 0, days)
		pr, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: string(rune('A' + i)), Deadline: &d})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, pr)
	}
	if _, err := f.db.ChangeProjectLifecycle(f.as, made[0].ID, onboardiq.LifecycleCancel, "Churned"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "Undated"}); err != nil {
		t.Fatal(err)
	}
	var sent [][]string
	for _, limit := range []int{1, 10} {
		f.tr.take()
		page, err := f.traced.LoadTimelinePage(f.as, limit)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, f.tr.take())
		var names []string
		for _, p := range page.Projects {
			names = append(names, p.Name)
		}
		want := []string{"B", "C", "Undated"}[:min(limit, 3)]
		if !slices.Equal(names, want) || page.Total != 3 || page.Customers[f.customer.ID] != "Globex" {
			t.Errorf("limit %d: %v of %d, customers %v; want %v of 3", limit, names, page.Total, page.Customers, want)
		}
	}
	sameCost(t, "timeline", sent)
	if _, err := f.db.LoadTimelinePage(f.asContact, 10); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact: %v", err)
	}
	if _, err := f.db.LoadTimelinePage(f.as, 0); onboardiq.ErrorField(err) != "limit" {
		t.Errorf("limit 0: %v", err)
	}
}

// TestBulkShiftMovesWholeTasks: shifting the dates of a plan made from the
// default template (whose tasks have a start a working day or more before
// their due date) moves each start with its due date, earlier as later, so
// no task ends before it starts.
func TestBulkShiftMovesWholeTasks(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	templates, err := f.db.ListTemplates(f.as)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(templates, func(tp *onboardiq.Template) bool { return tp.IsDefault })
	if i < 0 {
		t.Fatal("no default template")
	}
	pr, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "Planned", TemplateID: &templates[i].ID,
		StartDate: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{ListOptions: onboardiq.ListOptions{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	before := map[uuid.UUID]*onboardiq.Task{}
	var ids []uuid.UUID
	for _, task := range page.Items {
		if task.StartAt == nil || task.DueAt == nil {
			t.Fatalf("%q has no start or due date", task.Description)
		}
		before[task.ID] = task
		ids = append(ids, task.ID)
	}
	for _, days := range []int{-2, 9} {
		moved, err := f.db.BulkUpdateTasks(f.as, pr.ID, ids, BulkTaskChange{ShiftDays: days})
		if err != nil {
			t.Fatalf("shift by %d: %v", days, err)
		}
		for _, task := range moved {
			b := before[task.ID]
			if !task.DueAt.Equal(b.DueAt.AddDate(0, 0, days)) || !task.StartAt.Equal(b.StartAt.AddDate(0, 0, days)) {
				t.Errorf("shift by %d: %q went %s–%s → %s–%s", days, task.Description, b.StartAt, b.DueAt, task.StartAt, task.DueAt)
			}
			before[task.ID] = task
		}
	}
}
