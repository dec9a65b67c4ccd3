package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type depTaskJSON struct {
	taskJSON
	WaitingOn      []struct{ ID, Description string } `json:"waiting_on"`
	ShiftedTaskIDs []string                           `json:"shifted_task_ids"`
}

// TestDependenciesAPI: tasks are created and changed with start_at and
// depends_on, read back with waiting_on; a cycle is refused naming the
// tasks; moving a due date with shift_dependents moves what waits on it in
// working days over the workspace's holidays and names it in
// shifted_task_ids; holidays are read and replaced whole.
func TestDependenciesAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.p2.String()
	day := func(d int) time.Time { return time.Date(2027, 3, d, 9, 0, 0, 0, time.UTC) } // 1 March 2027: a Monday

	st, body := e.do(t, "admin", "PUT", "/holidays", map[string]any{"holidays": []map[string]any{{"day": "2027-03-15", "name": "Founders' day"}, {"day": "2027-01-01"}}})
	type holidays struct {
		Holidays []struct{ Day, Name string }
	}
	want := holidays{Holidays: []struct{ Day, Name string }{{"2027-01-01", ""}, {"2027-03-15", "Founders' day"}}}
	if diff := cmp.Diff(want, decode[holidays](t, st, body, http.StatusOK)); diff != "" {
		t.Errorf("set holidays (-want +got):\n%s", diff)
	}
	st, body = e.do(t, "viewer", "GET", "/holidays", nil)
	if diff := cmp.Diff(want, decode[holidays](t, st, body, http.StatusOK)); diff != "" {
		t.Errorf("list holidays (-want +got):\n%s", diff)
	}

	create := func(desc string, start, due int, after ...string) depTaskJSON {
		t.Helper()
		st, body := e.do(t, "csm", "POST", "/projects/"+p+"/tasks", map[string]any{
			"description": desc, "start_at": day(start), "due_at": day(due), "depends_on": append([]string{}, after...)})
		return decode[depTaskJSON](t, st, body, http.StatusCreated)
	}
	a := create("Export the data", 1, 5)
	b := create("Import the data", 8, 10, a.ID)
	c := create("Check the import", 11, 12, b.ID)
	if len(a.DependsOn) != 0 || a.DependsOn == nil || !cmp.Equal(b.DependsOn, []string{a.ID}) || !b.StartAt.Equal(day(8)) {
		t.Errorf("created: a after %v, b after %v from %v", a.DependsOn, b.DependsOn, b.StartAt)
	}
	st, body = e.do(t, "viewer", "GET", "/tasks/"+c.ID, nil)
	if got := decode[depTaskJSON](t, st, body, http.StatusOK); len(got.WaitingOn) != 1 || got.WaitingOn[0].ID != b.ID || got.WaitingOn[0].Description != "Import the data" {
		t.Errorf("c waits on %+v", got.WaitingOn)
	}

	st, body = e.do(t, "csm", "PATCH", "/tasks/"+a.ID, map[string]any{"depends_on": []string{c.ID}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"location":"body.depends_on"`) ||
		!strings.Contains(string(body), "“Export the data” → “Check the import” → “Import the data” → “Export the data” would wait on itself") {
		t.Errorf("cycle: %d %s", st, body)
	}

	// Fri 5 → Tue 9: two working days; b and c follow, c over the weekend
	// and the holiday on Monday 15.
	st, body = e.do(t, "csm", "PATCH", "/tasks/"+a.ID, map[string]any{"due_at": day(9), "shift_dependents": true})
	moved := decode[depTaskJSON](t, st, body, http.StatusOK)
	if !moved.DueAt.Equal(day(9)) || !cmp.Equal(moved.ShiftedTaskIDs, []string{b.ID, c.ID}) {
		t.Errorf("moved: due %v, shifted %v", moved.DueAt, moved.ShiftedTaskIDs)
	}
	for _, x := range e.tasks(t, "admin", p) {
		switch x.ID {
		case b.ID:
			if !x.StartAt.Equal(day(10)) || !x.DueAt.Equal(day(12)) {
				t.Errorf("b: %v – %v", x.StartAt, x.DueAt)
			}
		case c.ID:
			if !x.StartAt.Equal(day(16)) || !x.DueAt.Equal(day(17)) {
				t.Errorf("c: %v – %v", x.StartAt, x.DueAt)
			}
		}
	}
	// Without the flag, the answer names nothing moved.
	st, body = e.do(t, "csm", "PATCH", "/tasks/"+a.ID, map[string]any{"due_at": day(10)})
	if strings.Contains(string(body), "shifted_task_ids") || st != http.StatusOK {
		t.Errorf("without shift_dependents: %d %s", st, body)
	}
}
