package web

import (
	"net/http"
	"strings"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
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
}

func (h *Handler) project(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	ctx := r.Context()
	p, err := h.DB.GetProject(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &projectData{Project: p, Assignee: map[string]string{}}
	// Every part or the error page: never half a page.
	err = func() error {
		c, err := h.DB.GetCustomer(ctx, p.CustomerID)
		if err != nil {
			return err
		}
		d.Customer = c.Name
		tasks, err := h.DB.ListTasks(ctx, id, postgres.TaskFilter{ListOptions: onboardiq.ListOptions{Limit: 200}})
		if err != nil {
			return err
		}
		d.Phases = phases(tasks.Items)
		users, err := h.DB.ListUsers(ctx, postgres.UserFilter{ListOptions: onboardiq.ListOptions{Limit: 200}})
		if err != nil {
			return err
		}
		for _, u := range users.Items {
			d.Assignee[u.ID.String()] = u.Name
		}
		s, err := h.DB.FindSimilarProjects(ctx, id, 3)
		if err != nil {
			return err
		}
		d.Similar = s.Items
		a, err := h.DB.ListActivity(ctx, postgres.ActivityFilter{ListOptions: onboardiq.ListOptions{Limit: 20}, ProjectID: &id})
		if err != nil {
			return err
		}
		d.Activity = a.Items
		return nil
	}()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "project.html", view{Title: p.Name, Data: d})
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

func (h *Handler) taskStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	t, err := h.DB.UpdateTask(r.Context(), id, statusPatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	back := r.FormValue("back")
	if back != "task" {
		http.Redirect(w, r, "/app/projects/"+t.ProjectID.String()+"#task-"+t.ID.String(), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/app/tasks/"+t.ID.String(), http.StatusSeeOther)
}

type taskData struct {
	Task         *onboardiq.Task
	Project      *onboardiq.Project
	Comments     []*onboardiq.Comment
	Similar      []onboardiq.SimilarTask
	Troubleshoot *aiReport
}

func (h *Handler) loadTask(r *http.Request) (*taskData, error) {
	id, ok := pathID(r)
	if !ok {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "not found")
	}
	ctx := r.Context()
	t, err := h.DB.GetTask(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &taskData{Task: t}
	if d.Project, err = h.DB.GetProject(ctx, t.ProjectID); err != nil {
		return nil, err
	}
	cs, err := h.DB.ListComments(ctx, id, onboardiq.ListOptions{Limit: 200})
	if err != nil {
		return nil, err
	}
	d.Comments = cs.Items
	if s, err := h.DB.FindSimilarTasks(ctx, id, 3); err == nil {
		d.Similar = s.Items
	}
	return d, nil
}

func (h *Handler) task(w http.ResponseWriter, r *http.Request) {
	d, err := h.loadTask(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "task.html", view{Title: d.Task.Description, Data: d})
}

func (h *Handler) comment(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	if _, err := h.DB.AddComment(r.Context(), id, r.FormValue("body")); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/app/tasks/"+id.String()+"#comments", http.StatusSeeOther)
}

func (h *Handler) troubleshoot(w http.ResponseWriter, r *http.Request) {
	d, err := h.loadTask(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.Assistant.Troubleshoot(r.Context(), d.Task.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Troubleshoot = &aiReport{Text: rep.Text, Citations: rep.Citations}
	h.render(w, r, http.StatusOK, "task.html", view{Title: d.Task.Description, Data: d})
}
