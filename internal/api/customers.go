package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

type customerOutput struct{ Body *onboardiq.Customer }

type customerPage struct {
	Body onboardiq.Page[*onboardiq.Customer]
}

type createCustomerInput struct {
	Body struct {
		Name            string         `json:"name" minLength:"1" maxLength:"200"`
		ContactInfo     map[string]any `json:"contact_info,omitempty" doc:"Free-form details: email, phone, website, address…"`
		SupportMemberID *uuid.UUID     `json:"support_member_id,omitempty" doc:"A csm or admin to guide the customer."`
	}
}

type listCustomersInput struct {
	ListParams
	Q               string `query:"q" maxLength:"200" doc:"Name contains (case-insensitive)."`
	SupportMemberID string `query:"support_member_id" format:"uuid"`
}

type updateCustomerInput struct {
	IDParam
	Body struct {
		Name        Nullable[string]         `json:"name,omitempty" minLength:"1" maxLength:"200"`
		ContactInfo Nullable[map[string]any] `json:"contact_info,omitempty"`
	}
}

type assignInput struct {
	IDParam
	Body struct {
		SupportMemberID *uuid.UUID `json:"support_member_id" required:"true" doc:"The support member (a csm or admin), or null to unassign."`
	}
}

func (h *handlers) registerCustomers(api huma.API) {
	tags := []string{"Customers"}
	huma.Register(api, huma.Operation{OperationID: "create-customer", Method: http.MethodPost, Path: "/customers",
		Summary: "Create a customer", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *createCustomerInput) (*customerOutput, error) {
			c, err := h.DB.CreateCustomer(ctx, onboardiq.NewCustomer{Name: in.Body.Name, ContactInfo: in.Body.ContactInfo, SupportMemberID: in.Body.SupportMemberID})
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-customers", Method: http.MethodGet, Path: "/customers",
		Summary: "List customers", Description: "Staff see every customer; a customer contact sees their own.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *listCustomersInput) (*customerPage, error) {
			sm, err := optionalUUID("support_member_id", in.SupportMemberID)
			if err != nil {
				return nil, err
			}
			p, err := h.DB.ListCustomers(ctx, postgres.CustomerFilter{ListOptions: in.options(), Q: in.Q, SupportMemberID: sm})
			return &customerPage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-customer", Method: http.MethodGet, Path: "/customers/{id}",
		Summary: "Get a customer", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*customerOutput, error) {
			c, err := h.DB.GetCustomer(ctx, in.ID())
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-customer", Method: http.MethodPatch, Path: "/customers/{id}",
		Summary: "Change a customer", Tags: tags, Security: bearer},
		func(ctx context.Context, in *updateCustomerInput) (*customerOutput, error) {
			c, err := h.DB.UpdateCustomer(ctx, in.ID(), onboardiq.CustomerPatch{Name: in.Body.Name.patch(), ContactInfo: in.Body.ContactInfo.patch()})
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-customer", Method: http.MethodDelete, Path: "/customers/{id}",
		Summary: "Delete a customer", Description: "Deletes the customer with its projects, tasks and contacts.", Tags: tags, Security: bearer,
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeleteCustomer(ctx, in.ID()))
		})
	huma.Register(api, huma.Operation{OperationID: "assign-support-member", Method: http.MethodPut, Path: "/customers/{id}/support-member",
		Summary: "Assign the customer's support member", Tags: tags, Security: bearer},
		func(ctx context.Context, in *assignInput) (*customerOutput, error) {
			c, err := h.DB.AssignSupportMember(ctx, in.ID(), in.Body.SupportMemberID)
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "customer-activity", Method: http.MethodGet, Path: "/customers/{id}/activity",
		Summary: "A customer's activity", Description: "Every change to the customer, its projects and tasks, newest first (staff).", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			ListParams
		}) (*eventPage, error) {
			p, err := h.DB.ListActivity(ctx, postgres.ActivityFilter{ListOptions: in.options(), CustomerID: ptr(in.ID())})
			return &eventPage{p}, h.queryProblem(ctx, err)
		})
}

type eventPage struct {
	Body onboardiq.Page[*onboardiq.Event]
}
