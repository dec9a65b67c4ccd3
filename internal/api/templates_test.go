package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type templateTaskJSON struct {
	ID           *string  `json:"id,omitempty"`
	Phase        string   `json:"phase"`
	Description  string   `json:"description"`
	Details      string   `json:"details"`
	OffsetDays   int      `json:"offset_days"`
	DurationDays int      `json:"duration_days"`
	Side         string   `json:"side"`
	Visibility   string   `json:"visibility"`
	DependsOn    []string `json:"depends_on"`
}

type templateJSON struct {
	ID        string             `json:"id"`
	Name      string             `json:"name"`
	IsDefault bool               `json:"is_default"`
	Projects  int                `json:"projects"`
	Tasks     []templateTaskJSON `json:"tasks"`
}

// TestTemplateShapes: every template task has an id and a list of the
// tasks it waits on, in every answer (get, list, create, replace,
// duplicate, from a project); a replace keeps the ids sent, adds a task
// with an id of the caller's choosing that another new task waits on, and
// deletes the tasks left out; a cycle is refused naming the task's field;
// the default template cannot be deleted.
func TestTemplateShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/templates/" + e.tpl.String()
	st, body := e.do(t, "csm", "GET", path, nil)
	tpl := decode[templateJSON](t, st, body, http.StatusOK)
	check := func(what string, tpl templateJSON) {
		t.Helper()
		if !strings.Contains(string(body), `"depends_on":[`) {
			t.Errorf("%s: depends_on is not a list: %s", what, body)
		}
		ids := map[string]bool{}
		for i, pt := range tpl.Tasks {
			if pt.ID == nil || *pt.ID == "" || ids[*pt.ID] || pt.DependsOn == nil {
				t.Errorf("%s: task %d: %+v", what, i, pt)
				continue
			}
			ids[*pt.ID] = true
		}
		for i, pt := range tpl.Tasks {
			for _, d := range pt.DependsOn {
				if !ids[d] {
					t.Errorf("%s: task %d waits on %s, no task of the template", what, i, d)
				}
			}
		}
	}
	check("get", tpl)
	if tpl.Projects != 2 || !tpl.IsDefault {
		t.Errorf("the default template: %d projects, default %v", tpl.Projects, tpl.IsDefault)
	}
	st, body = e.do(t, "viewer", "GET", "/templates", nil)
	for _, x := range decode[struct{ Items []templateJSON }](t, st, body, http.StatusOK).Items {
		check("list", x)
	}

	// Replace: the first three kept (the kickoff call renamed), a new task
	// with a chosen id, and one waiting on it; the rest deleted.
	kept := slices.Clone(tpl.Tasks[:3])
	kept[1].Description = "Kickoff meeting"
	chosen := "6f1c1e0e-8d0a-4b7e-9a57-0d6a4c1f2b11"
	send := append(kept,
		templateTaskJSON{ID: &chosen, Phase: "Kickoff", Description: "Send the welcome pack", OffsetDays: 1, DurationDays: 1, Side: "vendor", Visibility: "customer", DependsOn: []string{*kept[1].ID}},
		templateTaskJSON{Phase: "Kickoff", Description: "Read the welcome pack", OffsetDays: 2, DurationDays: 1, Side: "customer", Visibility: "customer", DependsOn: []string{chosen}})
	st, body = e.do(t, "admin", "PUT", path, map[string]any{"name": tpl.Name, "is_default": true, "tasks": send})
	out := decode[templateJSON](t, st, body, http.StatusOK)
	check("replace", out)
	if len(out.Tasks) != 5 || *out.Tasks[1].ID != *tpl.Tasks[1].ID || out.Tasks[1].Description != "Kickoff meeting" ||
		out.Tasks[1].Details != tpl.Tasks[1].Details || *out.Tasks[3].ID != chosen || !slices.Equal(out.Tasks[4].DependsOn, []string{chosen}) {
		t.Errorf("after the replace: %s", body)
	}

	// A cycle: the kickoff meeting waits on the welcome pack, which waits
	// on it.
	cyc := slices.Clone(out.Tasks)
	cyc[1].DependsOn = []string{chosen}
	before := e.snapshot(t)
	st, body = e.do(t, "admin", "PUT", path, map[string]any{"name": tpl.Name, "is_default": true, "tasks": cyc})
	if st != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"location":"body.tasks[1].depends_on"`) ||
		!strings.Contains(string(body), "“Kickoff meeting” → “Send the welcome pack” → “Kickoff meeting”") {
		t.Errorf("a cycle: %d %s", st, body)
	}
	if st, body = e.do(t, "admin", "DELETE", path, nil); st != http.StatusConflict || !strings.Contains(string(body), "default") {
		t.Errorf("delete the default: %d %s", st, body)
	}
	// A refused request changes nothing.
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("a refused request changed data:\n%s", diff)
	}

	// Duplicate, by default name and by a given one.
	st, body = e.do(t, "admin", "POST", path+"/duplicate", nil)
	cp := decode[templateJSON](t, st, body, http.StatusCreated)
	check("duplicate", cp)
	if cp.Name != "Copy of "+tpl.Name || cp.IsDefault || len(cp.Tasks) != 5 || *cp.Tasks[1].ID == *out.Tasks[1].ID {
		t.Errorf("the copy: %s", body)
	}
	st, body = e.do(t, "admin", "POST", path+"/duplicate", map[string]any{"name": "Short plan"})
	if cp := decode[templateJSON](t, st, body, http.StatusCreated); cp.Name != "Short plan" {
		t.Errorf("a named copy: %s", body)
	}

	// From a project: its tasks, with the template's dependencies copied
	// when the project was made (when the project store copies them).
	st, body = e.do(t, "admin", "POST", "/templates/from-project", map[string]any{"project_id": e.p1, "name": "From Customer One"})
	fp := decode[templateJSON](t, st, body, http.StatusCreated)
	check("from a project", fp)
	if fp.Name != "From Customer One" || len(fp.Tasks) != 20 || fp.Tasks[5].Side != "customer" || fp.Tasks[0].Side != "vendor" || fp.Tasks[0].Visibility != "internal" {
		t.Errorf("the template of the project: %s", body)
	}
	if st, body = e.do(t, "admin", "POST", "/templates/from-project", map[string]any{"project_id": e.tpl}); st != http.StatusNotFound {
		t.Errorf("from no project: %d %s", st, body)
	}
}
