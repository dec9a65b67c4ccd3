package web

import (
	"net/http"
)

// quotas shows the workspace's subscription tier and each quota's limit
// and usage, with a bar (admins; the store refuses anyone else).
func (h *Handler) quotas(w http.ResponseWriter, r *http.Request) error {
	q, err := h.DB.GetQuotas(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "quotas.html", view{Title: "Quotas", Data: q})
}
