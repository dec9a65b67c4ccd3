package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

type aiStatusOutput struct {
	Body struct {
		Embedder string `json:"embedder" doc:"The configured embedding model."`
		*postgres.AIStatus
	}
}

func (h *handlers) registerAI(api huma.API) {
	tags := []string{"AI"}
	huma.Register(api, huma.Operation{OperationID: "ai-status", Method: http.MethodGet, Path: "/ai/status",
		Summary: "AI status", Description: "Admins: the embedding model, how much is embedded with it, and failing embedding jobs.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*aiStatusOutput, error) {
			st, err := h.DB.AIStatusAs(ctx, h.Embedder.Model())
			out := &aiStatusOutput{}
			out.Body.Embedder, out.Body.AIStatus = h.Embedder.Model(), st
			return out, h.problem(ctx, err)
		})
}
