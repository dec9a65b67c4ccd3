package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/inbound"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// inboundEmail is the one JSON format of a mail provider's inbound webhook.
type inboundEmail struct {
	From string `json:"from" maxLength:"1000" doc:"The sender, as the From header gave it: ann@example.com or Ann <ann@example.com>."`
	To   string `json:"to" maxLength:"10000" doc:"The recipients, as the To header gave them; those at ONBOARDIQ_INBOUND_DOMAIN of the form reply+<token>@ are applied."`
	Text string `json:"text" maxLength:"1000000" doc:"The plain-text body, quotes and all: OnboardIQ strips the quoted message and the signature."`
	HTML string `json:"html,omitempty" maxLength:"1000000" doc:"The HTML body, used when text is empty."`
}

type inboundEmailInput struct {
	WebhookID        string `header:"webhook-id" doc:"A unique id of the message (Standard Webhooks)."`
	WebhookTimestamp string `header:"webhook-timestamp" doc:"Unix seconds; refused when more than 5 minutes from the server's clock."`
	WebhookSignature string `header:"webhook-signature" doc:"v1,<base64 HMAC-SHA-256 of id.timestamp.body> with ONBOARDIQ_INBOUND_WEBHOOK_SECRET; several may be listed, space-separated."`
	RawBody          []byte
}

type inboundResult struct {
	Body struct {
		Outcomes []string `json:"outcomes" doc:"What came of the reply, per reply address: commented, completed, blocked, wrong_sender, expired, not_allowed, empty or bad_token."`
	}
}

type inboundPage struct {
	Body onboardiq.Page[*postgres.InboundMessage]
}

func (h *handlers) registerInbound(api huma.API) {
	tags := []string{"Replies by email"}
	huma.Register(api, huma.Operation{OperationID: "inbound-email", Method: http.MethodPost, Path: "/inbound/email",
		Summary: "Receive a reply by email from a mail provider",
		Description: "For a mail provider's inbound webhook. No bearer token: the request must be signed the Standard Webhooks way " +
			"with ONBOARDIQ_INBOUND_WEBHOOK_SECRET (401 otherwise, and nothing changes). The body is " +
			"`{\"from\", \"to\", \"text\", \"html\"}`; each reply+<token>@ONBOARDIQ_INBOUND_DOMAIN recipient is applied as a reply to its task. " +
			"404 when the webhook is not configured.",
		Tags: tags, MaxBodyBytes: 2*inbound.MaxMessageBytes + 64<<10, DefaultStatus: http.StatusOK,
		// The body is read raw (the signature covers its bytes) and
		// documented as the JSON it must be.
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
			"application/json": {Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[inboundEmail](), true, "InboundEmail")},
		}}},
		func(ctx context.Context, in *inboundEmailInput) (*inboundResult, error) {
			if h.InboundWebhookSecret == "" || h.InboundDomain == "" {
				return nil, huma.Error404NotFound("replies by email through a webhook are off: set ONBOARDIQ_INBOUND_WEBHOOK_SECRET and ONBOARDIQ_INBOUND_DOMAIN")
			}
			if !inbound.VerifySignature(inbound.WebhookKey(h.InboundWebhookSecret), in.WebhookID, in.WebhookTimestamp, in.WebhookSignature, in.RawBody, time.Now()) {
				return nil, huma.Error401Unauthorized("the webhook signature is missing, wrong or too old")
			}
			var msg inboundEmail
			if err := json.Unmarshal(in.RawBody, &msg); err != nil {
				return nil, huma.Error422UnprocessableEntity("the body is not JSON of the documented form", &huma.ErrorDetail{Location: "body", Message: err.Error()})
			}
			text := msg.Text
			if strings.TrimSpace(text) == "" {
				text = inbound.HTMLText(msg.HTML)
			}
			tos, err := mail.ParseAddressList(msg.To)
			if err != nil {
				return nil, huma.Error422UnprocessableEntity("to is not a list of addresses", &huma.ErrorDetail{Location: "body.to", Message: err.Error()})
			}
			out := &inboundResult{}
			out.Body.Outcomes = []string{}
			for _, to := range tos {
				tok, ok := inbound.TokenOf(to.Address, h.InboundDomain)
				if !ok {
					continue
				}
				outcome, err := h.DB.ApplyReply(ctx, inbound.Message{Transport: "webhook", Token: tok, From: msg.From, Text: text})
				if err != nil {
					return nil, h.problem(ctx, err)
				}
				h.Logger.InfoContext(ctx, "inbound reply", "transport", "webhook", "from", msg.From, "outcome", outcome)
				out.Body.Outcomes = append(out.Body.Outcomes, outcome)
			}
			return out, nil
		})
	// RawBody adds a binary body to the document: the body is JSON only.
	if pi := api.OpenAPI().Paths["/inbound/email"]; pi != nil && pi.Post != nil && pi.Post.RequestBody != nil {
		delete(pi.Post.RequestBody.Content, "application/octet-stream")
	}
	huma.Register(api, huma.Operation{OperationID: "list-inbound-messages", Method: http.MethodGet, Path: "/inbound-messages",
		Summary: "The replies by email received",
		Description: "Admins: every reply to a reply+<token>@ address whose token verified, newest first, with what came of it. " +
			"Replies whose token does not verify name no workspace and are only in the server's log.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *ListParams) (*inboundPage, error) {
			p, err := h.DB.ListInboundMessages(ctx, in.options())
			return &inboundPage{p}, h.queryProblem(ctx, err)
		})
}
