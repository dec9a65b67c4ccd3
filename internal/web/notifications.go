package web

import (
	"net/http"

	"github.com/onboardiq/onboardiq"
)

func (h *Handler) notifications(w http.ResponseWriter, r *http.Request) error {
	p, err := h.DB.ListNotifications(r.Context(), false, onboardiq.ListOptions{Limit: 100})
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "notifications.html", view{Title: "Notifications", Data: p.Items})
}

func (h *Handler) readAll(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.DB.MarkRead(r.Context(), nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/notifications", http.StatusSeeOther)
	return nil
}
