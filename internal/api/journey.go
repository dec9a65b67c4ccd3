package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

type journeyOutput struct{ Body *postgres.CustomerJourney }

type journeySettingsOutput struct{ Body postgres.JourneySettings }

type setStageInput struct {
	IDParam
	Body struct {
		Stage  string `json:"stage" minLength:"1" maxLength:"40" doc:"A stage's key (GET /settings/journey)."`
		Reason string `json:"reason,omitempty" maxLength:"500" doc:"Why, for the history."`
	}
}

func (h *handlers) registerJourney(api huma.API) {
	tags := []string{"Journey"}
	huma.Register(api, huma.Operation{OperationID: "get-customer-stages", Method: http.MethodGet, Path: "/customers/{id}/stages",
		Summary: "A customer's journey: its stage, time in each stage, every move", Tags: tags, Security: bearer,
		Description: "Staff. `stages` sums the time in each stage over every visit (the current one up to now); " +
			"`transitions` lists the moves, newest first, each by a person (`by`) or a rule (`rule`)."},
		func(ctx context.Context, in *IDParam) (*journeyOutput, error) {
			j, err := h.DB.CustomerStages(ctx, in.ID())
			return &journeyOutput{j}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-customer-stage", Method: http.MethodPut, Path: "/customers/{id}/stage",
		Summary: "Move a customer to a journey stage", Tags: tags, Security: bearer,
		Description: "Admins and CSMs. Records the move (with the reason) and the event `customer.stage_changed`; " +
			"moving a customer to the stage it is in changes nothing. 422 naming `stage` for a stage the workspace does not have."},
		func(ctx context.Context, in *setStageInput) (*journeyOutput, error) {
			j, err := h.DB.SetCustomerStage(ctx, in.ID(), in.Body.Stage, in.Body.Reason)
			return &journeyOutput{j}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-journey-settings", Method: http.MethodGet, Path: "/settings/journey",
		Summary: "The workspace's journey stages and rules", Tags: tags, Security: bearer,
		Description: "Staff. Without settings of its own a workspace has the default stages (Onboarding, Adoption, Value realisation, " +
			"Expansion, Renewal, At risk, Churned) and rules (docs/customer-success.md)."},
		func(ctx context.Context, _ *struct{}) (*journeySettingsOutput, error) {
			s, err := h.DB.GetJourneySettings(ctx)
			return &journeySettingsOutput{s}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-journey-settings", Method: http.MethodPut, Path: "/settings/journey",
		Summary: "Replace the workspace's journey stages and rules", Tags: tags, Security: bearer,
		Description: "Admins. Stages need unique keys and names; a rule names a known trigger (project.started, project.completed, " +
			"health.level, renewal.due) and known stages. 422 names the field."},
		func(ctx context.Context, in *struct{ Body postgres.JourneySettings }) (*journeySettingsOutput, error) {
			s, err := h.DB.SetJourneySettings(ctx, in.Body)
			return &journeySettingsOutput{s}, h.problem(ctx, err)
		})
}
