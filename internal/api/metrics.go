package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

type onboardingMetricsOutput struct{ Body *postgres.OnboardingMetrics }

func (h *handlers) registerMetrics(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "get-onboarding-metrics", Method: http.MethodGet, Path: "/metrics/onboarding",
		Summary: "Onboarding success metrics by template, CSM, segment or customer", Tags: []string{"Metrics"}, Security: bearer,
		Description: "Staff. One row per group (and per week or month with `period`): the projects started in the span (a cohort), " +
			"time to first value and onboarding duration in days (`n`, `median`, `p90`), user activation and on-time completion " +
			"(`count` of `of`, `rate`), CSAT (average) and NPS. Days and periods are counted in the workspace's time zone; " +
			"a metric with nothing to measure is null. docs/customer-success.md defines each. 422 names the parameter."},
		func(ctx context.Context, in *struct {
			GroupBy string `query:"group_by" doc:"template, csm, segment or customer; left out: all projects in one row per period."`
			From    string `query:"from" doc:"The first day (YYYY-MM-DD); left out: the first of the month five months before to."`
			To      string `query:"to" doc:"The last day, included (YYYY-MM-DD); left out: today."`
			Period  string `query:"period" doc:"week (Monday to Sunday) or month; left out: the whole span."`
		}) (*onboardingMetricsOutput, error) {
			m, err := h.DB.OnboardingMetrics(ctx, postgres.MetricsQuery{GroupBy: in.GroupBy, Period: in.Period, From: in.From, To: in.To})
			return &onboardingMetricsOutput{m}, h.queryProblem(ctx, err)
		})
}
