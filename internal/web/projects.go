package web

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

type phase struct {
	Name  string
	Tasks []*onboardiq.Task
}

type projectData struct {
	Project  *onboardiq.Project
	Customer string
	Phases   []phase
	Similar  []onboardiq.SimilarProject
	Activity []*onboardiq.Event
	Assignee map[string]string
	// Lifecycle: the changes of status its status allows, one form each
	// (shown to those who may edit projects); LifecycleError, a refused
	// change its status no longer offers.
	Lifecycle      []lifecycleForm
	LifecycleError string
}

func (h *Handler) project(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.renderProject(w, r, id, http.StatusOK, nil)
}

// renderProject answers the project page; failed, when set, is a lifecycle
// form that was refused, shown again with its error and the reason typed.
func (h *Handler) renderProject(w http.ResponseWriter, r *http.Request, id uuid.UUID, status int, failed *lifecycleForm) error {
	pg, err := h.DB.LoadStaffProjectPage(r.Context(), id)
	if err != nil {
		return err
	}
	d := &projectData{Project: pg.Project, Customer: pg.Customer, Phases: phases(pg.Tasks), Similar: pg.Similar, Activity: pg.Activity,
		Assignee: map[string]string{}}
	d.Lifecycle, d.LifecycleError = lifecycleForms(pg.Project.Status, failed)
	for id, name := range pg.Assignees {
		d.Assignee[id.String()] = name
	}
	return h.render(w, r, status, "project.html", view{Title: pg.Project.Name, Data: d, Unread: pg.Unread, counted: true})
}

// phases groups tasks, already in plan order, by phase.
func phases(tasks []*onboardiq.Task) []phase {
	var out []phase
	for _, t := range tasks {
		if len(out) == 0 || out[len(out)-1].Name != t.Phase {
			out = append(out, phase{Name: t.Phase})
		}
		out[len(out)-1].Tasks = append(out[len(out)-1].Tasks, t)
	}
	return out
}

// statusPatch reads a status form: status, and a reason when blocked.
func statusPatch(r *http.Request) onboardiq.TaskPatch {
	patch := onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.Status(r.FormValue("status")))}
	if reason := strings.TrimSpace(r.FormValue("blocked_reason")); reason != "" {
		patch.BlockedReason = onboardiq.Set(reason)
	}
	return patch
}

func (h *Handler) taskStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.DB.UpdateTask(r.Context(), id, statusPatch(r))
	if err != nil {
		return err
	}
	if r.FormValue("back") != "task" {
		http.Redirect(w, r, "/app/projects/"+t.ProjectID.String()+"#task-"+t.ID.String(), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/app/tasks/"+t.ID.String(), http.StatusSeeOther)
	return nil
}
