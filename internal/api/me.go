package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
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
