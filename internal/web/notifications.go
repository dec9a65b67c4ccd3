package web

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

func (h *Handler) notifications(w http.ResponseWriter, r *http.Request) error {
	p, err := h.DB.ListNotifications(r.Context(), false, onboardiq.ListOptions{Limit: 100})
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "notifications.html", view{Title: "Notifications", Data: p.Items})
}

// openNotification opens a notification where it points (its
// conversation, its task, its project, or the list), marking it read: a
// link on the list leads here. Another user's, or none, is the 404 page.
// The conversation and the task come from the notification's data as ids,
// never as links, so no notification can send anyone off the console.
func (h *Handler) openNotification(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := h.DB.OpenNotification(r.Context(), id)
	if err != nil {
		return err
	}
	to := "/app/notifications"
	if n.ProjectID != nil {
		to = "/app/projects/" + n.ProjectID.String()
	}
	if s, ok := n.Data["task_id"].(string); ok {
		if task, err := uuid.Parse(s); err == nil {
			to = "/app/tasks/" + task.String()
		}
	}
	if s, ok := n.Data["conversation_id"].(string); ok {
		if c, err := uuid.Parse(s); err == nil {
			to = "/app/conversations/" + c.String()
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// readOne marks one notification read, and goes back to the list.
func (h *Handler) readOne(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.DB.MarkRead(r.Context(), &id); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/notifications#notifications", http.StatusSeeOther)
	return nil
}

func (h *Handler) readAll(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.DB.MarkRead(r.Context(), nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/notifications", http.StatusSeeOther)
	return nil
}
