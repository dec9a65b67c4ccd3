package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

type milestoneOutput struct{ Body *postgres.Milestone }

type milestonesOutput struct {
	Body struct {
		Milestones []postgres.Milestone `json:"milestones"`
	}
}

type milestoneHitsOutput struct {
	Body struct {
		Milestones []postgres.MilestoneHit `json:"milestones"`
	}
}

const milestoneRuleDoc = "A milestone is an event rule (`event`, with `distinct_users` different users within `within_days` days when " +
	"set) or a task completion (`task`, the task's title, matched without regard to case), not both."

func (h *handlers) registerMilestones(api huma.API) {
	tags := []string{"Milestones"}
	huma.Register(api, huma.Operation{OperationID: "list-milestones", Method: http.MethodGet, Path: "/milestones",
		Summary: "List the milestones", Tags: tags, Security: bearer,
		Description: "Staff. The workspace's onboarding milestones in their order. " + milestoneRuleDoc},
		func(ctx context.Context, _ *struct{}) (*milestonesOutput, error) {
			ms, err := h.DB.ListMilestones(ctx)
			out := &milestonesOutput{}
			out.Body.Milestones = ms
			if ms == nil {
				out.Body.Milestones = []postgres.Milestone{}
			}
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "create-milestone", Method: http.MethodPost, Path: "/milestones",
		Summary: "Add a milestone", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated,
		Description: "Admins. " + milestoneRuleDoc + " `first_value` makes it the milestone time to first value is measured to, " +
			"`activation` the one a contact must reach to count as activated; either moves from the milestone that had it. " +
			"422 names the field (`event`, `task`, `distinct_users`, `within_days`, `key` …)."},
		func(ctx context.Context, in *struct{ Body postgres.MilestoneInput }) (*milestoneOutput, error) {
			m, err := h.DB.CreateMilestone(ctx, in.Body)
			return &milestoneOutput{m}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-milestone", Method: http.MethodPatch, Path: "/milestones/{id}",
		Summary: "Change a milestone", Tags: tags, Security: bearer,
		Description: "Admins. Changes the fields sent; customers who reached the milestone stay so."},
		func(ctx context.Context, in *struct {
			IDParam
			Body postgres.MilestonePatch
		}) (*milestoneOutput, error) {
			m, err := h.DB.UpdateMilestone(ctx, in.ID(), in.Body)
			return &milestoneOutput{m}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-milestone", Method: http.MethodDelete, Path: "/milestones/{id}",
		Summary: "Delete a milestone", Tags: tags, Security: bearer, DefaultStatus: http.StatusNoContent,
		Description: "Admins. Removes it and the record of who reached it; the `milestone.reached` events stay in the activity log."},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeleteMilestone(ctx, in.ID()))
		})
	huma.Register(api, huma.Operation{OperationID: "get-customer-milestones", Method: http.MethodGet, Path: "/customers/{id}/milestones",
		Summary: "The milestones a customer reached, with their evidence", Tags: tags, Security: bearer,
		Description: "Staff. Earliest first: when each was reached, in which project (task milestones) and the ids of the usage " +
			"events that reached it, as their sender gave them. A customer's contacts are refused (403)."},
		func(ctx context.Context, in *IDParam) (*milestoneHitsOutput, error) {
			hits, err := h.DB.CustomerMilestones(ctx, in.ID())
			out := &milestoneHitsOutput{}
			out.Body.Milestones = hits
			if hits == nil {
				out.Body.Milestones = []postgres.MilestoneHit{}
			}
			return out, h.problem(ctx, err)
		})
}
