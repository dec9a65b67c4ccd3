package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Me is the caller: their tenant, user and role.
type Me struct {
	Tenant struct {
		ID   uuid.UUID `json:"id"`
		Slug string    `json:"slug"`
		Name string    `json:"name"`
	} `json:"tenant"`
	User struct {
		ID    uuid.UUID `json:"id"`
		Email string    `json:"email"`
		Name  string    `json:"name"`
	} `json:"user"`
	Role       onboardiq.Role `json:"role" enum:"admin,csm,sales_leader,viewer,customer"`
	CustomerID *uuid.UUID     `json:"customer_id,omitempty" doc:"For a customer contact: the customer they belong to."`
}

type meOutput struct{ Body Me }

func (h *handlers) registerMe(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "get-me",
		Method:      http.MethodGet,
		Path:        "/me",
		Summary:     "Who am I",
		Description: "Answers the tenant, user and role of the API token.",
		Tags:        []string{"Account"},
		Security:    bearer,
	}, h.me)
	huma.Register(api, huma.Operation{
		OperationID: "list-my-tasks",
		Method:      http.MethodGet,
		Path:        "/me/tasks",
		Summary:     "My open tasks",
		Description: "Staff: the caller's open tasks (not completed or cancelled) across the open projects (not completed or cancelled), " +
			"the overdue ones first (a project on hold has none), then by due date, those without one last; " +
			"each with its project's and customer's names. A customer contact is refused (403): the portal lists theirs.",
		Tags:     []string{"Account"},
		Security: bearer,
	}, func(ctx context.Context, in *ListParams) (*myTasksOutput, error) {
		p, err := h.DB.ListMyTasks(ctx, in.options(), time.Now())
		if err != nil {
			return nil, h.queryProblem(ctx, err)
		}
		return &myTasksOutput{p.Page}, nil
	})
}

type myTasksOutput struct {
	Body onboardiq.Page[*postgres.MyTask]
}

func (h *handlers) me(ctx context.Context, _ *struct{}) (*meOutput, error) {
	p := onboardiq.PrincipalFromContext(ctx)
	if p == nil {
		return nil, h.problem(ctx, onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "not signed in"))
	}
	out := &meOutput{}
	out.Body.Tenant.ID, out.Body.Tenant.Slug, out.Body.Tenant.Name = p.TenantID, p.TenantSlug, p.TenantName
	out.Body.User.ID, out.Body.User.Email, out.Body.User.Name = p.UserID, p.Email, p.Name
	out.Body.Role, out.Body.CustomerID = p.Role, p.CustomerID
	return out, nil
}
