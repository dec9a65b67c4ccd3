package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// The project page's forms that change its tasks and the project: add a
// task, change the selected tasks, move a task within its phase, edit the
// project. Each is read into its form type, sent to the store, and on a
// refusal the user can correct shown again on the project page (422) with
// the message beside its field and the input as typed.

// newTaskForm is the "Add a task" form as typed.
type newTaskForm struct {
	Title, Details, AssignedTo, Due, Visibility, Phase string
	// Errors holds the messages by field (the store's names: description,
	// details, assigned_to, due_at, visibility, phase); Error, one about
	// no field.
	Errors map[string]string
	Error  string
}

// bulkForm is the form that changes the selected tasks, as typed.
type bulkForm struct {
	AssignedTo, ShiftDays, Status, Reason string
	// Errors by field (task_ids, assigned_to, shift_days, status,
	// blocked_reason); Error, one about no field.
	Errors   map[string]string
	Error    string
	selected map[uuid.UUID]bool
}

// projectForm is the "Edit the project" form as typed.
type projectForm struct {
	Name, Description, Deadline string
	Errors                      map[string]string // name, description, deadline
	Error                       string
	// Custom holds the project's custom-field inputs (cf.<key>), each
	// with its error.
	Custom *customInputs
}

// peopleChoice is an assignee select's options: the support team, then the
// customer's contacts, with the one Selected (a user id, as typed).
type peopleChoice struct {
	Staff, Contacts []postgres.Assignable
	Selected        string
}

func peopleOf(people []postgres.Assignable, selected string) peopleChoice {
	c := peopleChoice{Selected: selected}
	for _, a := range people {
		if a.Contact {
			c.Contacts = append(c.Contacts, a)
		} else {
			c.Staff = append(c.Staff, a)
		}
	}
	return c
}

// unassigned is the assignee select's value for "nobody".
const unassigned = "none"

// errorsBy places a refusal: beside its field when the form has it,
// otherwise above the form.
func errorsBy(err error, fields ...string) (map[string]string, string) {
	f := onboardiq.ErrorField(err)
	for _, known := range fields {
		if f == known {
			return map[string]string{f: errText(err)}, ""
		}
	}
	return nil, errText(err)
}

// dayLayout is how a date input sends a day.
const dayLayout = "2006-01-02"

// parseDay reads a date input: "" is none; a day means its end (in UTC),
// so that a task due today is not overdue before the day is out.
func parseDay(field, s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	d, err := time.Parse(dayLayout, s)
	if err != nil {
		return nil, onboardiq.Invalid(field, "must be a date (YYYY-MM-DD)")
	}
	end := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, time.UTC)
	return &end, nil
}

// dayValue is a time as a date input's value.
func dayValue(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(dayLayout)
}

// parseAssignee reads an assignee select: "" leaves the assignee as it
// is, "none" unassigns, anything else names a user.
func parseAssignee(s string) (onboardiq.Patch[uuid.UUID], error) {
	switch s {
	case "":
		return onboardiq.Patch[uuid.UUID]{}, nil
	case unassigned:
		return onboardiq.Patch[uuid.UUID]{Set: true, Null: true}, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return onboardiq.Patch[uuid.UUID]{}, onboardiq.Invalid("assigned_to", "choose someone from the list")
	}
	return onboardiq.Set(id), nil
}

func (f *newTaskForm) patch() (onboardiq.TaskPatch, error) {
	in := onboardiq.TaskPatch{Description: onboardiq.Set(f.Title)}
	if f.Details != "" {
		in.Details = onboardiq.Set(f.Details)
	}
	if f.AssignedTo != unassigned {
		a, err := parseAssignee(f.AssignedTo)
		if err != nil {
			return in, err
		}
		in.AssignedTo = a
	}
	due, err := parseDay("due_at", f.Due)
	if err != nil {
		return in, err
	}
	if due != nil {
		in.DueAt = onboardiq.Set(*due)
	}
	if f.Visibility != "" {
		in.Visibility = onboardiq.Set(onboardiq.Visibility(f.Visibility))
	}
	if p := strings.TrimSpace(f.Phase); p != "" {
		in.Phase = onboardiq.Set(p)
	}
	return in, nil
}

// addTask adds a task to the project (those who may edit tasks).
func (h *Handler) addTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newTaskForm{Title: r.FormValue("description"), Details: r.FormValue("details"), AssignedTo: r.FormValue("assigned_to"),
		Due: r.FormValue("due_at"), Visibility: r.FormValue("visibility"), Phase: r.FormValue("phase")}
	var t *onboardiq.Task
	in, err := f.patch()
	if err == nil {
		t, err = h.DB.CreateTask(r.Context(), id, in)
	}
	if err != nil {
		if !aboutInput(err) {
			return err
		}
		f.Errors, f.Error = errorsBy(err, "description", "details", "assigned_to", "due_at", "visibility", "phase")
		return h.renderProject(w, r, id, http.StatusUnprocessableEntity, &pageState{view: formView(r), add: &f})
	}
	h.redirectFlash(w, r, projectURL(id, formView(r), "task-"+t.ID.String()), "Added “"+t.Description+"”.")
	return nil
}

