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
		ParentID        *uuid.UUID     `json:"parent_id,omitempty" doc:"The parent customer: one of the workspace's, not a descendant of this one, at most 5 levels deep (422 naming parent_id)."`
		ARR             *float64       `json:"arr,omitempty" minimum:"0" maximum:"999999999999.99" doc:"Annual recurring revenue in the workspace's currency, rounded to cents."`
		RenewalDate     *string        `json:"renewal_date,omitempty" format:"date" doc:"When the contract renews, YYYY-MM-DD."`
		LifecycleStatus string         `json:"lifecycle_status,omitempty" enum:"prospect,onboarding,active,churned" doc:"Default: onboarding."`
		ExternalID      *string        `json:"external_id,omitempty" maxLength:"100" doc:"Your own id for the customer, unique in the workspace (409 naming external_id); usage events may name the customer by it."`
		CustomFields    map[string]any `json:"custom_fields,omitempty" doc:"Values of the workspace's customer custom fields by key (list-custom-fields), each checked against its type (422 naming custom_fields.<key>)."`
	}
}

type listCustomersInput struct {
	customFieldQuery
	ListParams
	Q               string `query:"q" maxLength:"200" doc:"Name contains (case-insensitive)."`
	SupportMemberID string `query:"support_member_id" format:"uuid"`
	Archived        string `query:"archived" enum:"false,true,any" default:"false" doc:"false: the active customers; true: the archived ones; any: both."`
	ParentID        string `query:"parent_id" format:"uuid" doc:"Only the children of this customer."`
	LifecycleStatus string `query:"lifecycle_status" enum:"prospect,onboarding,active,churned"`
	RenewalBefore   string `query:"renewal_before" format:"date" doc:"Only customers renewing on or before this date (YYYY-MM-DD)."`
	RenewalAfter    string `query:"renewal_after" format:"date" doc:"Only customers renewing on or after this date (YYYY-MM-DD)."`
	ExternalID      string `query:"external_id" maxLength:"100" doc:"The customer with this external id."`
}

type updateCustomerInput struct {
	IDParam
	Body struct {
		Name            Nullable[string]         `json:"name,omitempty" minLength:"1" maxLength:"200"`
		ContactInfo     Nullable[map[string]any] `json:"contact_info,omitempty" doc:"Replaces the contact details (see create-customer); null empties them."`
		Segment         Nullable[string]         `json:"segment,omitempty" maxLength:"100" doc:"null or \"\" clears it."`
		ParentID        Nullable[uuid.UUID]      `json:"parent_id,omitempty" doc:"null makes the customer top-level."`
		ARR             Nullable[float64]        `json:"arr,omitempty" minimum:"0" maximum:"999999999999.99" doc:"null clears it."`
		RenewalDate     Nullable[string]         `json:"renewal_date,omitempty" format:"date" doc:"null clears it."`
		LifecycleStatus Nullable[string]         `json:"lifecycle_status,omitempty" enum:"prospect,onboarding,active,churned"`
		ExternalID      Nullable[string]         `json:"external_id,omitempty" maxLength:"100" doc:"null clears it."`
		CustomFields    Nullable[map[string]any] `json:"custom_fields,omitempty" doc:"Merged into the values: a key sent replaces its value, a key sent as null removes it; null removes them all."`
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
			b := in.Body
			c, err := h.DB.CreateCustomer(ctx, onboardiq.NewCustomer{Name: b.Name, ContactInfo: b.ContactInfo, Segment: b.Segment,
				SupportMemberID: b.SupportMemberID, ParentID: b.ParentID, ARR: b.ARR, RenewalDate: b.RenewalDate,
				LifecycleStatus: onboardiq.LifecycleStatus(b.LifecycleStatus), ExternalID: b.ExternalID, CustomFields: b.CustomFields})
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-customers", Method: http.MethodGet, Path: "/customers",
		Summary: "List customers", Description: "Staff see every customer; a customer contact sees their own. Archived customers are left out unless asked for (archived). " +
			"The filters combine." + customFieldFilterDoc,
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *listCustomersInput) (*customerPage, error) {
			sm, err := optionalUUID("support_member_id", in.SupportMemberID)
			if err != nil {
				return nil, err
			}
			parent, err := optionalUUID("parent_id", in.ParentID)
			if err != nil {
				return nil, err
			}
			p, err := h.DB.ListCustomers(ctx, postgres.CustomerFilter{ListOptions: in.options(), Q: in.Q, SupportMemberID: sm, Archived: in.Archived,
				ParentID: parent, LifecycleStatus: in.LifecycleStatus, RenewalBefore: in.RenewalBefore, RenewalAfter: in.RenewalAfter,
				ExternalID: in.ExternalID, CustomFields: in.cf})
			return &customerPage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-customer", Method: http.MethodGet, Path: "/customers/{id}",
		Summary: "Get a customer", Description: "For staff, with its children (children) and the roll-up of it and all its descendants (rollup).",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*customerOutput, error) {
			c, err := h.DB.GetCustomer(ctx, in.ID())
			return &customerOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-customer", Method: http.MethodPatch, Path: "/customers/{id}",
		Summary: "Change a customer", Tags: tags, Security: bearer},
		func(ctx context.Context, in *updateCustomerInput) (*customerOutput, error) {
			b := in.Body
			status := onboardiq.Patch[onboardiq.LifecycleStatus]{Set: b.LifecycleStatus.Sent, Null: b.LifecycleStatus.Null, Value: onboardiq.LifecycleStatus(b.LifecycleStatus.Value)}
			c, err := h.DB.UpdateCustomer(ctx, in.ID(), onboardiq.CustomerPatch{Name: b.Name.patch(), ContactInfo: b.ContactInfo.patch(),
				Segment: b.Segment.patch(), ParentID: b.ParentID.patch(), ARR: b.ARR.patch(), RenewalDate: b.RenewalDate.patch(),
				LifecycleStatus: status, ExternalID: b.ExternalID.patch(), CustomFields: b.CustomFields.patch()})
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
		Summary: "Delete a customer", Description: "Deletes the customer with its projects, tasks and contacts. 409, naming them, while it has child customers.", Tags: tags, Security: bearer,
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
