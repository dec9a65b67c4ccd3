package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
)

// holidaysBody is the workspace's whole list of holidays.
type holidaysBody struct {
	Holidays []onboardiq.Holiday `json:"holidays" maxItems:"1000" doc:"Days off besides Saturdays and Sundays, in date order."`
}

type holidaysOutput struct{ Body holidaysBody }

func (h *handlers) registerHolidays(api huma.API) {
	tags := []string{"Holidays"}
	huma.Register(api, huma.Operation{OperationID: "list-holidays", Method: http.MethodGet, Path: "/holidays",
		Summary: "The workspace's holidays",
		Description: "Staff. Working days are Monday to Friday less these days: template offsets and durations count them, " +
			"and so does moving the tasks that wait on a task (shift_dependents).",
		Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*holidaysOutput, error) {
			hs, err := h.DB.ListHolidays(ctx)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &holidaysOutput{holidaysBody{hs}}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "set-holidays", Method: http.MethodPut, Path: "/holidays",
		Summary: "Replace the workspace's holidays",
		Description: "Admins. The list replaces the previous one; a day may be listed once. Dates already planned do not move; " +
			"projects created and tasks moved from now on count the new list.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct{ Body holidaysBody }) (*holidaysOutput, error) {
			hs, err := h.DB.SetHolidays(ctx, in.Body.Holidays)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &holidaysOutput{holidaysBody{hs}}, nil
		})
}
