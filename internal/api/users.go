package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// userRecord is a user as the API shows it: onboardiq.User under the name
// its schema has always had (UserRecord).
type userRecord onboardiq.User

type userOutput struct{ Body *userRecord }

func newUserOutput(u *onboardiq.User) *userOutput { return &userOutput{(*userRecord)(u)} }

type userPage struct {
	Body onboardiq.Page[*userRecord]
}

func newUserPage(p onboardiq.Page[*onboardiq.User]) *userPage {
	out := &userPage{onboardiq.Page[*userRecord]{Items: make([]*userRecord, len(p.Items)), NextCursor: p.NextCursor}}
	for i, u := range p.Items {
		out.Body.Items[i] = (*userRecord)(u)
	}
	return out
}

type createUserInput struct {
	Body struct {
		Email      string     `json:"email" format:"email" maxLength:"254"`
		Name       string     `json:"name" minLength:"1" maxLength:"200"`
		Role       string     `json:"role" enum:"admin,csm,sales_leader,viewer,customer"`
		CustomerID *uuid.UUID `json:"customer_id,omitempty" doc:"Required for a customer contact: the customer they belong to."`
		Password   string     `json:"password,omitempty" minLength:"10" maxLength:"200" doc:"For signing in to the web app; stored as an argon2id hash."`
	}
}

type updateUserInput struct {
	IDParam
	Body struct {
		Name     Nullable[string] `json:"name,omitempty" minLength:"1" maxLength:"200"`
		Role     Nullable[string] `json:"role,omitempty" enum:"admin,csm,sales_leader,viewer,customer"`
		Disabled Nullable[bool]   `json:"disabled,omitempty" doc:"A disabled user's tokens stop working at once."`
		Password Nullable[string] `json:"password,omitempty" minLength:"10" maxLength:"200"`
	}
}

type updateContactInput struct {
	IDParam
	Body struct {
		Name     Nullable[string] `json:"name,omitempty" minLength:"1" maxLength:"200"`
		Email    Nullable[string] `json:"email,omitempty" format:"email" maxLength:"254" doc:"A new email ends the links sent to the old one."`
		Disabled Nullable[bool]   `json:"disabled,omitempty" doc:"A disabled contact cannot sign in; their sessions, links and tokens end."`
	}
}

type inviteStaffInput struct {
	Body struct {
		Email string `json:"email" format:"email" maxLength:"254"`
		Name  string `json:"name" minLength:"1" maxLength:"200"`
		Role  string `json:"role" enum:"admin,csm,sales_leader,viewer"`
	}
}

type setupOutput struct{ Body *onboardiq.SetupChecklist }

type listUsersInput struct {
	ListParams
	Role       string `query:"role" enum:"admin,csm,sales_leader,viewer,customer"`
	CustomerID string `query:"customer_id" format:"uuid"`
}