// bulkTasks applies one change to the selected tasks: all of them, or,
// when one is refused, none.
func (h *Handler) bulkTasks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := bulkForm{AssignedTo: r.FormValue("assigned_to"), ShiftDays: strings.TrimSpace(r.FormValue("shift_days")),
		Status: r.FormValue("status"), Reason: r.FormValue("blocked_reason"), selected: map[uuid.UUID]bool{}}
	var ids []uuid.UUID
	for _, s := range r.Form["task_id"] {
		if tid, perr := uuid.Parse(s); perr == nil {
			ids = append(ids, tid)
			f.selected[tid] = true
		} else if err == nil {
			err = onboardiq.Invalid("task_ids", "%q names no task", s)
		}
	}
	change := postgres.BulkTaskChange{Status: onboardiq.Status(f.Status), BlockedReason: f.Reason}
	if err == nil {
		change.AssignedTo, err = parseAssignee(f.AssignedTo)
	}
	if err == nil && f.ShiftDays != "" {
		if change.ShiftDays, err = strconv.Atoi(f.ShiftDays); err != nil {
			err = onboardiq.Invalid("shift_days", "must be a whole number of days, like 3 or -2")
		}
	}
	var tasks []*onboardiq.Task
	if err == nil {
		tasks, err = h.DB.BulkUpdateTasks(r.Context(), id, ids, change)
	}
	if err != nil {
		if !aboutInput(err) {
			return err
		}
		f.Errors, f.Error = errorsBy(err, "task_ids", "assigned_to", "shift_days", "status", "blocked_reason")
		return h.renderProject(w, r, id, http.StatusUnprocessableEntity, &pageState{view: formView(r), bulk: &f})
	}
	msg := fmt.Sprintf("Changed %d tasks.", len(tasks))
	if len(tasks) == 1 {
		msg = "Changed “" + tasks[0].Description + "”."
	}
	h.redirectFlash(w, r, projectURL(id, formView(r), "tasks"), msg)
	return nil
}

// moveTask moves a task up or down within its phase. A move its place no
// longer allows (another tab moved it first) shows the page again with the
// message above the table.
func (h *Handler) moveTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	dir := r.FormValue("direction")
	t, err := h.DB.MoveTask(r.Context(), id, dir)
	if err != nil {
		if !aboutInput(err) {
			return err
		}
		found, gerr := h.DB.GetTask(r.Context(), id)
		if gerr != nil {
			return gerr
		}
		return h.renderProject(w, r, found.ProjectID, http.StatusUnprocessableEntity,
			&pageState{view: formView(r), row: &rowFailure{task: id, err: errText(err), move: true}})
	}
	h.redirectFlash(w, r, projectURL(t.ProjectID, formView(r), "task-"+t.ID.String()), "Moved “"+t.Description+"” "+dir+".")
	return nil
}

// editProject changes the project's name, description and deadline (those
// who may edit projects). A deadline left as it was keeps its time of day.
func (h *Handler) editProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	defs, err := h.DB.ListCustomFields(r.Context(), onboardiq.CustomFieldProject)
	if err != nil {
		return err
	}
	f := projectForm{Name: r.FormValue("name"), Description: r.FormValue("description"), Deadline: strings.TrimSpace(r.FormValue("deadline")),
		Custom: readCustomInputs(r, "edit", defs)}
	patch := onboardiq.ProjectPatch{Name: onboardiq.Set(f.Name), Description: onboardiq.Set(f.Description)}
	if f.Deadline != r.FormValue("deadline_was") {
		var d *time.Time
		if d, err = parseDay("deadline", f.Deadline); d != nil {
			patch.Deadline = onboardiq.Set(*d)
		} else if err == nil {
			patch.Deadline = onboardiq.Patch[time.Time]{Set: true, Null: true}
		}
	}
	if err == nil {
		var values map[string]any
		if values, err = f.Custom.values(func(name string) bool { _, ok := r.PostForm[name]; return ok }); len(values) > 0 {
			patch.CustomFields = onboardiq.Set(values)
		}
	}
	if err == nil {
		_, err = h.DB.UpdateProject(r.Context(), id, patch)
	}
	if err != nil {
		if !aboutInput(err) {
			return err
		}
		if !f.Custom.place(err) {
			f.Errors, f.Error = errorsBy(err, "name", "description", "deadline")
		}
		return h.renderProject(w, r, id, http.StatusUnprocessableEntity, &pageState{view: formView(r), edit: &f})
	}
	h.redirectFlash(w, r, projectURL(id, formView(r), ""), "Saved the project.")
	return nil
}
