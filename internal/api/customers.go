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
		ContactInfo     map[string]any `json:"contact_info,omitempty" doc:"The customer's contact details: email (an address), phone, address (postal, up to 500 characters) and website (http or https; written without a scheme it gets https://), each text and checked (422 naming contact_info.<key>); an empty one is dropped. Other keys are kept as sent."`
		Segment         string         `json:"segment,omitempty" maxLength:"100" doc:"How you classify the customer: Enterprise, Mid-market, SMB, or any text."`
		SupportMemberID *uuid.UUID     `json:"support_member_id,omitempty" doc:"A csm or admin to guide the customer."`
	}
}

type listCustomersInput struct {
	ListParams
	Q               string `query:"q" maxLength:"200" doc:"Name contains (case-insensitive)."`
	SupportMemberID string `query:"support_member_id" format:"uuid"`
	Archived        string `query:"archived" enum:"false,true,any" default:"false" doc:"false: the active customers; true: the archived ones; any: both."`
}

type updateCustomerInput struct {
	IDParam
	Body struct {
		Name        Nullable[string]         `json:"name,omitempty" minLength:"1" maxLength:"200"`
		ContactInfo Nullable[map[string]any] `json:"contact_info,omitempty" doc:"Replaces the contact details (see create-customer); null empties them."`
		Segment     Nullable[string]         `json:"segment,omitempty" maxLength:"100" doc:"null or \"\" clears it."`
	}
}

type addContactInput struct {
	IDParam
	Body struct {
		Name  string `json:"name" minLength:"1" maxLength:"200"`
		Email string `json:"email" format:"email" maxLength:"254"`
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
			c, err := h.DB.CreateCustomer(ctx, onboardiq.NewCustomer{Name: in.Body.Name, ContactInfo: in.Body.ContactInfo, Segment: in.Body.Segment,
				SupportMemberID: in.Body.SupportMemberID})
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-customers", Method: http.MethodGet, Path: "/customers",
		Summary: "List customers", Description: "Staff see every customer; a customer contact sees their own. Archived customers are left out unless asked for (archived).",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *listCustomersInput) (*customerPage, error) {
			sm, err := optionalUUID("support_member_id", in.SupportMemberID)
			if err != nil {
				return nil, err
			}
			p, err := h.DB.ListCustomers(ctx, postgres.CustomerFilter{ListOptions: in.options(), Q: in.Q, SupportMemberID: sm, Archived: in.Archived})
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
			c, err := h.DB.UpdateCustomer(ctx, in.ID(), onboardiq.CustomerPatch{Name: in.Body.Name.patch(), ContactInfo: in.Body.ContactInfo.patch(),
				Segment: in.Body.Segment.patch()})
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "archive-customer", Method: http.MethodPost, Path: "/customers/{id}/archive",
		Summary: "Archive a customer", Tags: tags, Security: bearer,
		Description: "Admins and CSMs. The customer leaves the default customers list and no new project can start for it; " +
			"its projects, tasks and contacts stay as they are. 409 when it is archived already."},
		func(ctx context.Context, in *IDParam) (*customerOutput, error) {
			c, err := h.DB.ArchiveCustomer(ctx, in.ID())
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "unarchive-customer", Method: http.MethodPost, Path: "/customers/{id}/unarchive",
		Summary: "Unarchive a customer", Tags: tags, Security: bearer,
		Description: "Admins and CSMs. The customer is active again. 409 when it is not archived."},
		func(ctx context.Context, in *IDParam) (*customerOutput, error) {
			c, err := h.DB.UnarchiveCustomer(ctx, in.ID())
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "add-contact", Method: http.MethodPost, Path: "/customers/{id}/contacts",
		Summary: "Add a contact to a customer", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated,
		Description: "Admins and CSMs. Creates a user with role customer and emails them an invitation: a sign-in link to the portal " +
			"that works once, within 7 days. 409 when a user has the email already."},
		func(ctx context.Context, in *addContactInput) (*userOutput, error) {
			u, _, err := h.DB.AddContact(ctx, in.ID(), onboardiq.NewContact{Name: in.Body.Name, Email: in.Body.Email}, h.baseURL())
			return newUserOutput(u), h.problem(ctx, err)
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
