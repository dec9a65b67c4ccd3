package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/schedule"
)

type taskJSON struct {
	ID          string     `json:"id"`
	Description string     `json:"description"`
	Status      string     `json:"status"`
	Phase       string     `json:"phase"`
	Position    int        `json:"position"`
	StartAt     *time.Time `json:"start_at"`
	DueAt       *time.Time `json:"due_at"`
	DependsOn   []string   `json:"depends_on"`
	Visibility  string     `json:"visibility"`
	AssignedTo  *string    `json:"assigned_to"`
	CompletedAt *time.Time `json:"completed_at"`
}

type projectJSON struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	Progress    float64    `json:"progress"`
	Deadline    *time.Time `json:"deadline"`
	CompletedAt *time.Time `json:"completed_at"`
	Overdue     bool       `json:"overdue"`
}

func decode[T any](t *testing.T, status int, body []byte, want int) T {
	t.Helper()
	var v T
	if status != want {
		t.Fatalf("status %d, want %d: %s", status, want, body)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func (e *env) tasks(t *testing.T, caller, project string) []taskJSON {
	t.Helper()
	st, body := e.do(t, caller, "GET", "/projects/"+project+"/tasks?limit=200", nil)
	return decode[struct{ Items []taskJSON }](t, st, body, 200).Items
}

func (e *env) project(t *testing.T, id string) projectJSON {
	t.Helper()
	st, body := e.do(t, "admin", "GET", "/projects/"+id, nil)
	return decode[projectJSON](t, st, body, 200)
}

// TestConcurrentCompletions completes the 20 tasks of one project at once,
// reopens them at once, and again, on a pool wide enough for all 20: the
// project must end each round at exactly 100.00% and completed (or 0% and
// in progress), with no lost update.
func TestConcurrentCompletions(t *testing.T) {
	t.Parallel()
	e := newEnvWithPool(t, 24)

	tasks := e.tasks(t, "admin", e.p1.String())
	if len(tasks) != 20 {
		t.Fatalf("%d tasks, want 20", len(tasks))
	}
	all := func(status string) {
		t.Helper()
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan string, len(tasks))
		for _, task := range tasks {
			wg.Go(func() {
				<-start
				st, body := e.do(t, "csm", "PATCH", "/tasks/"+task.ID, map[string]any{"status": status})
				if st != http.StatusOK {
					errs <- fmt.Sprintf("%d %s", st, body)
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	for round := range 3 {
		all("completed")
		if p := e.project(t, e.p1.String()); p.Progress != 100 || p.Status != "completed" || p.CompletedAt == nil {
			t.Fatalf("round %d, after 20 concurrent completions: %+v, want 100.00%% completed", round, p)
		}
		all("in_progress")
		if p := e.project(t, e.p1.String()); p.Progress != 0 || p.Status != "in_progress" || p.CompletedAt != nil {
			t.Fatalf("round %d, after 20 concurrent reopenings: %+v, want 0%% in progress", round, p)
		}
	}
	st, body := e.do(t, "admin", "GET", "/projects/"+e.p1.String()+"/activity?limit=200", nil)
	events := decode[struct{ Items []struct{ Kind string } }](t, st, body, 200).Items
	completed, done := 0, 0
	for _, ev := range events {
		switch ev.Kind {
		case "project.completed":
			completed++
		case "task.completed":
			done++
		}
	}
	if completed != 3 || done != 60 {
		t.Errorf("%d project.completed and %d task.completed events, want 3 and 60", completed, done)
	}
}

// TestSlowRequestWithABodyIsNotCancelled: a request with a body that
// runs longer than huma's body read timeout (5 s) — here, waiting for a
// row another transaction holds — still answers; the body's read deadline
// used to outlive the body and end the request's context as if the client
// had gone away (499 "request cancelled", seen under load).
func TestSlowRequestWithABodyIsNotCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- e.db.App.InTenant(ctx, e.acme, func(ctx context.Context, tx *postgres.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT 1 FROM tasks WHERE tenant_id = $1 AND task_id = $2 FOR UPDATE`, e.acme, e.tv); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatal(err)
	}
	time.AfterFunc(6*time.Second, func() { close(release) })
	st, body := e.do(t, "csm", "PATCH", "/tasks/"+e.tv.String(), map[string]any{"status": "completed"})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st != http.StatusOK {
		t.Fatalf("a task completed while another transaction held it for 6 s: %d %s, want 200", st, body)
	}
}

// TestProgressAndStatus walks a project through its life: started, done,
// reopened, with cancelled tasks left out of the count.
func TestProgressAndStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.p1.String()
	tasks := e.tasks(t, "admin", p)
	patch := func(i int, body map[string]any) taskJSON {
		t.Helper()
		st, out := e.do(t, "admin", "PATCH", "/tasks/"+tasks[i].ID, body)
		return decode[taskJSON](t, st, out, 200)
	}
	if got := e.project(t, p); got.Status != "not_started" || got.Progress != 0 {
		t.Fatalf("new project: %+v", got)
	}
	patch(0, map[string]any{"status": "in_progress"})
	if got := e.project(t, p); got.Status != "in_progress" || got.Progress != 0 {
		t.Errorf("after starting a task: %+v", got)
	}
	done := patch(1, map[string]any{"status": "completed"})
	if done.CompletedAt == nil {
		t.Error("completing did not set completed_at")
	}
	if got := e.project(t, p); got.Progress != 5 {
		t.Errorf("1 of 20 done: progress %v, want 5", got.Progress)
	}
	// Cancel 5: 1 of 15 done.
	for i := 15; i < 20; i++ {
		patch(i, map[string]any{"status": "cancelled"})
	}
	if got := e.project(t, p); got.Progress != 6.67 {
		t.Errorf("1 of 15 done: progress %v, want 6.67", got.Progress)
	}
	for i := range 15 {
		patch(i, map[string]any{"status": "completed"})
	}
	got := e.project(t, p)
	if got.Progress != 100 || got.Status != "completed" || got.CompletedAt == nil {
		t.Errorf("all done: %+v", got)
	}
	reopened := patch(3, map[string]any{"status": "in_progress"})
	if reopened.CompletedAt != nil {
		t.Error("reopening kept completed_at")
	}
	got = e.project(t, p)
	if got.Status != "in_progress" || got.CompletedAt != nil || got.Progress != 93.33 {
		t.Errorf("after reopening: %+v, want in_progress at 93.33", got)
	}
	blocked := patch(3, map[string]any{"status": "blocked", "blocked_reason": "Waiting for the IdP metadata"})
	if blocked.Status != "blocked" {
		t.Errorf("blocked: %+v", blocked)
	}
	// Leaving blocked clears the reason.
	st, out := e.do(t, "admin", "PATCH", "/tasks/"+tasks[3].ID, map[string]any{"status": "in_progress"})
	if v := decode[map[string]any](t, st, out, 200); v["blocked_reason"] != nil {
		t.Errorf("unblocked task kept its reason: %v", v)
	}
}

// TestProjectWithoutDeadline: a project needs neither a template nor a
// deadline, and one without a deadline is never overdue.
func TestProjectWithoutDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st, body := e.do(t, "csm", "POST", "/projects", map[string]any{"customer_id": e.c2, "name": "Open-ended pilot"})
	p := decode[projectJSON](t, st, body, http.StatusCreated)
	if p.Deadline != nil || p.Overdue {
		t.Errorf("created: %+v", p)
	}
	st, body = e.do(t, "csm", "GET", "/projects/"+p.ID, nil)
	if got := decode[projectJSON](t, st, body, http.StatusOK); got.ID != p.ID || got.Overdue {
		t.Errorf("read back: %+v", got)
	}
	st, body = e.do(t, "csm", "GET", "/projects?limit=100", nil)
	found := false
	for _, q := range decode[struct{ Items []projectJSON }](t, st, body, http.StatusOK).Items {
		found = found || q.ID == p.ID
	}
	if !found {
		t.Error("the project is not listed")
	}
}

// TestTemplateInstantiation: a project from a template gets its tasks
// starting at start + offset and due at their start + duration, in working
// days (weekends skipped), in the template's phases and order, and a
// deadline at the end of the last one.
func TestTemplateInstantiation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	start := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC) // a Monday
	st, body := e.do(t, "csm", "POST", "/projects", map[string]any{
		"customer_id": e.c2, "name": "Second rollout", "template_id": e.tpl, "start_date": start,
	})
	p := decode[projectJSON](t, st, body, http.StatusCreated)
	var cal schedule.Calendar
	last := time.Time{}
	for _, tt := range onboardiq.DefaultTemplate {
		if d := cal.AddWorkdays(cal.AddWorkdays(start, tt.OffsetDays), tt.DurationDays); d.After(last) {
			last = d
		}
	}
	// 40 working days: eight weeks.
	if want := start.AddDate(0, 0, 7*8); !last.Equal(want) {
		t.Fatalf("the plan ends %v, want %v", last, want)
	}
	if p.Deadline == nil || !p.Deadline.Equal(last) {
		t.Errorf("deadline %v, want %v", p.Deadline, last)
	}
	tasks := e.tasks(t, "admin", p.ID)
	if len(tasks) != len(onboardiq.DefaultTemplate) {
		t.Fatalf("%d tasks, want %d", len(tasks), len(onboardiq.DefaultTemplate))
	}
	var phases []string
	for i, task := range tasks {
		want := onboardiq.DefaultTemplate[i]
		begin := cal.AddWorkdays(start, want.OffsetDays)
		due := cal.AddWorkdays(begin, want.DurationDays)
		if task.Description != want.Description || task.Phase != want.Phase || task.Position != i ||
			task.StartAt == nil || !task.StartAt.Equal(begin) ||
			task.DueAt == nil || !task.DueAt.Equal(due) || task.Visibility != string(want.Visibility) || task.AssignedTo == nil {
			t.Errorf("task %d: %+v, want %+v from %v due %v", i, task, want, begin, due)
		}
		if !slices.Contains(phases, task.Phase) {
			phases = append(phases, task.Phase)
		}
	}
	if want := []string{"Kickoff", "Technical setup", "Training", "Go-live", "Post-launch"}; !slices.Equal(phases, want) {
		t.Errorf("phases %v, want %v", phases, want)
	}
	// The contact of Customer Two sees the customer-visible ones only.
	visible := e.tasks(t, "other_contact", p.ID)
	if len(visible) != 18 {
		t.Errorf("the contact sees %d tasks, want the 18 visible to customers", len(visible))
	}
	// Their own: the customer-side tasks, all assigned to them.
	st, body = e.do(t, "other_contact", "GET", "/projects/"+p.ID+"/tasks?assigned_to=me&limit=200", nil)
	mine := decode[struct{ Items []taskJSON }](t, st, body, 200).Items
	customerSide := 0
	for _, pt := range onboardiq.DefaultTemplate {
		if pt.Side == "customer" {
			customerSide++
		}
	}
	if len(mine) != customerSide {
		t.Errorf("assigned_to=me: %d tasks, want %d", len(mine), customerSide)
	}
	for _, task := range mine {
		if task.AssignedTo == nil || *task.AssignedTo != *mine[0].AssignedTo {
			t.Errorf("assigned_to=me returned %+v", task)
		}
	}
}

// TestListProjects pages through every ordering without losing or
// repeating a project, and filters.
func TestListProjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 7 {
		deadline := time.Now().AddDate(0, 0, i-3).Add(time.Hour) // three already past
		st, body := e.do(t, "admin", "POST", "/projects", map[string]any{"customer_id": e.c1, "name": fmt.Sprintf("Project %c", 'A'+i),
			"start_date": time.Now().AddDate(0, -1, 0), "deadline": deadline})
		decode[projectJSON](t, st, body, http.StatusCreated)
	}
	for _, sort := range []string{"created_at", "-created_at", "deadline", "-deadline", "name", "-name", "progress", "-progress"} {
		var seen []string
		cursor := ""
		for pages := 0; ; pages++ {
			st, body := e.do(t, "viewer", "GET", "/projects?limit=2&sort="+sort+"&cursor="+cursor, nil)
			pg := decode[struct {
				Items      []projectJSON
				NextCursor string `json:"next_cursor"`
			}](t, st, body, 200)
			for _, p := range pg.Items {
				seen = append(seen, p.ID)
			}
			if cursor = pg.NextCursor; cursor == "" || pages > 10 {
				break
			}
		}
		unique := slices.Clone(seen)
		slices.Sort(unique)
		if len(seen) != 9 || len(slices.Compact(unique)) != 9 {
			t.Errorf("sort %s: %d projects over the pages (%d distinct), want 9", sort, len(seen), len(unique))
		}
	}
	st, body := e.do(t, "admin", "GET", "/projects?overdue=true&limit=50", nil)
	overdue := decode[struct{ Items []projectJSON }](t, st, body, 200).Items
	if len(overdue) != 3 {
		t.Errorf("%d overdue projects, want 3", len(overdue))
	}
	for _, p := range overdue {
		if !p.Overdue {
			t.Errorf("%s listed as overdue but overdue=false", p.Name)
		}
	}
	st, body = e.do(t, "admin", "GET", "/projects?q=project%20c&customer_id="+e.c1.String(), nil)
	if named := decode[struct{ Items []projectJSON }](t, st, body, 200).Items; len(named) != 1 || named[0].Name != "Project C" {
		t.Errorf("name search: %+v", named)
	}
	st, body = e.do(t, "contact", "GET", "/projects?limit=50", nil)
	if mine := decode[struct{ Items []projectJSON }](t, st, body, 200).Items; len(mine) != 8 {
		t.Errorf("the contact sees %d projects, want their customer's 8", len(mine))
	}
}
