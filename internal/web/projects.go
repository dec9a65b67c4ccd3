package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// projectData is the console's project page: its status card, the task
// table (one row per task, grouped by phase, in the view asked for), the
// forms that change the tasks and the project, the timeline, similar
// projects and the activity.
type projectData struct {
	Project  *onboardiq.Project
	Customer string
	// CustomValues are the project's custom field values, as shown.
	CustomValues []customValue
	// The task table: the view shown (its filter, carried by every form
	// so that the page comes back in it), the links to every view with
	// their counts, the rows by phase, and how many are shown of all.
	View   postgres.TaskView
	Views  []viewLink
	Phases []phaseRows
	Shown  int
	Total  int
	// Cols is the table's number of columns, for the phase rows' colspan.
	Cols int
	// TableError is a refused change of a row the view does not show
	// (changed meanwhile by someone else).
	TableError string
	// EditTasks: the caller may change the tasks (add, select, reorder)
	// and the project is not cancelled; the store would accept it.
	EditTasks bool
	// People are whom a task may be assigned to: the support team, then
	// the customer's contacts; PhaseNames, the phases the project has.
	People     []postgres.Assignable
	PhaseNames []string
	Timeline   template.HTML
	Similar    []onboardiq.SimilarProject
	Activity   []*onboardiq.Event
	// Lifecycle: the changes of status its status allows, one form each
	// (shown to those who may edit projects); LifecycleError, a refused
	// change its status no longer offers.
	Lifecycle      []lifecycleForm
	LifecycleError string
	// The forms, as typed when the store refused them.
	AddTask      newTaskForm
	Bulk         bulkForm
	Edit         projectForm
	TemplateName string
}

// viewLink is one filter of the task table.
type viewLink struct {
	Label   string
	Href    string
	Count   int
	Current bool
}

var viewLabels = map[postgres.TaskView]string{
	postgres.ViewAll: "All", postgres.ViewMine: "Mine", postgres.ViewCustomer: "Customer side",
	postgres.ViewVendor: "Vendor side", postgres.ViewOverdue: "Overdue", postgres.ViewBlocked: "Blocked",
}

// phaseRows are the rows of one phase, as the view shows them.
type phaseRows struct {
	Name string
	Rows []taskRow
}

// taskRow is one row of the task table.
type taskRow struct {
	Task     *onboardiq.Task
	Assignee string
	Overdue  bool
	// CanChange: the status control is shown (canChangeTaskStatus, and the
	// project is not cancelled).
	CanChange bool
	// Up and Down: it may move within its phase (shown in the whole view
	// only, to those who may edit tasks).
	Up, Down bool
	// Selected: ticked for the bulk form (kept when it was refused).
	Selected bool
	// The status form: the status and reason shown, and the error of a
	// refused change.
	Status onboardiq.Status
	Reason string
	Error  string
	// MoveError: a refused move of the row.
	MoveError string
}

// pageState is what a refused form sends back to the project page: the
// view, and the form as typed with its errors.
type pageState struct {
	view      postgres.TaskView
	lifecycle *lifecycleForm
	row       *rowFailure
	add       *newTaskForm
	bulk      *bulkForm
	edit      *projectForm
}

// rowFailure is a refused status change of one row, or a refused move.
type rowFailure struct {
	task   uuid.UUID
	status onboardiq.Status
	reason string
	err    string
	move   bool
}

func (h *Handler) project(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.renderProject(w, r, id, http.StatusOK, &pageState{view: postgres.TaskView(r.URL.Query().Get("filter"))})
}

