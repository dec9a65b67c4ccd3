package onboardiq_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// TestTemplateValidate: a template's tasks are checked and named by index;
// tasks without an id get one; ids are unique; a dependency names a task
// of the same template; cycles are refused naming the tasks along them.
func TestTemplateValidate(t *testing.T) {
	t.Parallel()
	a, b, c, other := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	task := func(id uuid.UUID, title string, deps ...uuid.UUID) onboardiq.TemplateTask {
		return onboardiq.TemplateTask{ID: id, Phase: "Setup", Description: title, Side: "vendor", DependsOn: deps}
	}
	for _, tc := range []struct {
		name        string
		tasks       []onboardiq.TemplateTask
		field, says string // "" for valid
	}{
		{"a chain", []onboardiq.TemplateTask{task(a, "A"), task(b, "B", a), task(c, "C", a, b)}, "", ""},
		{"no tasks", nil, "tasks", "1 to 500"},
		{"a bad side", []onboardiq.TemplateTask{task(a, "A"), {ID: b, Phase: "P", Description: "B", Side: "both"}}, "tasks[1].side", "customer or vendor"},
		{"a negative offset", []onboardiq.TemplateTask{task(a, "A"), {ID: b, Phase: "P", Description: "B", Side: "vendor", OffsetDays: -1}}, "tasks[1].offset_days", "between 0"},
		{"no title", []onboardiq.TemplateTask{task(a, " ")}, "tasks[0].description", "required"},
		{"two tasks with one id", []onboardiq.TemplateTask{task(a, "A"), task(b, "B"), task(a, "C")}, "tasks[2].id", "tasks[0]"},
		{"another template's task", []onboardiq.TemplateTask{task(a, "A"), task(b, "B", other)}, "tasks[1].depends_on", "no task of this template"},
		{"itself", []onboardiq.TemplateTask{task(a, "A"), task(b, "B", b)}, "tasks[1].depends_on", "“B” → “B”"},
		{"a nil dependency", []onboardiq.TemplateTask{task(a, "Kickoff"), task(b, "SSO", uuid.Nil)}, "tasks[1].depends_on", "no task"},
		{"a cycle of three", []onboardiq.TemplateTask{task(uuid.New(), "Go-live", b), task(a, "Kickoff", c), task(b, "SSO", a), task(c, "API keys", b)}, "tasks[2].depends_on", "“SSO” → “Kickoff” → “API keys” → “SSO”"},
		{"a cycle", []onboardiq.TemplateTask{task(a, "Kickoff"), task(b, "SSO", c), task(c, "API keys", a, b)}, "tasks[1].depends_on", "“SSO” → “API keys” → “SSO”"},
	} {
		tpl := onboardiq.Template{Name: "Plan", Tasks: tc.tasks}
		err := tpl.Validate()
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (onboardiq.ErrorCode(err) != onboardiq.EINVALID || onboardiq.ErrorField(err) != tc.field || !strings.Contains(onboardiq.ErrorMessage(err), tc.says)):
			t.Errorf("%s: %v, want %s saying %q", tc.name, err, tc.field, tc.says)
		}
	}
}

// TestTemplateValidateNormalises: tasks without an id get new ones (which
// the store inserts), repeated dependencies are named once, and none is an
// empty list, not null.
func TestTemplateValidateNormalises(t *testing.T) {
	t.Parallel()
	a := uuid.New()
	tpl := onboardiq.Template{Name: " Plan ", Tasks: []onboardiq.TemplateTask{
		{ID: a, Phase: "P", Description: "A", Side: "vendor"},
		{Phase: "P", Description: "B", Side: "customer", DependsOn: []uuid.UUID{a, a}},
		{Phase: "P", Description: "C", Side: "customer"},
	}}
	if err := tpl.Validate(); err != nil {
		t.Fatal(err)
	}
	ids := map[uuid.UUID]bool{}
	for _, pt := range tpl.Tasks {
		if pt.ID == uuid.Nil || ids[pt.ID] || pt.DependsOn == nil || pt.Visibility != onboardiq.VisibilityCustomer {
			t.Errorf("task %+v", pt)
		}
		ids[pt.ID] = true
	}
	if tpl.Tasks[0].ID != a || !slices.Equal(tpl.Tasks[1].DependsOn, []uuid.UUID{a}) || tpl.Name != "Plan" {
		t.Errorf("normalised to %+v", tpl)
	}
}

