package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// Operators: /admin, for operator tokens only (see authenticateOperator).

type provisionUser struct {
	Email string `json:"email" maxLength:"254" example:"casey@acme.example"`
	Name  string `json:"name,omitempty" maxLength:"200" example:"Casey Ng"`
	Role  string `json:"role,omitempty" enum:"admin,csm,sales_leader,viewer" doc:"A staff role (default csm)."`
}

type provisionInput struct {
	Body struct {
		OrganizationName string          `json:"organization_name" minLength:"1" maxLength:"200" example:"Acme Corp"`
		AdminEmail       string          `json:"admin_email" maxLength:"254" example:"it@acme.example"`
		SubscriptionTier string          `json:"subscription_tier,omitempty" enum:"starter,professional,business,enterprise" doc:"Sets the tenant's quotas (docs/quotas.md); without one the tenant has no limits until its operator sets some."`
		Slug             string          `json:"slug,omitempty" maxLength:"63" doc:"The workspace's short name; made from the organisation's name when left out." example:"acme"`
		InitialUsers     []provisionUser `json:"initial_users,omitempty" maxItems:"100" doc:"Staff to create and invite with the admin."`
	}
}

type provisioned struct {
	TenantID            uuid.UUID `json:"tenant_id"`
	OrganizationSlug    string    `json:"organization_slug"`
	OnboardingURL       string    `json:"onboarding_url" doc:"Where the tenant's staff sign in."`
	PortalURL           string    `json:"portal_url" doc:"The tenant's customer portal."`
	AdminInvitationSent bool      `json:"admin_invitation_sent" doc:"Whether this request sent the admin their invitation (false on a repeated request, which sends nothing)."`
}

type tenantIDInput struct {
	IDParam
}

type suspendInput struct {
	IDParam
	Body *struct {
		Reason string `json:"reason,omitempty" maxLength:"500" example:"Invoice overdue"`
	} `required:"false"`
}

type deleteTenantInput struct {
	IDParam
	GraceDays int `query:"grace_days" minimum:"0" maximum:"365" default:"30" doc:"Days before the tenant is deleted (default 30)."`
}

type operatorTenantOutput struct{ Body *onboardiq.OperatorTenant }