func (h *handlers) registerUsers(api huma.API) {
	tags := []string{"Users"}
	huma.Register(api, huma.Operation{OperationID: "create-user", Method: http.MethodPost, Path: "/users",
		Summary: "Create a user", Description: "Admins only. A csm or admin also becomes a support member.", Tags: tags, Security: bearer,
		DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *createUserInput) (*userOutput, error) {
			u, err := h.DB.CreateUser(ctx, onboardiq.NewUser{Email: in.Body.Email, Name: in.Body.Name, Role: onboardiq.Role(in.Body.Role),
				CustomerID: in.Body.CustomerID, Password: in.Body.Password})
			return newUserOutput(u), h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/users",
		Summary: "List users", Description: "Staff only, by email.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *listUsersInput) (*userPage, error) {
			cid, err := optionalUUID("customer_id", in.CustomerID)
			if err != nil {
				return nil, err
			}
			p, err := h.DB.ListUsers(ctx, postgres.UserFilter{ListOptions: in.options(), Role: onboardiq.Role(in.Role), CustomerID: cid})
			return newUserPage(p), h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-user", Method: http.MethodGet, Path: "/users/{id}",
		Summary: "Get a user", Description: "Staff only; a customer contact reads themself at /me.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*userOutput, error) {
			u, err := h.DB.GetUser(ctx, in.ID())
			return newUserOutput(u), h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-user", Method: http.MethodPatch, Path: "/users/{id}",
		Summary: "Change a user", Description: "Admins only: name, role, password, disabled.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *updateUserInput) (*userOutput, error) {
			r := in.Body.Role.patch()
			u, err := h.DB.UpdateUser(ctx, in.ID(), onboardiq.UserPatch{Name: in.Body.Name.patch(),
				Role:     onboardiq.Patch[onboardiq.Role]{Set: r.Set, Null: r.Null, Value: onboardiq.Role(r.Value)},
				Disabled: in.Body.Disabled.patch(), Password: in.Body.Password.patch()})
			return newUserOutput(u), h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-contact", Method: http.MethodPatch, Path: "/contacts/{id}",
		Summary: "Change a customer's contact", Tags: tags, Security: bearer,
		Description: "Admins and CSMs: name, email, disabled. The id is a user with role customer; a staff user is not found here (admins change them at /users/{id})."},
		func(ctx context.Context, in *updateContactInput) (*userOutput, error) {
			u, err := h.DB.UpdateContact(ctx, in.ID(), onboardiq.ContactPatch{Name: in.Body.Name.patch(), Email: in.Body.Email.patch(), Disabled: in.Body.Disabled.patch()})
			return newUserOutput(u), h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "invite-contact", Method: http.MethodPost, Path: "/contacts/{id}/invitation",
		Summary: "Send a contact their invitation again", Tags: tags, Security: bearer,
		Description: "Admins and CSMs. Emails a new sign-in link to the portal (once, within 7 days); the links sent before stop working. " +
			"409 when the contact is disabled."},
		func(ctx context.Context, in *IDParam) (*userOutput, error) {
			u, _, err := h.DB.ResendInvitation(ctx, in.ID(), h.baseURL())
			return newUserOutput(u), h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "invite-staff", Method: http.MethodPost, Path: "/users/invitations",
		Summary: "Invite a member of staff", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated,
		Description: "Admins only. Adds the user without a password (invited: true) and emails them a link to choose one, " +
			"which signs them in; the link works once, within 7 days. A customer's contact is added on the customer instead (422 on role); " +
			"409 when the email is in use."},
		func(ctx context.Context, in *inviteStaffInput) (*userOutput, error) {
			u, _, err := h.DB.InviteStaff(ctx, onboardiq.NewUser{Email: in.Body.Email, Name: in.Body.Name, Role: onboardiq.Role(in.Body.Role)}, h.baseURL())
			return newUserOutput(u), h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "resend-staff-invitation", Method: http.MethodPost, Path: "/users/{id}/invitation",
		Summary: "Send a member of staff their invitation again", Tags: tags, Security: bearer, DefaultStatus: http.StatusAccepted,
		Description: "Admins only, for a member of staff who has not yet chosen a password (invited: true): a new link, " +
			"the links sent before stop working. 409 when they have joined or are disabled; a contact is not found here (see /contacts/{id}/invitation)."},
		func(ctx context.Context, in *IDParam) (*userOutput, error) {
			u, _, err := h.DB.ResendStaffInvitation(ctx, in.ID(), h.baseURL())
			return newUserOutput(u), h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-setup", Method: http.MethodGet, Path: "/setup",
		Summary: "Read the workspace's setup checklist", Tags: []string{"Settings"}, Security: bearer,
		Description: "Admins only. Six steps a new workspace takes (branding, team, template, emails, integration, customer), each done or not, " +
			"with the console page that does it; the dashboard shows it until every step is done or an admin hides it (dismissed_at)."},
		func(ctx context.Context, _ *struct{}) (*setupOutput, error) {
			c, err := h.DB.LoadSetupChecklist(ctx)
			return &setupOutput{c}, h.problem(ctx, err)
		})
}
