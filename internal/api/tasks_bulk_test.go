package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// acmeID reads one id in acme.
func (e *env) acmeID(t *testing.T, sql string, args ...any) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := e.db.App.InTenantReadOnly(context.Background(), e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, sql, args...).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// contact2 is the contact of acme's second customer.
func (e *env) contact2(t *testing.T) uuid.UUID {
	return e.acmeID(t, `SELECT user_id FROM tenant_users WHERE email = 'contact2@customer.test'`)
}

// taskOf is the first task of a project.
func (e *env) taskOf(t *testing.T, project uuid.UUID) uuid.UUID {
	return e.acmeID(t, `SELECT task_id FROM tasks WHERE project_id = $1 ORDER BY position LIMIT 1`, project)
}

// TestBulkChangeTasks: several tasks change at once, each with its own
// event; a refusal of one changes none, answers 422 naming the task and
// the field, and an id of another project or workspace is refused the same
// way.
func TestBulkChangeTasks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/projects/" + e.p1.String() + "/tasks/bulk"

	status, out := e.do(t, "csm", "POST", path, map[string]any{"task_ids": []any{e.t1, e.tv}, "assigned_to": e.csm, "status": "blocked", "blocked_reason": "Waiting on IT"})
	var got struct {
		Tasks []struct {
			ID            uuid.UUID `json:"id"`
			AssignedTo    uuid.UUID `json:"assigned_to"`
			Status        string    `json:"status"`
			BlockedReason string    `json:"blocked_reason"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal(out, &got); status != http.StatusOK || err != nil || len(got.Tasks) != 2 {
		t.Fatalf("bulk change: %d %s", status, out)
	}
	for _, task := range got.Tasks {
		if task.AssignedTo != e.csm || task.Status != "blocked" || task.BlockedReason != "Waiting on IT" {
			t.Errorf("task %s: %+v", task.ID, task)
		}
	}
	status, out = e.do(t, "csm", "GET", "/projects/"+e.p1.String()+"/activity?limit=5", nil)
	if status != http.StatusOK || strings.Count(string(out), `"task.blocked"`) != 2 {
		t.Errorf("the activity: %d %s; want a task.blocked event per task", status, out)
	}

	before := e.snapshot(t)
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
		says  string
	}{
		{"blocked without a reason", map[string]any{"task_ids": []any{e.t1}, "status": "blocked"}, "body.blocked_reason", "required"},
		{"an assignee of another customer", map[string]any{"task_ids": []any{e.t1, e.tv}, "assigned_to": e.contact2(t)}, "body.assigned_to", `task \"`},
		{"nothing to change", map[string]any{"task_ids": []any{e.t1}}, "body.change", "choose"},
		{"another project's task", map[string]any{"task_ids": []any{e.t1, e.taskOf(t, e.p2)}, "shift_days": 1}, "body.task_ids", "not a task of this project"},
		{"an unknown task", map[string]any{"task_ids": []any{e.t1, uuid.New()}, "shift_days": 1}, "body.task_ids", "not a task of this project"},
		{"too far", map[string]any{"task_ids": []any{e.t1}, "shift_days": 4000}, "body.shift_days", ""},
		{"no tasks", map[string]any{"task_ids": []any{}, "shift_days": 1}, "body.task_ids", ""},
	} {
		status, out := e.do(t, "admin", "POST", path, tc.body)
		if status != http.StatusUnprocessableEntity || !strings.Contains(string(out), `"location":"`+tc.field+`"`) || !strings.Contains(string(out), tc.says) {
			t.Errorf("%s: %d %s; want 422 at %s saying %q", tc.name, status, out, tc.field, tc.says)
		}
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("refused bulk changes changed data:\n%s", diff)
	}
}

// TestMoveTaskWithinItsPhase: a task moves up and back down; past the edge
// of its phase is 422 naming direction.
func TestMoveTaskWithinItsPhase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	position := func() int {
		t.Helper()
		_, out := e.do(t, "admin", "GET", "/tasks/"+e.t1.String(), nil)
		var task struct{ Position int }
		if err := json.Unmarshal(out, &task); err != nil {
			t.Fatal(err)
		}
		return task.Position
	}
	start := position()
	move := func(dir string) (int, string) {
		status, out := e.do(t, "csm", "POST", "/tasks/"+e.t1.String()+"/move", map[string]any{"direction": dir})
		return status, string(out)
	}
	if status, out := move("up"); status != http.StatusOK || position() != start-1 {
		t.Fatalf("up: %d %s, position %d (was %d)", status, out, position(), start)
	}
	if status, out := move("up"); status != http.StatusOK || position() != start-2 {
		t.Fatalf("up again: %d %s", status, out)
	}
	// The first of its phase (Kickoff) now.
	if status, out := move("up"); status != http.StatusUnprocessableEntity || !strings.Contains(out, `"location":"body.direction"`) || !strings.Contains(out, "first of its phase") {
		t.Errorf("past the top: %d %s", status, out)
	}
	if status, out := move("sideways"); status != http.StatusUnprocessableEntity || !strings.Contains(out, "body.direction") {
		t.Errorf("sideways: %d %s", status, out)
	}
	if status, _ := move("down"); status != http.StatusOK || position() != start-1 {
		t.Errorf("down: %d, position %d", status, position())
	}
}
