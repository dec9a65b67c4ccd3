package web

import (
	"net/http"

	"github.com/onboardiq/onboardiq"
)

func (h *Handler) notifications(w http.ResponseWriter, r *http.Request) {
	p, err := h.DB.ListNotifications(r.Context(), false, onboardiq.ListOptions{Limit: 100})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "notifications.html", view{Title: "Notifications", Data: p.Items})
}

func (h *Handler) readAll(w http.ResponseWriter, r *http.Request) {
	if _, err := h.DB.MarkRead(r.Context(), nil); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/app/notifications", http.StatusSeeOther)
}