// TestDefaultTemplateIsConsistent: the default plan is valid, lasts the
// eight weeks (40 working days) it promises, keeps its order, and every
// task starts no earlier than the tasks it waits on are due; the kickoff
// call comes before technical setup, the technical setup before the
// go-live checklist, the readiness review before the switch-on.
func TestDefaultTemplateIsConsistent(t *testing.T) {
	t.Parallel()
	tpl := onboardiq.Template{Name: onboardiq.DefaultTemplateName, Tasks: slices.Clone(onboardiq.DefaultTemplate)}
	if err := tpl.Validate(); err != nil {
		t.Fatal(err)
	}
	byID := map[uuid.UUID]onboardiq.TemplateTask{}
	byTitle := map[string]onboardiq.TemplateTask{}
	end := 0
	for i, pt := range onboardiq.DefaultTemplate {
		byID[pt.ID], byTitle[pt.Description] = pt, pt
		end = max(end, pt.OffsetDays+pt.DurationDays)
		if i > 0 && pt.OffsetDays < onboardiq.DefaultTemplate[i-1].OffsetDays {
			t.Errorf("%q starts before the task above it", pt.Description)
		}
	}
	if end != 40 {
		t.Errorf("the plan lasts %d working days, want 40 (eight weeks)", end)
	}
	deps := 0
	for _, pt := range onboardiq.DefaultTemplate {
		for _, d := range pt.DependsOn {
			deps++
			if p := byID[d]; p.OffsetDays+p.DurationDays > pt.OffsetDays {
				t.Errorf("%q starts on day %d, before %q is due (day %d)", pt.Description, pt.OffsetDays, p.Description, p.OffsetDays+p.DurationDays)
			}
		}
	}
	waits := func(task, on string) {
		t.Helper()
		if !slices.Contains(byTitle[task].DependsOn, byTitle[on].ID) {
			t.Errorf("%q does not wait on %q", task, on)
		}
	}
	waits("Create the production workspace", "Kickoff call: goals, scope and success criteria")
	waits("Complete the go-live checklist", "Configure single sign-on (SSO)")
	waits("Complete the go-live checklist", "Import your historical data")
	waits("Switch production traffic on", "Go-live readiness review")
	if deps < 15 {
		t.Errorf("only %d dependencies", deps)
	}
}

// TestCopyTemplateTasks: a copy has ids of its own and its dependencies
// follow them.
func TestCopyTemplateTasks(t *testing.T) {
	t.Parallel()
	cp := onboardiq.CopyTemplateTasks(onboardiq.DefaultTemplate)
	at := map[uuid.UUID]int{}
	for i, pt := range cp {
		if pt.ID == onboardiq.DefaultTemplate[i].ID {
			t.Fatalf("task %d kept its id", i)
		}
		at[pt.ID] = i
	}
	for i, pt := range cp {
		if len(pt.DependsOn) != len(onboardiq.DefaultTemplate[i].DependsOn) {
			t.Fatalf("task %d: %d dependencies, want %d", i, len(pt.DependsOn), len(onboardiq.DefaultTemplate[i].DependsOn))
		}
		for j, d := range pt.DependsOn {
			k, ok := at[d]
			if !ok || onboardiq.DefaultTemplate[k].ID != onboardiq.DefaultTemplate[i].DependsOn[j] {
				t.Errorf("task %d's dependency %d does not follow the copy", i, j)
			}
		}
	}
}
