package web

import (
	"net/http"

	"github.com/onboardiq/onboardiq"
)

type taskData struct {
	Task         *onboardiq.Task
	Project      *onboardiq.Project
	Comments     []*onboardiq.Comment
	Similar      []onboardiq.SimilarTask
	Troubleshoot *aiReport
}

func (h *Handler) loadTask(r *http.Request) (*taskData, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
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
	s, err := h.DB.FindSimilarTasks(ctx, id, 3)
	if err != nil {
		return nil, err
	}
	d.Similar = s.Items
	return d, nil
}

func (h *Handler) task(w http.ResponseWriter, r *http.Request) error {
	d, err := h.loadTask(r)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "task.html", view{Title: d.Task.Description, Data: d})
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
	d, err := h.loadTask(r)
	if err != nil {
		return err
	}
	rep, err := h.Assistant.Troubleshoot(r.Context(), d.Task.ID)
	if err != nil {
		return err
	}
	d.Troubleshoot = &aiReport{Text: rep.Text, Citations: rep.Citations}
	return h.render(w, r, http.StatusOK, "task.html", view{Title: d.Task.Description, Data: d})
}
