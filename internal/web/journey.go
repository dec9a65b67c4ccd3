package web

import (
	"net/http"
)

// journeyBoard is the journey board: the workspace's stages as columns,
// each with its customers, longest in the stage first.
func (h *Handler) journeyBoard(w http.ResponseWriter, r *http.Request) error {
	pg, err := h.DB.LoadJourneyBoard(r.Context())
	if err != nil {
		return err
	}
	if wantsCSV(r) {
		return h.journeyCSV(w, pg)
	}
	return h.render(w, r, http.StatusOK, "journey.html", view{Title: "Journey", Data: pg, Unread: pg.Unread, counted: true})
}
