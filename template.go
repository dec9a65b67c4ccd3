package onboardiq

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/schedule"
)

// Template is a plan of tasks: phases of tasks with due dates relative to the
// project start, in working days.
type Template struct {
	ID          uuid.UUID      `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	IsDefault   bool           `json:"is_default"`
	Tasks       []TemplateTask `json:"tasks"`
	// Projects counts the tenant's projects made from the template
	// (deleting it leaves their tasks as they are).
	Projects  int       `json:"projects"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MaxTemplateTasks bounds a template's tasks.
const MaxTemplateTasks = 500

// Validate normalises a template's fields and tasks, naming the first bad
// one (tasks[3].side, say). A task without an id gets a new one; ids are
// unique; a dependency names another task of the template, and the
// dependencies have no cycle (the error names the tasks along it).
func (t *Template) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if err := checkText("name", t.Name, 1, 200); err != nil {
		return err
	}
	if err := checkText("description", t.Description, 0, 10000); err != nil {
		return err
	}
	if len(t.Tasks) == 0 || len(t.Tasks) > MaxTemplateTasks {
		return Invalid("tasks", "must hold 1 to %d tasks", MaxTemplateTasks)
	}
	at := make(map[uuid.UUID]int, len(t.Tasks))
	for i := range t.Tasks {
		if err := t.Tasks[i].validate(); err != nil {
			return taskError(i, err)
		}
		if id := t.Tasks[i].ID; id != uuid.Nil {
			if j, dup := at[id]; dup {
				return Invalid(taskField(i, "id"), "is the id of tasks[%d] too", j)
			}
			at[id] = i
		}
	}
	for i := range t.Tasks {
		if t.Tasks[i].ID == uuid.Nil {
			t.Tasks[i].ID = uuid.New()
			at[t.Tasks[i].ID] = i
		}
	}
	ids := make([]uuid.UUID, len(t.Tasks))
	for i := range t.Tasks {
		pt := &t.Tasks[i]
		ids[i] = pt.ID
		seen := map[uuid.UUID]bool{}
		deps := pt.DependsOn[:0:0]
		for _, d := range pt.DependsOn {
			if _, ok := at[d]; !ok {
				return Invalid(taskField(i, "depends_on"), "names %s, which is no task of this template", d)
			}
			if !seen[d] {
				seen[d] = true
				deps = append(deps, d)
			}
		}
		pt.DependsOn = deps
	}
	byID := func(id uuid.UUID) []uuid.UUID { return t.Tasks[at[id]].DependsOn }
	if cycle := schedule.FindCycle(ids, byID); cycle != nil {
		names := make([]string, 0, len(cycle)+1)
		for _, id := range append(cycle, cycle[0]) {
			names = append(names, "“"+t.Tasks[at[id]].Description+"”")
		}
		return Invalid(taskField(at[cycle[0]], "depends_on"), "makes a cycle, each task waiting on the next: %s", strings.Join(names, " → "))
	}
	return nil
}

// taskField names a field of the i-th task: tasks[3].side.
func taskField(i int, field string) string { return "tasks[" + strconv.Itoa(i) + "]." + field }

func taskError(i int, err error) error {
	e := err.(*Error)
	e.Field = taskField(i, e.Field)
	return e
}

func (pt *TemplateTask) validate() error {
	pt.Phase, pt.Description = strings.TrimSpace(pt.Phase), strings.TrimSpace(pt.Description)
	if pt.Visibility == "" {
		pt.Visibility = VisibilityCustomer
	}
	if pt.DependsOn == nil {
		pt.DependsOn = []uuid.UUID{}
	}
	for _, err := range []error{
		checkText("phase", pt.Phase, 1, 100),
		checkText("description", pt.Description, 1, 500),
		checkText("details", pt.Details, 0, 20000),
	} {
		if err != nil {
			return err
		}
	}
	switch {
	case pt.OffsetDays < 0 || pt.OffsetDays > 3650:
		return Invalid("offset_days", "must be between 0 and 3650")
	case pt.DurationDays < 0 || pt.DurationDays > 3650:
		return Invalid("duration_days", "must be between 0 and 3650")
	case pt.Side != SideCustomer && pt.Side != SideVendor:
		return Invalid("side", "must be customer or vendor")
	case pt.Visibility != VisibilityCustomer && pt.Visibility != VisibilityInternal:
		return Invalid("visibility", "must be customer or internal")
	case len(pt.DependsOn) > MaxTemplateTasks:
		return Invalid("depends_on", "names more tasks than a template holds")
	}
	return nil
}

// The sides of a template task: who does it.
const (
	SideCustomer = "customer" // the customer's contacts
	SideVendor   = "vendor"   // the vendor's support member
)

// TemplateTask is one task of a template: when it starts and how long it
// takes, in working days from the project start (weekends and the tenant's
// holidays skipped), who does it, who sees it, and the tasks of the same
// template it waits on (finish-to-start). Its id stays the same while the
// template is edited, so projects made from it keep their link to it.
type TemplateTask struct {
	ID           uuid.UUID   `json:"id"`
	Phase        string      `json:"phase"`
	Description  string      `json:"description"`
	Details      string      `json:"details"`
	OffsetDays   int         `json:"offset_days"`
	DurationDays int         `json:"duration_days"`
	Side         string      `json:"side"` // "customer" or "vendor"
	Visibility   Visibility  `json:"visibility"`
	DependsOn    []uuid.UUID `json:"depends_on"`
}

// CopyTemplateTasks returns a copy of tasks with new ids, their
// dependencies following: a template made from another shares no task id
// with it.
func CopyTemplateTasks(tasks []TemplateTask) []TemplateTask {
	ids := make(map[uuid.UUID]uuid.UUID, len(tasks))
	out := make([]TemplateTask, len(tasks))
	for i, pt := range tasks {
		out[i] = pt
		out[i].ID = uuid.New()
		if pt.ID != uuid.Nil {
			ids[pt.ID] = out[i].ID
		}
	}
	for i, pt := range tasks {
		out[i].DependsOn = make([]uuid.UUID, 0, len(pt.DependsOn))
		for _, d := range pt.DependsOn {
			if n, ok := ids[d]; ok {
				out[i].DependsOn = append(out[i].DependsOn, n)
			}
		}
	}
	return out
}

// DefaultTemplateName is the template every new tenant starts with.
const DefaultTemplateName = "Standard B2B onboarding"
