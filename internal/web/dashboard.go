package web

import (
	"net/http"
	"time"

	"github.com/onboardiq/onboardiq"
)

type dashboardData struct {
	*onboardiq.Dashboard
	MaxWeek int
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) error {
	d, err := h.DB.LoadDashboard(r.Context(), time.Now())
	if err != nil {
		return err
	}
	if wantsCSV(r) {
		return h.dashboardCSV(w, d)
	}
	max := 1
	for _, wk := range d.Weekly {
		if wk.Count > max {
			max = wk.Count
		}
	}
	return h.render(w, r, http.StatusOK, "dashboard.html", view{Title: "Dashboard", Data: dashboardData{d, max}, Unread: d.Unread, counted: true})
}

// hideSetup hides the setup checklist from the workspace's dashboards
// (admins).
func (h *Handler) hideSetup(w http.ResponseWriter, r *http.Request) error {
	if err := h.DB.HideSetupChecklist(r.Context()); err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app", "The setup checklist is hidden.")
	return nil
}