// renderProject answers the project page in st's view; st's forms, when
// set, were refused: each is shown again with its errors and input.
func (h *Handler) renderProject(w http.ResponseWriter, r *http.Request, id uuid.UUID, status int, st *pageState) error {
	pg, err := h.DB.LoadStaffProjectPage(r.Context(), id, st.view)
	if err != nil {
		return err
	}
	p := onboardiq.PrincipalFromContext(r.Context())
	pr := pg.Project
	open := pr.Status != onboardiq.StatusCancelled
	d := &projectData{Project: pr, Customer: pg.Customer, View: pg.View, Shown: len(pg.Shown), Total: len(pg.Tasks),
		EditTasks: open && p.Can(onboardiq.EditTasks), People: pg.Assignable, PhaseNames: phaseNames(pg.Tasks),
		Timeline: projectTimeline(pg), Similar: pg.Similar, Activity: pg.Activity,
		TemplateName: pr.Name + " plan"}
	d.Cols = 7 // status, task, assignee, due, flags, waiting on, order
	if d.EditTasks {
		d.Cols++ // the selection
	}
	for _, v := range postgres.TaskViews {
		d.Views = append(d.Views, viewLink{Label: viewLabels[v], Href: projectURL(id, v, ""), Count: pg.Counts[v], Current: v == pg.View})
	}
	d.Lifecycle, d.LifecycleError = lifecycleForms(pr.Status, st.lifecycle)
	if st.add != nil {
		d.AddTask = *st.add
	} else {
		d.AddTask = newTaskForm{Visibility: string(onboardiq.VisibilityCustomer)}
	}
	if st.bulk != nil {
		d.Bulk = *st.bulk
	}
	defs := pg.CustomFields
	d.CustomValues = customValues(defs, pr.CustomFields)
	if st.edit != nil {
		d.Edit = *st.edit
	} else {
		d.Edit = projectForm{Name: pr.Name, Description: pr.Description, Deadline: dayValue(pr.Deadline),
			Custom: newCustomInputs("edit", defs, pr.CustomFields)}
	}

	// Where each task may move: its neighbours in the whole plan.
	up, down := map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	if d.EditTasks && pg.View == postgres.ViewAll {
		for i, t := range pg.Tasks {
			up[t.ID] = i > 0 && pg.Tasks[i-1].Phase == t.Phase
			down[t.ID] = i+1 < len(pg.Tasks) && pg.Tasks[i+1].Phase == t.Phase
		}
	}
	placed := false
	for _, t := range pg.Shown {
		row := taskRow{Task: t, Overdue: pg.Overdue[t.ID], CanChange: open && onboardiq.CanChangeTaskStatus(p, t),
			Up: up[t.ID], Down: down[t.ID], Selected: d.Bulk.selected[t.ID], Status: t.Status, Reason: deref(t.BlockedReason)}
		if t.AssignedTo != nil {
			row.Assignee = pg.Assignees[*t.AssignedTo]
		}
		if f := st.row; f != nil && f.task == t.ID && f.move {
			row.MoveError, placed = f.err, true
		} else if f != nil && f.task == t.ID {
			row.Status, row.Reason, row.Error, placed = f.status, f.reason, f.err, true
		}
		if n := len(d.Phases); n == 0 || d.Phases[n-1].Name != t.Phase {
			d.Phases = append(d.Phases, phaseRows{Name: t.Phase})
		}
		last := &d.Phases[len(d.Phases)-1]
		last.Rows = append(last.Rows, row)
	}
	if st.row != nil && !placed {
		d.TableError = st.row.err
	}
	return h.render(w, r, status, "project.html", view{Title: pr.Name, Data: d, Unread: pg.Unread, counted: true})
}

// phaseNames are the distinct phases of tasks, in plan order.
func phaseNames(tasks []*onboardiq.Task) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tasks {
		if t.Phase != "" && !seen[t.Phase] {
			seen[t.Phase] = true
			out = append(out, t.Phase)
		}
	}
	return out
}

// projectURL is the project page in view v, at anchor (without its #).
func projectURL(id uuid.UUID, v postgres.TaskView, anchor string) string {
	u := "/app/projects/" + id.String()
	if v != postgres.ViewAll {
		u += "?" + url.Values{"filter": {string(v)}}.Encode()
	}
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}

// formView is the view a form was sent from, which its answer keeps.
func formView(r *http.Request) postgres.TaskView {
	v := postgres.TaskView(r.FormValue("filter"))
	for _, known := range postgres.TaskViews {
		if v == known {
			return v
		}
	}
	return postgres.ViewAll
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// statusPatch reads a status form: status, and the reason when blocked (a
// form without script always sends its reason field, filled or not).
func statusPatch(r *http.Request) onboardiq.TaskPatch {
	status := onboardiq.Status(r.FormValue("status"))
	patch := onboardiq.TaskPatch{Status: onboardiq.Set(status)}
	if reason := strings.TrimSpace(r.FormValue("blocked_reason")); reason != "" && status == onboardiq.StatusBlocked {
		patch.BlockedReason = onboardiq.Set(reason)
	}
	return patch
}

// taskStatus changes a task's status from the project page (or, with
// back=task, from the task's page). On the project page, a change the user
// can correct (blocked without a reason) shows the page again, in the view
// it was sent from, with the error beside that row's reason and the status
// and reason as chosen.
func (h *Handler) taskStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.DB.UpdateTask(r.Context(), id, statusPatch(r))
	if r.FormValue("back") == "task" {
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/app/tasks/"+t.ID.String(), http.StatusSeeOther)
		return nil
	}
	view := formView(r)
	if err != nil {
		if !aboutInput(err) {
			return err
		}
		found, gerr := h.DB.GetTask(r.Context(), id)
		if gerr != nil {
			return gerr
		}
		return h.renderProject(w, r, found.ProjectID, http.StatusUnprocessableEntity, &pageState{view: view,
			row: &rowFailure{task: id, status: onboardiq.Status(r.FormValue("status")), reason: r.FormValue("blocked_reason"), err: errText(err)}})
	}
	h.redirectFlash(w, r, projectURL(t.ProjectID, view, "task-"+t.ID.String()), "“"+t.Description+"” is "+statusWords(t.Status)+".")
	return nil
}

func statusWords(s onboardiq.Status) string { return strings.ReplaceAll(string(s), "_", " ") }
