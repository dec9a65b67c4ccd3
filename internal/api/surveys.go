package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

type surveyResponsePage struct {
	Body onboardiq.Page[*postgres.SurveyResponse]
}

type listSurveyResponsesInput struct {
	ListParams
	Kind       string `query:"kind" enum:"csat,nps" doc:"Only CSAT or only NPS answers; both when left out."`
	CustomerID string `query:"customer_id" format:"uuid" doc:"Only this customer's."`
	From       string `query:"from" doc:"Answered at or after: RFC 3339, or a day (YYYY-MM-DD, from its start in UTC)."`
	To         string `query:"to" doc:"Answered before: RFC 3339, or a day (YYYY-MM-DD, up to its end in UTC)."`
}

type surveySettingsOutput struct{ Body *postgres.SurveySettings }

// surveyTime parses from or to: RFC 3339, or a day in UTC (a day as to
// includes the whole day).
func surveyTime(field, s string, end bool) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return &t, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, onboardiq.Invalid(field, "must be a time (RFC 3339) or a day (YYYY-MM-DD)")
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return &d, nil
}

func (h *handlers) registerSurveys(api huma.API) {
	tags := []string{"Surveys"}
	huma.Register(api, huma.Operation{OperationID: "list-survey-responses", Method: http.MethodGet, Path: "/surveys/responses",
		Summary: "List survey answers",
		Description: "Staff. CSAT (1–5) and NPS (0–10) answers of the customers' contacts, newest first, with the comment when one was " +
			"given; `detractor` marks NPS 0–6 and CSAT 1–2. See docs/surveys.md.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *listSurveyResponsesInput) (*surveyResponsePage, error) {
			customer, err := optionalUUID("customer_id", in.CustomerID)
			if err != nil {
				return nil, err
			}
			from, err := surveyTime("from", in.From, false)
			if err != nil {
				return nil, h.queryProblem(ctx, err)
			}
			to, err := surveyTime("to", in.To, true)
			if err != nil {
				return nil, h.queryProblem(ctx, err)
			}
			p, err := h.DB.ListSurveyResponses(ctx, postgres.SurveyFilter{ListOptions: in.options(), Kind: in.Kind, CustomerID: customer, From: from, To: to})
			return &surveyResponsePage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-survey-settings", Method: http.MethodGet, Path: "/settings/surveys",
		Summary: "The survey settings", Description: "Staff. When contacts are asked for a CSAT, and how often for an NPS.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*surveySettingsOutput, error) {
			s, err := h.DB.GetSurveySettings(ctx)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &surveySettingsOutput{s}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "set-survey-settings", Method: http.MethodPut, Path: "/settings/surveys",
		Summary:     "Replace the survey settings",
		Description: "Admins. `nps_interval_days` is 0 (no NPS) or 30–365; anything else is refused (422 naming it).",
		Tags:        tags, Security: bearer},
		func(ctx context.Context, in *struct{ Body postgres.SurveySettings }) (*surveySettingsOutput, error) {
			s, err := h.DB.SetSurveySettings(ctx, in.Body)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &surveySettingsOutput{s}, nil
		})
}
