package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// taskData is the console's task page: the page the store read, the edit
// form (its values, and its errors when a save was refused), whom the
// comment box suggests mentioning, and a troubleshooting report when one
// was asked for.
type taskData struct {
	*postgres.StaffTaskPage
	Form taskForm
	// DueWas is the due date as saved, for the script that offers moving
	// the tasks that wait on it only once the date changes.
	DueWas string
	// Mentions is the JSON of the people the comment box suggests when
	// "@" is typed (consoleMentions).
	Mentions     string
	Troubleshoot *aiReport
}

// taskForm is the task page's edit form as typed: what the task holds, or
// what was sent when the store refused it.
type taskForm struct {
	Description, Details, AssignedTo, Phase, Visibility string
	StartAt, DueAt                                      string // YYYY-MM-DD
	DependsOn                                           map[string]bool
	// Shift: also move the tasks that wait on this one with its due date.
	Shift bool
	// Errors by field (description, details, assigned_to, start_at,
	// due_at, visibility, phase, depends_on); Error is one about no field.
	Errors map[string]string
	Error  string
}

// formDay is a date as a date input holds it (the UTC day: see
// docs/decisions/0011-dependencies.md).
func formDay(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// formOf is the edit form holding what t holds.
func formOf(t *onboardiq.Task) taskForm {
	f := taskForm{Description: t.Description, Details: t.Details, Phase: t.Phase, Visibility: string(t.Visibility),
		StartAt: formDay(t.StartAt), DueAt: formDay(t.DueAt), DependsOn: map[string]bool{}, Shift: true, Errors: map[string]string{}}
	if t.AssignedTo != nil {
		f.AssignedTo = t.AssignedTo.String()
	}
	for _, id := range t.DependsOn {
		f.DependsOn[id.String()] = true
	}
	return f
}

// typedForm is the edit form as r sent it.
func typedForm(r *http.Request) taskForm {
	f := taskForm{Description: r.FormValue("description"), Details: r.FormValue("details"), AssignedTo: r.FormValue("assigned_to"),
		Phase: r.FormValue("phase"), Visibility: r.FormValue("visibility"), StartAt: strings.TrimSpace(r.FormValue("start_at")),
		DueAt: strings.TrimSpace(r.FormValue("due_at")), DependsOn: map[string]bool{}, Shift: r.FormValue("shift_dependents") != "",
		Errors: map[string]string{}}
	for _, id := range r.Form["depends_on"] {
		f.DependsOn[id] = true
	}
	return f
}

// patch turns the form into a change of t. A date keeps the clock of the
// date it replaces (or of the task's other date), so that moving a due
// date by days moves it by whole days; an unchanged day leaves the date
// as it is.
func (f taskForm) patch(t *onboardiq.Task) (onboardiq.TaskPatch, error) {
	p := onboardiq.TaskPatch{
		Description: onboardiq.Set(f.Description),
		Details:     onboardiq.Set(f.Details),
		Phase:       onboardiq.Set(f.Phase),
		Visibility:  onboardiq.Set(onboardiq.Visibility(f.Visibility)),
	}
	current := ""
	if t.AssignedTo != nil {
		current = t.AssignedTo.String()
	}
	switch {
	case f.AssignedTo == current:
	case f.AssignedTo == "":
		p.AssignedTo = onboardiq.Patch[uuid.UUID]{Set: true, Null: true}
	default:
		id, err := uuid.Parse(f.AssignedTo)
		if err != nil {
			return p, onboardiq.Invalid("assigned_to", "choose someone from the list")
		}
		p.AssignedTo = onboardiq.Set(id)
	}
	var err error
	if p.StartAt, err = dayPatch("start_at", f.StartAt, t.StartAt); err != nil {
		return p, err
	}
	if p.DueAt, err = dayPatch("due_at", f.DueAt, t.DueAt); err != nil {
		return p, err
	}
	ids := []uuid.UUID{}
	for s := range f.DependsOn {
		id, err := uuid.Parse(s)
		if err != nil {
			return p, onboardiq.Invalid("depends_on", "choose tasks from the list")
		}
		ids = append(ids, id)
	}
	p.DependsOn = onboardiq.Set(ids)
	p.ShiftDependents = f.Shift
	return p, nil
}

// dayPatch is the change a date field asks of a date that was old.
func dayPatch(field, typed string, old *time.Time) (onboardiq.Patch[time.Time], error) {
	switch {
	case typed == "" && old == nil:
		return onboardiq.Patch[time.Time]{}, nil
	case typed == "":
		return onboardiq.Patch[time.Time]{Set: true, Null: true}, nil
	case typed == formDay(old):
		return onboardiq.Patch[time.Time]{}, nil
	}
	d, err := time.Parse(time.DateOnly, typed)
	if err != nil {
		return onboardiq.Patch[time.Time]{}, onboardiq.Invalid(field, "must be a date like 2026-12-25")
	}
	switch {
	case old != nil:
		c := old.UTC()
		d = d.Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute + time.Duration(c.Second())*time.Second)
	case field == "due_at":
		// A new due date is the end of its day, as the project page's
		// forms have it: a task due today is not overdue before the day
		// is out. A new start is the day's beginning.
		d = d.Add(24*time.Hour - time.Second)
	}
	return onboardiq.Set(d), nil
}

