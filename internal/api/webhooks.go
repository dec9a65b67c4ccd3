package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// WebhookBody is a webhook endpoint as registered or replaced.
type WebhookBody struct {
	URL         string   `json:"url" maxLength:"2000" doc:"https://…; http only with allow_http (or ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE)."`
	Events      []string `json:"events,omitempty" maxItems:"20" doc:"project.overdue, project.at_risk, project.completed, project.status_changed, task.completed, task.blocked; empty: all."`
	Format      string   `json:"format,omitempty" enum:"standard,slack" default:"standard"`
	Description string   `json:"description,omitempty" maxLength:"500"`
	AllowHTTP   bool     `json:"allow_http,omitempty" doc:"Allow a plain http:// URL for this endpoint."`
}

func (b WebhookBody) input() onboardiq.WebhookInput {
	return onboardiq.WebhookInput{URL: b.URL, Events: b.Events, Format: b.Format, Description: b.Description, AllowHTTP: b.AllowHTTP}
}

type webhookWithSecret struct {
	*onboardiq.WebhookEndpoint
	Secret string `json:"secret" doc:"The signing secret (whsec_…): shown only now."`
}

func (h *handlers) registerWebhooks(api huma.API) {
	tags := []string{"Webhooks"}
	type one struct{ Body *onboardiq.WebhookEndpoint }
	huma.Register(api, huma.Operation{OperationID: "create-webhook", Method: http.MethodPost, Path: "/webhooks",
		Summary: "Register a webhook endpoint",
		Description: "Admins. Deliveries are signed with Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature); " +
			"the secret is in this response only. Private, loopback and metadata addresses are refused.",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct{ Body WebhookBody }) (*struct{ Body webhookWithSecret }, error) {
			w, secret, err := h.DB.CreateWebhook(ctx, in.Body.input())
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &struct{ Body webhookWithSecret }{webhookWithSecret{w, secret}}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "list-webhooks", Method: http.MethodGet, Path: "/webhooks",
		Summary: "List webhook endpoints", Description: "Admins.", Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []*onboardiq.WebhookEndpoint `json:"items"`
			}
		}, error) {
			ws, err := h.DB.ListWebhooks(ctx)
			out := &struct {
				Body struct {
					Items []*onboardiq.WebhookEndpoint `json:"items"`
				}
			}{}
			out.Body.Items = ws
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-webhook", Method: http.MethodGet, Path: "/webhooks/{id}",
		Summary: "Get a webhook endpoint", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*one, error) {
			w, err := h.DB.GetWebhook(ctx, in.ID())
			return &one{w}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "replace-webhook", Method: http.MethodPut, Path: "/webhooks/{id}",
		Summary: "Change a webhook endpoint", Description: "Admins. disabled: true stops deliveries; false re-enables (after a 410, say).", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			Body struct {
				WebhookBody
				Disabled bool `json:"disabled,omitempty"`
			}
		}) (*one, error) {
			w, err := h.DB.UpdateWebhook(ctx, in.ID(), in.Body.input(), in.Body.Disabled)
			return &one{w}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-webhook", Method: http.MethodDelete, Path: "/webhooks/{id}",
		Summary: "Delete a webhook endpoint", Tags: tags, Security: bearer, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeleteWebhook(ctx, in.ID()))
		})
	huma.Register(api, huma.Operation{OperationID: "rotate-webhook-secret", Method: http.MethodPost, Path: "/webhooks/{id}/rotate-secret",
		Summary: "Rotate a webhook's signing secret", Description: "Admins. The new secret is in this response only.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*struct {
			Body struct {
				Secret string `json:"secret"`
			}
		}, error) {
			s, err := h.DB.RotateWebhookSecret(ctx, in.ID())
			out := &struct {
				Body struct {
					Secret string `json:"secret"`
				}
			}{}
			out.Body.Secret = s
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "test-webhook", Method: http.MethodPost, Path: "/webhooks/{id}/test",
		Summary: "Send a test event", Description: "Admins. Sends webhook.test to this endpoint; follow it in the delivery log.", Tags: tags, Security: bearer,
		DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *IDParam) (*struct {
			Body struct {
				DeliveryID uuid.UUID `json:"delivery_id"`
			}
		}, error) {
			id, err := h.DB.TestWebhook(ctx, in.ID())
			out := &struct {
				Body struct {
					DeliveryID uuid.UUID `json:"delivery_id"`
				}
			}{}
			out.Body.DeliveryID = id
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "webhook-deliveries", Method: http.MethodGet, Path: "/webhooks/{id}/deliveries",
		Summary: "A webhook's delivery log", Description: "Admins: every delivery with its attempts, newest first.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			ListParams
		}) (*deliveryPage, error) {
			p, err := h.DB.ListDeliveries(ctx, postgres.DeliveryFilter{ListOptions: in.options(), EndpointID: ptr(in.ID())})
			return &deliveryPage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-deliveries", Method: http.MethodGet, Path: "/deliveries",
		Summary: "The delivery log", Description: "Admins: every email and webhook delivery with its attempts, newest first.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *ListParams) (*deliveryPage, error) {
			p, err := h.DB.ListDeliveries(ctx, postgres.DeliveryFilter{ListOptions: in.options()})
			return &deliveryPage{p}, h.queryProblem(ctx, err)
		})
}
