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

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	d, err := h.DB.LoadDashboard(r.Context(), time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	max := 1
	for _, wk := range d.Weekly {
		if wk.Count > max {
			max = wk.Count
		}
	}
	h.render(w, r, http.StatusOK, "dashboard.html", view{Title: "Dashboard", Data: dashboardData{d, max}})
}
