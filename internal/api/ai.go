package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
)

type aiStatusOutput struct {
	Body struct {
		Embedder string `json:"embedder" doc:"The configured embedding model."`
		*onboardiq.AIStatus
	}
}

func (h *handlers) registerAI(api huma.API) {
	tags := []string{"AI"}
	huma.Register(api, huma.Operation{OperationID: "ai-status", Method: http.MethodGet, Path: "/ai/status",
		Summary: "AI status", Description: "Admins: the embedding model, how much is embedded with it, and failing embedding jobs.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*aiStatusOutput, error) {
			st, err := h.DB.GetAIStatus(ctx, h.Embedder.Model())
			out := &aiStatusOutput{}
			out.Body.Embedder, out.Body.AIStatus = h.Embedder.Model(), st
			return out, h.problem(ctx, err)
		})
}

type similarInput struct {
	IDParam
	Limit int `query:"limit" minimum:"1" maximum:"50" default:"5"`
}

func (h *handlers) registerSimilar(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "similar-projects", Method: http.MethodGet, Path: "/projects/{id}/similar",
		Summary:     "Similar completed projects",
		Description: "Staff: the tenant's completed projects most like this one, with how long they took and which tasks ran late.",
		Tags:        []string{"Projects"}, Security: bearer},
		func(ctx context.Context, in *similarInput) (*struct {
			Body onboardiq.Similar[onboardiq.SimilarProject]
		}, error) {
			s, err := h.DB.FindSimilarProjects(ctx, in.ID(), in.Limit)
			return &struct {
				Body onboardiq.Similar[onboardiq.SimilarProject]
			}{s}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "similar-tasks", Method: http.MethodGet, Path: "/tasks/{id}/similar",
		Summary:     "Similar tasks of other projects",
		Description: "Staff: tasks of the tenant's other projects most like this one, with their outcome, time to complete and comments.",
		Tags:        []string{"Tasks"}, Security: bearer},
		func(ctx context.Context, in *similarInput) (*struct {
			Body onboardiq.Similar[onboardiq.SimilarTask]
		}, error) {
			s, err := h.DB.FindSimilarTasks(ctx, in.ID(), in.Limit)
			return &struct {
				Body onboardiq.Similar[onboardiq.SimilarTask]
			}{s}, h.problem(ctx, err)
		})
}