func (h *handlers) registerOperators(api huma.API) {
	tags := []string{"Operators"}
	huma.Register(api, huma.Operation{OperationID: "provision-tenant", Method: http.MethodPost, Path: "/admin/tenants/provision",
		Summary: "Provision a tenant",
		Description: "Creates a workspace with its admin and initial staff, each invited by email with a set-password link (valid 7 days); " +
			"no password or token is returned. The same request again (the same slug, or without one the same organisation name and admin email within 24 hours) " +
			"answers the tenant the first made, with 200, and sends nothing. A slug already taken is 409.",
		Tags: tags, Security: operatorAuth, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *provisionInput) (*struct {
			Status int
			Body   provisioned
		}, error) {
			req := onboardiq.Provision{OrganizationName: in.Body.OrganizationName, AdminEmail: in.Body.AdminEmail,
				SubscriptionTier: in.Body.SubscriptionTier, Slug: in.Body.Slug}
			for _, u := range in.Body.InitialUsers {
				req.InitialUsers = append(req.InitialUsers, onboardiq.ProvisionUser{Email: u.Email, Name: u.Name, Role: onboardiq.Role(u.Role)})
			}
			res, err := h.DB.ProvisionTenant(ctx, req, h.baseURL())
			if onboardiq.ErrorCode(err) == onboardiq.ECONFLICT && onboardiq.ErrorField(err) != "" {
				return nil, huma.Error409Conflict(onboardiq.ErrorMessage(err), &huma.ErrorDetail{Location: "body." + onboardiq.ErrorField(err), Message: onboardiq.ErrorMessage(err)})
			}
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			status := http.StatusOK
			if res.Created {
				status = http.StatusCreated
			}
			h.logOperator(ctx, "tenant.provision", res.Tenant.ID, "created", res.Created, "slug", res.Tenant.Slug, "initial_users", len(req.InitialUsers))
			return &struct {
				Status int
				Body   provisioned
			}{status, provisioned{TenantID: res.Tenant.ID, OrganizationSlug: res.Tenant.Slug,
				OnboardingURL: h.baseURL() + "/signin?workspace=" + res.Tenant.Slug, PortalURL: h.baseURL() + "/portal/" + res.Tenant.Slug,
				AdminInvitationSent: res.Created}}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "list-tenants", Method: http.MethodGet, Path: "/admin/tenants",
		Summary: "List tenants", Description: "Every tenant, oldest first, with its status and number of staff users.", Tags: tags, Security: operatorAuth},
		func(ctx context.Context, in *ListParams) (*struct {
			Body *onboardiq.Page[*onboardiq.OperatorTenant]
		}, error) {
			page, err := h.DB.ListTenants(ctx, in.options())
			if err != nil {
				return nil, h.queryProblem(ctx, err)
			}
			h.logOperator(ctx, "tenant.list", uuid.Nil, "count", len(page.Items))
			return &struct {
				Body *onboardiq.Page[*onboardiq.OperatorTenant]
			}{page}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "get-tenant", Method: http.MethodGet, Path: "/admin/tenants/{id}",
		Summary: "Get a tenant", Tags: tags, Security: operatorAuth},
		func(ctx context.Context, in *tenantIDInput) (*operatorTenantOutput, error) {
			t, err := h.DB.GetTenant(ctx, in.ID())
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			h.logOperator(ctx, "tenant.get", t.ID)
			return &operatorTenantOutput{t}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "suspend-tenant", Method: http.MethodPost, Path: "/admin/tenants/{id}/suspend",
		Summary: "Suspend a tenant", Description: "Its users cannot sign in; its API tokens and sessions are refused with 403 until it is resumed. Its jobs keep running.",
		Tags: tags, Security: operatorAuth},
		func(ctx context.Context, in *suspendInput) (*operatorTenantOutput, error) {
			var reason string
			if in.Body != nil {
				reason = in.Body.Reason
			}
			t, err := h.DB.SuspendTenant(ctx, in.ID(), reason)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			h.logOperator(ctx, "tenant.suspend", t.ID, "reason", reason)
			return &operatorTenantOutput{t}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "resume-tenant", Method: http.MethodPost, Path: "/admin/tenants/{id}/resume",
		Summary: "Resume a suspended tenant", Tags: tags, Security: operatorAuth},
		func(ctx context.Context, in *tenantIDInput) (*operatorTenantOutput, error) {
			t, err := h.DB.ResumeTenant(ctx, in.ID())
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			h.logOperator(ctx, "tenant.resume", t.ID)
			return &operatorTenantOutput{t}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "delete-tenant", Method: http.MethodDelete, Path: "/admin/tenants/{id}",
		Summary: "Schedule a tenant's deletion",
		Description: "The tenant is deleted, with everything in it, after the grace period (status deleting, delete_after); until then it works as before, " +
			"so that its admins can export their data, and POST /admin/tenants/{id}/restore cancels the deletion. Scheduling it again keeps the first date.",
		Tags: tags, Security: operatorAuth, DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *deleteTenantInput) (*operatorTenantOutput, error) {
			t, err := h.DB.ScheduleTenantDeletion(ctx, in.ID(), time.Duration(in.GraceDays)*24*time.Hour)
			if err != nil {
				return nil, h.queryProblem(ctx, err)
			}
			h.logOperator(ctx, "tenant.delete", t.ID, "delete_after", t.DeleteAfter)
			return &operatorTenantOutput{t}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "restore-tenant", Method: http.MethodPost, Path: "/admin/tenants/{id}/restore",
		Summary: "Cancel a tenant's scheduled deletion", Tags: tags, Security: operatorAuth},
		func(ctx context.Context, in *tenantIDInput) (*operatorTenantOutput, error) {
			t, err := h.DB.RestoreTenant(ctx, in.ID())
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			h.logOperator(ctx, "tenant.restore", t.ID)
			return &operatorTenantOutput{t}, nil
		})
}

// logOperator logs an operator's action at info, with the operator
// token's id.
func (h *handlers) logOperator(ctx context.Context, action string, tenant uuid.UUID, attrs ...any) {
	o := onboardiq.OperatorFromContext(ctx)
	if o == nil {
		return
	}
	args := []any{"action", action, "operator_token_id", o.TokenID, "operator", o.Name}
	if tenant != uuid.Nil {
		args = append(args, "tenant_id", tenant)
	}
	h.Logger.InfoContext(ctx, "operator", append(args, attrs...)...)
}
