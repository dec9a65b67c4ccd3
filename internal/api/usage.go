package api

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/inbound"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// usageEventBody is one usage event as posted. Its fields are not
// constrained in the schema on purpose: each event is checked on its own
// and a bad one is named in the answer's rejected, while the others of the
// batch are stored (docs/usage.md).
type usageEventBody struct {
	ID                 string          `json:"id" required:"false" doc:"The sender's id of the event (at most 200 characters), unique per workspace: an id already received counts as a duplicate."`
	CustomerID         string          `json:"customer_id,omitempty" doc:"The customer's id (a UUID); or customer_external_id."`
	CustomerExternalID string          `json:"customer_external_id,omitempty" doc:"The vendor's own id of the customer, instead of customer_id."`
	UserEmail          string          `json:"user_email,omitempty" doc:"Who did it, if known: counts them among the customer's active users."`
	Name               string          `json:"name" required:"false" doc:"What happened (at most 100 characters): lower-case letters, digits, '_', '.', '-', as report_exported."`
	Properties         json.RawMessage `json:"properties,omitempty" doc:"Optional facts about the event: a JSON object of at most 4 KB."`
	OccurredAt         string          `json:"occurred_at" required:"false" doc:"When it happened (RFC 3339): at most a day ahead, and within the workspace's retention."`
}

type usageEventsInput struct {
	Body usageBatchBody
}

type usageBatchBody struct {
	Events []usageEventBody `json:"events" maxItems:"1000" doc:"At most 1,000 events."`
}

// inboundUsageInput is the signed variant's request: the raw body (the
// signature covers its bytes), the Standard Webhooks headers, and the
// workspace it is for.
type inboundUsageInput struct {
	Tenant           string `query:"tenant" required:"true" doc:"The workspace's slug."`
	WebhookID        string `header:"webhook-id" doc:"A unique id of the message (Standard Webhooks)."`
	WebhookTimestamp string `header:"webhook-timestamp" doc:"Unix seconds; refused when more than 5 minutes from the server's clock."`
	WebhookSignature string `header:"webhook-signature" doc:"v1,<base64 HMAC-SHA-256 of id.timestamp.body> with ONBOARDIQ_INBOUND_WEBHOOK_SECRET; several may be listed, space-separated."`
	RawBody          []byte
}

// usageInputs turns the posted events into the store's.
func usageInputs(body []usageEventBody) []onboardiq.UsageEventInput {
	events := make([]onboardiq.UsageEventInput, len(body))
	for i, e := range body {
		events[i] = onboardiq.UsageEventInput{ID: e.ID, CustomerID: e.CustomerID, CustomerExternalID: e.CustomerExternalID,
			UserEmail: e.UserEmail, Name: e.Name, OccurredAt: e.OccurredAt, Properties: e.Properties}
	}
	return events
}

type usageResultOutput struct{ Body *onboardiq.UsageResult }

type usageSummaryOutput struct{ Body *onboardiq.UsageSummary }

type usageSettingsOutput struct{ Body *postgres.UsageSettings }

