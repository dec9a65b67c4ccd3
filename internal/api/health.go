package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq/internal/health"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

type healthOutput struct{ Body *postgres.CustomerHealth }

type healthHistoryOutput struct {
	Body struct {
		Items []postgres.HealthPoint `json:"items"`
	}
}

type healthOverviewOutput struct {
	Body struct {
		Items []postgres.HealthRow `json:"items"`
	}
}

type healthSettingsOutput struct{ Body health.Config }

func (h *handlers) registerHealth(api huma.API) {
	tags := []string{"Health"}
	huma.Register(api, huma.Operation{OperationID: "get-customer-health", Method: http.MethodGet, Path: "/customers/{id}/health",
		Summary: "A customer's health score and why", Tags: tags, Security: bearer,
		Description: "Staff. The score (0–100, null when nothing is known of the customer: not a score of 0), its risk level, " +
			"and each component with its effective weight (the weights of the components present, renormalised to sum to 1) " +
			"and its evidence: each signal, its value and the ids of the events it was measured from (usage events' ids as " +
			"their sender gave them). Recomputed when an event about the customer arrives and every night (docs/customer-success.md)."},
		func(ctx context.Context, in *IDParam) (*healthOutput, error) {
			s, err := h.DB.CustomerHealth(ctx, in.ID())
			return &healthOutput{s}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-customer-health-history", Method: http.MethodGet, Path: "/customers/{id}/health/history",
		Summary: "A customer's daily health scores", Tags: tags, Security: bearer,
		Description: "Staff. The last score of each UTC day from `from` to `to` (inclusive, YYYY-MM-DD; by default the 180 days to today), oldest first."},
		func(ctx context.Context, in *struct {
			IDParam
			From string `query:"from" doc:"The first day (YYYY-MM-DD, UTC)."`
			To   string `query:"to" doc:"The last day (YYYY-MM-DD, UTC)."`
		}) (*healthHistoryOutput, error) {
			items, err := h.DB.HealthHistory(ctx, in.ID(), in.From, in.To)
			out := &healthHistoryOutput{}
			out.Body.Items = items
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-health", Method: http.MethodGet, Path: "/health",
		Summary: "The health overview: every customer's score, level, trend, ARR, renewal, stage and CSM", Tags: tags, Security: bearer,
		Description: "Staff. Customers that are not archived, the worst score first by default; `level=none` keeps those without a score. " +
			"`trend` is the points gained (negative: lost) since the score nearest to 30 days ago."},
		func(ctx context.Context, in *struct {
			Level string `query:"level" doc:"A risk level's key, or none."`
			CSM   string `query:"csm" doc:"A CSM's user id, or me."`
			Stage string `query:"stage" doc:"A journey stage's key."`
			Sort  string `query:"sort" enum:"score,-score,trend,arr,renewal,name" doc:"score (the worst first; the default), -score, trend (the steepest fall first), arr, renewal (the soonest first), name."`
		}) (*healthOverviewOutput, error) {
			items, err := h.DB.HealthOverview(ctx, postgres.HealthFilter{Level: in.Level, CSM: in.CSM, Stage: in.Stage, Sort: in.Sort})
			out := &healthOverviewOutput{}
			out.Body.Items = items
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-health-settings", Method: http.MethodGet, Path: "/settings/health",
		Summary: "The workspace's health weights, levels and drop points", Tags: tags, Security: bearer,
		Description: "Staff. By default usage 35, engagement 25, support sentiment 20, adoption 20 (onboarding and satisfaction 0); " +
			"Healthy 80–100, Moderate 60–79, At risk 40–59, Critical 0–39; a drop of more than 10 points is an event."},
		func(ctx context.Context, _ *struct{}) (*healthSettingsOutput, error) {
			s, err := h.DB.GetHealthSettings(ctx)
			return &healthSettingsOutput{s}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-health-settings", Method: http.MethodPut, Path: "/settings/health",
		Summary: "Replace the workspace's health weights, levels and drop points", Tags: tags, Security: bearer,
		Description: "Admins. Rescores every customer with the new configuration at once. Weights are 0–100 with at least one above 0; " +
			"levels run from the best down with strictly decreasing minimums, the last at 0. 422 names the field."},
		func(ctx context.Context, in *struct{ Body health.Config }) (*healthSettingsOutput, error) {
			s, err := h.DB.SetHealthSettings(ctx, in.Body)
			return &healthSettingsOutput{s}, h.problem(ctx, err)
		})
}