// taskPage reads the task page, with form (nil: the task as it is).
func (h *Handler) taskPage(ctx context.Context, id uuid.UUID, form *taskForm) (*taskData, error) {
	pg, err := h.DB.LoadStaffTaskPage(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &taskData{StaffTaskPage: pg, DueWas: formDay(pg.Task.DueAt)}
	if d.Mentions, err = consoleMentions(pg, onboardiq.PrincipalFromContext(ctx).UserID); err != nil {
		return nil, err
	}
	if form != nil {
		d.Form = *form
	} else {
		d.Form = formOf(pg.Task)
	}
	return d, nil
}

func (h *Handler) renderTask(w http.ResponseWriter, r *http.Request, status int, d *taskData) error {
	return h.render(w, r, status, "task.html", view{Title: d.Task.Description, Data: d, Unread: d.Unread, counted: true})
}

func (h *Handler) task(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.taskPage(r.Context(), id, nil)
	if err != nil {
		return err
	}
	return h.renderTask(w, r, http.StatusOK, d)
}

// taskEdit saves the task page's edit form. A refusal the user can act on
// shows the page again with the error beside its field and what was typed
// kept; a save that moved the tasks waiting on this one says how many.
func (h *Handler) taskEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	t, err := h.DB.GetTask(ctx, id)
	if err != nil {
		return err
	}
	form := typedForm(r)
	patch, err := form.patch(t)
	var shifted []onboardiq.TaskRef
	if err == nil {
		_, shifted, err = h.DB.UpdateTaskAndDependents(ctx, id, patch)
	}
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		switch f := onboardiq.ErrorField(err); f {
		case "description", "details", "assigned_to", "start_at", "due_at", "visibility", "phase", "depends_on":
			form.Errors[f] = errText(err)
		default:
			form.Error = errText(err)
		}
		d, err := h.taskPage(ctx, id, &form)
		if err != nil {
			return err
		}
		return h.renderTask(w, r, http.StatusUnprocessableEntity, d)
	}
	msg := "Saved the task."
	switch n := len(shifted); {
	case n == 1:
		msg = "Saved the task, and moved the task that waits on it by the same number of working days."
	case n > 1:
		msg = fmt.Sprintf("Saved the task, and moved the %d tasks that wait on it by the same number of working days.", n)
	}
	h.redirectFlash(w, r, "/app/tasks/"+id.String(), msg)
	return nil
}

// taskDelete deletes a task from its page (the form sits in a <details>
// that says what deleting does) and returns to its project.
func (h *Handler) taskDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	t, err := h.DB.GetTask(ctx, id)
	if err != nil {
		return err
	}
	if err := h.DB.DeleteTask(ctx, id); err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app/projects/"+t.ProjectID.String(), "Deleted the task “"+t.Description+"”.")
	return nil
}

func (h *Handler) comment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.DB.AddComment(r.Context(), id, r.FormValue("body")); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/tasks/"+id.String()+"#comments", http.StatusSeeOther)
	return nil
}

func (h *Handler) troubleshoot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.taskPage(r.Context(), id, nil)
	if err != nil {
		return err
	}
	rep, err := h.Assistant.Troubleshoot(r.Context(), d.Task.ID)
	if err != nil {
		return err
	}
	d.Troubleshoot = &aiReport{Text: rep.Text, Citations: rep.Citations}
	return h.renderTask(w, r, http.StatusOK, d)
}