func (h *handlers) registerUsage(api huma.API) {
	tags := []string{"Usage"}
	huma.Register(api, huma.Operation{OperationID: "ingest-usage-events", Method: http.MethodPost, Path: "/usage-events",
		Summary: "Send usage events",
		Description: "Admins (API tokens carry their user's role). Up to 1,000 events per call (more: 422 naming `events`). " +
			"Each event is counted once per `id`, however often and however concurrently it is sent. Each event is checked on its own: " +
			"the answer (200) says how many were stored (`accepted`), how many were already received (`duplicates`) and names each refused " +
			"event's field (`rejected[].field`, as `events[3].name`); the valid events of a batch are stored even when others are refused.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *usageEventsInput) (*usageResultOutput, error) {
			res, err := h.DB.IngestUsage(ctx, usageInputs(in.Body.Events))
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &usageResultOutput{res}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "customer-usage", Method: http.MethodGet, Path: "/customers/{id}/usage",
		Summary: "A customer's usage",
		Description: "Staff. Per UTC day from `from` to `to` (inclusive, YYYY-MM-DD; by default the 30 days to today): events and " +
			"daily active users; over the span: active days, events, distinct users, and the core features used of those defined.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			From string `query:"from" doc:"The first day (YYYY-MM-DD, UTC)."`
			To   string `query:"to" doc:"The last day (YYYY-MM-DD, UTC)."`
		}) (*usageSummaryOutput, error) {
			s, err := h.DB.UsageSummary(ctx, in.ID(), in.From, in.To)
			if err != nil {
				return nil, h.queryProblem(ctx, err)
			}
			return &usageSummaryOutput{s}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "get-core-features", Method: http.MethodGet, Path: "/usage/core-features",
		Summary:     "The core features and the usage retention",
		Description: "Staff. The event names the workspace marks as its product's core features (feature adoption), and how many days of usage it keeps.",
		Tags:        tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*usageSettingsOutput, error) {
			s, err := h.DB.GetUsageSettings(ctx)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &usageSettingsOutput{s}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "set-core-features", Method: http.MethodPut, Path: "/usage/core-features",
		Summary: "Replace the core features (and set the usage retention)",
		Description: "Admins. The list replaces the previous one (names as event names, each once, at most 100). " +
			"`retention_days` (7–3650; omitted or 0 keeps the current one) is how long usage events and their roll-ups are kept: " +
			"the periodic delay scan deletes older ones.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			Body struct {
				CoreFeatures  []string `json:"core_features" maxItems:"100" doc:"Event names."`
				RetentionDays int      `json:"retention_days,omitempty" doc:"Days of usage kept (7–3650); 0 or omitted keeps the current."`
			}
		}) (*usageSettingsOutput, error) {
			s, err := h.DB.SetUsageSettings(ctx, postgres.UsageSettings{CoreFeatures: in.Body.CoreFeatures, RetentionDays: in.Body.RetentionDays})
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &usageSettingsOutput{s}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "inbound-usage", Method: http.MethodPost, Path: "/inbound/usage",
		Summary: "Receive usage events through a signed webhook",
		Description: "The batch endpoint for a pipeline of the operator's (an event stream's webhook, a warehouse export). " +
			"No bearer token: the request is signed the Standard Webhooks way with ONBOARDIQ_INBOUND_WEBHOOK_SECRET " +
			"(401 otherwise, and nothing changes) and names its workspace by `tenant` (its slug); it acts as the workspace's operator. " +
			"The body and the answer are those of POST /usage-events. 404 when the secret is not configured, or no workspace has the slug.",
		Tags: tags, MaxBodyBytes: 1 << 20, DefaultStatus: http.StatusOK,
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
			"application/json": {Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[usageBatchBody](), true, "UsageBatch")},
		}}},
		func(ctx context.Context, in *inboundUsageInput) (*usageResultOutput, error) {
			if h.InboundWebhookSecret == "" {
				return nil, huma.Error404NotFound("usage through a signed webhook is off: set ONBOARDIQ_INBOUND_WEBHOOK_SECRET")
			}
			if !inbound.VerifySignature(inbound.WebhookKey(h.InboundWebhookSecret), in.WebhookID, in.WebhookTimestamp, in.WebhookSignature, in.RawBody, time.Now()) {
				return nil, huma.Error401Unauthorized("the webhook signature is missing, wrong or too old")
			}
			var body usageBatchBody
			if err := json.Unmarshal(in.RawBody, &body); err != nil {
				return nil, huma.Error422UnprocessableEntity("the body is not JSON of the documented form", &huma.ErrorDetail{Location: "body", Message: err.Error()})
			}
			if len(body.Events) > onboardiq.MaxUsageBatch {
				return nil, h.problem(ctx, onboardiq.Invalid("events", "at most %d events per call; send the rest in another", onboardiq.MaxUsageBatch))
			}
			tenant, err := h.DB.TenantIDBySlug(ctx, in.Tenant)
			if err != nil {
				return nil, h.queryProblem(ctx, err)
			}
			ctx = onboardiq.NewContextWithPrincipal(ctx, onboardiq.SystemPrincipal(tenant))
			res, err := h.DB.IngestUsage(ctx, usageInputs(body.Events))
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &usageResultOutput{res}, nil
		})
	// RawBody adds a binary body to the document: the body is JSON only.
	if pi := api.OpenAPI().Paths["/inbound/usage"]; pi != nil && pi.Post != nil && pi.Post.RequestBody != nil {
		delete(pi.Post.RequestBody.Content, "application/octet-stream")
	}
}
