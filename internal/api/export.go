package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// registerExport: the whole workspace as one JSON archive (admins), for a
// backup or for leaving (docs/import.md, "Export").
func (h *handlers) registerExport(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "export-workspace", Method: http.MethodGet, Path: "/export",
		Summary: "Export the whole workspace as JSON", Tags: []string{"Export"}, Security: bearer,
		Description: "Admins. Every row of every table of the workspace, from one consistent snapshot, as one JSON document " +
			"`{\"format\": \"onboardiq-workspace-archive\", \"version\": 1, \"exported_at\", \"tables\": {\"customers\": [...], ...}}`, " +
			"streamed as an attachment. Left out: sessions, one-time links, reply keys and sign-in counters; password hashes, " +
			"token hashes, webhook and playbook signing secrets; embeddings and the search index (derived again on import).",
		Responses: map[string]*huma.Response{"200": {Description: "The archive.", Content: map[string]*huma.MediaType{
			"application/json": {Schema: &huma.Schema{Type: "object", Description: "The archive (see the description)."}},
		}}}},
		func(ctx context.Context, _ *struct{}) (*huma.StreamResponse, error) {
			return &huma.StreamResponse{Body: func(hc huma.Context) {
				started := false
				err := h.DB.ExportWorkspace(ctx, func() io.Writer {
					started = true
					hc.SetHeader("Content-Type", "application/json")
					hc.SetHeader("Content-Disposition", fmt.Sprintf(`attachment; filename="workspace-%s.json"`, time.Now().UTC().Format("2006-01-02")))
					hc.SetStatus(http.StatusOK)
					return hc.BodyWriter()
				})
				switch {
				case err != nil && !started:
					writeProblem(api, hc, h.problem(ctx, err))
				case err != nil:
					// Past the headers a failure can only cut the document
					// short: it no longer parses, and the log says why.
					h.Logger.ErrorContext(ctx, "workspace export cut short", "error", err)
				}
			}}, nil
		})
}
