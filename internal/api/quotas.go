package api

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Quotas: a workspace's own (GET /quotas, admins) and an operator's
// setting of a tenant's tier and overrides (docs/quotas.md).

// quotaProblemType is the problem type of a refusal for a quota.
const quotaProblemType = "/docs/quotas#quota-exceeded"

// QuotaProblem is the problem document of a request refused for a quota:
// RFC 9457 with the quota, its limit and the usage as extension members.
type QuotaProblem struct {
	huma.ErrorModel
	Quota onboardiq.Quota `json:"quota" enum:"users,api_calls,storage,integrations,ai_tokens"`
	Limit int64           `json:"limit"`
	Usage int64           `json:"usage"`
}

// newQuotaProblem is qe as the API answers it: 403 for a hard quota, 429
// for a monthly one.
func newQuotaProblem(qe *onboardiq.QuotaError) *QuotaProblem {
	status := http.StatusForbidden
	if qe.Quota.Monthly() {
		status = http.StatusTooManyRequests
	}
	return &QuotaProblem{ErrorModel: huma.ErrorModel{Type: quotaProblemType, Title: "Quota exceeded", Status: status,
		Detail: onboardiq.ErrorMessage(qe)}, Quota: qe.Quota, Limit: qe.Limit, Usage: qe.Usage}
}

// retryAfter is the Retry-After of err's limit ("" for none): the next
// month (UTC) for a monthly quota.
func retryAfter(err error) string {
	if d := onboardiq.RetryAfter(err); d > 0 {
		return strconv.Itoa(int(math.Ceil(d.Seconds())))
	}
	return ""
}

// quotaProblem is the error an operation returns for qe.
func quotaProblem(qe *onboardiq.QuotaError) error {
	if ra := retryAfter(qe); ra != "" {
		return huma.ErrorWithHeaders(newQuotaProblem(qe), http.Header{"Retry-After": {ra}})
	}
	return newQuotaProblem(qe)
}

// writeQuotaProblem answers qe from a middleware.
func writeQuotaProblem(ctx huma.Context, qe *onboardiq.QuotaError) {
	p := newQuotaProblem(qe)
	if ra := retryAfter(qe); ra != "" {
		ctx.SetHeader("Retry-After", ra)
	}
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(p.Status)
	_ = json.NewEncoder(ctx.BodyWriter()).Encode(p)
}

type quotasOutput struct {
	Body *onboardiq.TenantQuotas
}

type setQuotasInput struct {
	IDParam
	Body struct {
		SubscriptionTier string                   `json:"subscription_tier" enum:"starter,professional,business,enterprise," doc:"The tier; empty for none (no limits but the overrides: a self-hosted install)."`
		Overrides        onboardiq.QuotaOverrides `json:"overrides,omitempty" doc:"Limits replacing the tier's, by quota (users, api_calls, storage in bytes, integrations, ai_tokens): a number, or null for no limit; a quota left out keeps the tier's. Replaces the tenant's overrides."`
	}
}

func (h *handlers) registerQuotas(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "get-quotas", Method: http.MethodGet, Path: "/quotas",
		Summary: "The workspace's quotas",
		Description: "Admins: the workspace's subscription tier and, for each quota, its limit (null: none), where it comes from (tier, override, none) " +
			"and the usage: staff users, API calls this month, storage (knowledge-base articles and the portal logo, in bytes), integrations " +
			"(webhook endpoints) and AI tokens this month. The workspace's operator sets the limits.",
		Tags: []string{"Quotas"}, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*quotasOutput, error) {
			q, err := h.DB.GetQuotas(ctx)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &quotasOutput{q}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "set-tenant-quotas", Method: http.MethodPut, Path: "/admin/tenants/{id}/quotas",
		Summary: "Set a tenant's tier and quotas",
		Description: "Replaces the tenant's subscription tier and quota overrides; answers the tenant with its limits and usage. " +
			"Lowering a limit below the usage removes nothing: further additions are refused.",
		Tags: []string{"Operators"}, Security: operatorAuth},
		func(ctx context.Context, in *setQuotasInput) (*operatorTenantOutput, error) {
			var tier *string
			if in.Body.SubscriptionTier != "" {
				tier = &in.Body.SubscriptionTier
			}
			t, err := h.DB.SetTenantQuotas(ctx, in.ID(), postgres.QuotaChange{Tier: tier, Overrides: in.Body.Overrides})
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			h.logOperator(ctx, "tenant.quotas", t.ID, "subscription_tier", in.Body.SubscriptionTier, "overrides", in.Body.Overrides)
			return &operatorTenantOutput{t}, nil
		})
}
