package api

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/crm"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// The bodies a CRM sends, for the document only: internal/crm reads them
// (docs/crm.md lists every field).
type (
	crmHubSpotEvent struct {
		EventID          int64             `json:"eventId,omitempty" doc:"HubSpot's id of the event: the same id twice does one thing. A workflow's webhook has none: deal-<objectId>-<stage> stands in."`
		SubscriptionType string            `json:"subscriptionType,omitempty" doc:"deal.propertyChange (or deal.creation); other kinds are ignored."`
		ObjectID         int64             `json:"objectId" doc:"The deal's id (or properties.hs_object_id)."`
		PropertyName     string            `json:"propertyName,omitempty" doc:"dealstage: a change of another property is ignored."`
		PropertyValue    string            `json:"propertyValue,omitempty" doc:"The new stage: the connection's closed-won stage (default closedwon) starts onboarding."`
		Properties       map[string]string `json:"properties,omitempty" doc:"The deal's properties, added by a workflow's Send a webhook action: dealname, amount, pipeline, dealstage, company_id, company_name, company_domain, segment, contact_emails (also accepted at the top level, and as {\"value\": …})."`
		Company          *struct {
			ID      string `json:"id,omitempty"`
			Name    string `json:"name,omitempty"`
			Domain  string `json:"domain,omitempty"`
			Segment string `json:"segment,omitempty"`
		} `json:"company,omitempty" doc:"The deal's company: its id becomes the customer's external id (without it: hubspot-deal-<objectId>)."`
		Contacts []struct {
			Email     string `json:"email"`
			FirstName string `json:"firstname,omitempty"`
			LastName  string `json:"lastname,omitempty"`
		} `json:"contacts,omitempty"`
	}
	crmContact struct {
		Email string `json:"email"`
		Name  string `json:"name,omitempty" doc:"Or first_name and last_name."`
	}
	crmSalesforceBody struct {
		EventID     string `json:"event_id,omitempty" doc:"The same id twice does one thing; without it, opportunity-<id>-<stage>."`
		Opportunity struct {
			ID       string  `json:"id"`
			Name     string  `json:"name,omitempty"`
			Amount   float64 `json:"amount,omitempty"`
			Stage    string  `json:"stage" doc:"The connection's closed-won stage (default Closed Won) starts onboarding; another is ignored."`
			Pipeline string  `json:"pipeline,omitempty" doc:"What the mapping rules call the pipeline (a record type, say)."`
		} `json:"opportunity"`
		Account struct {
			ID      string `json:"id" doc:"Becomes the customer's external id."`
			Name    string `json:"name"`
			Segment string `json:"segment,omitempty"`
			Website string `json:"website,omitempty"`
		} `json:"account"`
		Contacts []crmContact `json:"contacts,omitempty"`
	}
	crmGenericBody struct {
		EventID  string `json:"event_id" doc:"The same id twice does one thing (or the webhook-id header)."`
		Customer struct {
			CRMID   string  `json:"crm_id" doc:"Becomes the customer's external id."`
			Name    string  `json:"name"`
			Segment string  `json:"segment,omitempty"`
			ARR     float64 `json:"arr,omitempty"`
			Website string  `json:"website,omitempty"`
		} `json:"customer"`
		Contacts []crmContact `json:"contacts,omitempty"`
		Deal     struct {
			ID       string  `json:"id,omitempty"`
			Name     string  `json:"name,omitempty" doc:"The project's name (default: <customer> onboarding)."`
			Pipeline string  `json:"pipeline,omitempty"`
			Amount   float64 `json:"amount,omitempty"`
			Stage    string  `json:"stage,omitempty" doc:"When the connection names a closed-won stage, another is ignored."`
		} `json:"deal,omitempty"`
	}
)

type crmWebhookInput struct {
	Workspace string `path:"workspace" maxLength:"100" doc:"The workspace's slug."`
	Provider  string `path:"provider" enum:"hubspot,salesforce,generic"`
	// The signature headers, for the document; Resolve keeps them all.
	HubSpotSignature    string `header:"X-HubSpot-Signature-v3" doc:"HubSpot: base64 HMAC-SHA-256 of method, URI, body and timestamp, with the app's client secret."`
	HubSpotTimestamp    string `header:"X-HubSpot-Request-Timestamp" doc:"HubSpot: Unix milliseconds; refused when more than 5 minutes from the server's clock."`
	SalesforceSignature string `header:"X-OnboardIQ-Signature" doc:"Salesforce: v1=<hex HMAC-SHA-256 of timestamp.body> with the connection's secret."`
	SalesforceTimestamp string `header:"X-OnboardIQ-Timestamp" doc:"Salesforce: Unix seconds; refused when more than 5 minutes off."`
	WebhookID           string `header:"webhook-id" doc:"Generic (Standard Webhooks): the message id."`
	WebhookTimestamp    string `header:"webhook-timestamp" doc:"Generic: Unix seconds; refused when more than 5 minutes off."`
	WebhookSignature    string `header:"webhook-signature" doc:"Generic: v1,<base64 HMAC-SHA-256 of id.timestamp.body>."`
	RawBody             []byte

	method, uri string
	header      http.Header
}

// Resolve keeps what the signatures cover beyond the body: the method, the
// address called (HubSpot signs it) and the headers.
func (in *crmWebhookInput) Resolve(ctx huma.Context) []error {
	in.method = ctx.Method()
	u := ctx.URL()
	in.uri = u.RequestURI()
	in.header = http.Header{}
	for _, name := range []string{crm.HubSpotSignature, crm.HubSpotTimestamp, crm.SalesforceSignature, crm.SalesforceTimestamp,
		"webhook-id", "webhook-timestamp", "webhook-signature"} {
		if v := ctx.Header(name); v != "" {
			in.header.Set(name, v)
		}
	}
	if ctx.TLS() != nil {
		in.header.Set("X-OnboardIQ-Scheme", "https")
	}
	in.header.Set("X-OnboardIQ-Host", ctx.Host())
	return nil
}

// crmURI is the full address the CRM called, as HubSpot signs it: the
// app's address (ONBOARDIQ_BASE_URL) and the path and query; without a
// base URL, the Host the request named.
func (h *handlers) crmURI(in *crmWebhookInput) string {
	if b := h.baseURL(); b != "" {
		// Behind a proxy that strips a path prefix, the base URL carries it.
		return b + in.uri
	}
	scheme := "http"
	if in.header.Get("X-OnboardIQ-Scheme") == "https" {
		scheme = "https"
	}
	return scheme + "://" + in.header.Get("X-OnboardIQ-Host") + in.uri
}

type crmConnectionBody struct {
	Enabled        bool   `json:"enabled" doc:"Whether the CRM's calls are accepted."`
	ClosedWonStage string `json:"closed_won_stage,omitempty" maxLength:"100" doc:"The stage that starts onboarding; empty: the provider's default (hubspot closedwon, salesforce Closed Won, generic any)."`
	Secret         string `json:"secret,omitempty" maxLength:"200" doc:"The signing secret to use (HubSpot: your app's client secret). Empty keeps the secret, or makes one for a new connection."`
}

type crmConnectionResult struct {
	Body struct {
		Connection *onboardiq.CRMConnection `json:"connection"`
		Secret     string                   `json:"secret,omitempty" doc:"The secret made for a new connection: shown only now."`
	}
}

type crmRulesBody struct {
	Rules []onboardiq.CRMRuleInput `json:"rules" maxItems:"50" doc:"The mapping rules in order: the first that matches a won deal picks its template; none: the default template."`
}

type crmRulesResult struct {
	Body struct {
		Rules []onboardiq.CRMRule `json:"rules"`
	}
}

func (h *handlers) registerCRM(api huma.API) {
	tags := []string{"CRM"}
	// Per workspace and provider: a CRM batches its events, so 120 calls a
	// minute is far above what one sends, and bounds a flood of unsigned
	// calls (each is logged).
	limiter := crm.NewLimiter(120, time.Minute)
	reg := api.OpenAPI().Components.Schemas
	body := &huma.Schema{OneOf: []*huma.Schema{
		{Type: "array", Items: reg.Schema(reflect.TypeFor[crmHubSpotEvent](), true, "CRMHubSpotEvent"), MaxItems: new(crm.MaxEvents),
			Description: "HubSpot: a batch of webhook events (or one event object, from a workflow)."},
		reg.Schema(reflect.TypeFor[crmSalesforceBody](), true, "CRMSalesforceBody"),
		reg.Schema(reflect.TypeFor[crmGenericBody](), true, "CRMGenericBody"),
	}}
	huma.Register(api, huma.Operation{OperationID: "receive-crm-webhook", Method: http.MethodPost, Path: "/crm/{workspace}/{provider}",
		Summary: "Receive a CRM's webhook: a won deal starts onboarding",
		Description: "For the CRM. No bearer token: the request must be signed with the connection's secret, the provider's way " +
			"(401 otherwise, logged, nothing changed). A won deal creates or updates the customer by its CRM id, adds its contacts " +
			"and starts a project from the template the first matching mapping rule picks; other events are ignored. " +
			"The same event twice does one thing: the second answers the first outcome with duplicate: true. " +
			"404 when the workspace has no such connection, or it is off; 422 naming the field when the body is not of the provider's form " +
			"(nothing changed); 429 past 120 calls a minute. Bodies up to 1 MiB. See docs/crm.md.",
		Tags: tags, MaxBodyBytes: crm.MaxBody, DefaultStatus: http.StatusOK,
		// The signature is checked before the body is read: huma must not
		// refuse an unsigned body first (internal/crm reads it).
		SkipValidateBody: true,
		RequestBody:      &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {Schema: body}}}},
		func(ctx context.Context, in *crmWebhookInput) (*struct {
			Body struct {
				Results []postgres.CRMResult `json:"results"`
			}
		}, error) {
			provider := onboardiq.CRMProvider(in.Provider)
			if ok, wait := limiter.Allow(in.Workspace + "\x00" + in.Provider); !ok {
				return nil, huma.ErrorWithHeaders(huma.Error429TooManyRequests("too many calls to this CRM address: at most 120 a minute"),
					http.Header{"Retry-After": {strconv.Itoa(int(wait.Seconds()) + 1)}})
			}
			req := crm.Request{Provider: provider, Method: in.method, URI: h.crmURI(in), Header: in.header, Body: in.RawBody}
			results, err := h.DB.ReceiveCRMWebhook(ctx, in.Workspace, req, time.Now())
			if err != nil {
				h.Logger.InfoContext(ctx, "crm webhook refused", "workspace", in.Workspace, "provider", provider, "err", err)
				if f := onboardiq.ErrorField(err); onboardiq.ErrorCode(err) == onboardiq.EINVALID && f != "" {
					// The field is a path inside the body: body, body[0].objectId, body.customer.name.
					loc := "body"
					switch {
					case f == "body":
					case strings.HasPrefix(f, "["):
						loc += f
					default:
						loc += "." + f
					}
					return nil, huma.Error422UnprocessableEntity("the body is not of the "+provider.Label()+" form (docs/crm.md)",
						&huma.ErrorDetail{Location: loc, Message: onboardiq.ErrorMessage(err)})
				}
				return nil, h.problem(ctx, err)
			}
			out := &struct {
				Body struct {
					Results []postgres.CRMResult `json:"results"`
				}
			}{}
			out.Body.Results = results
			return out, nil
		})
	// RawBody adds a binary body to the document: the body is JSON only.
	if pi := api.OpenAPI().Paths["/crm/{workspace}/{provider}"]; pi != nil && pi.Post != nil && pi.Post.RequestBody != nil {
		delete(pi.Post.RequestBody.Content, "application/octet-stream")
	}

	huma.Register(api, huma.Operation{OperationID: "list-crm-connections", Method: http.MethodGet, Path: "/crm/connections",
		Summary: "The workspace's CRM connections", Description: "Admins. One per CRM (hubspot, salesforce, generic), those never set up included; never their secrets.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []*onboardiq.CRMConnection `json:"items"`
			}
		}, error) {
			cs, err := h.DB.ListCRMConnections(ctx)
			out := &struct {
				Body struct {
					Items []*onboardiq.CRMConnection `json:"items"`
				}
			}{}
			out.Body.Items = cs
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-crm-connection", Method: http.MethodPut, Path: "/crm/connections/{provider}",
		Summary: "Set up or change a CRM connection",
		Description: "Admins. A new connection without a secret gets one made, in this response only (HubSpot signs with your app's " +
			"client secret: send it as secret). The CRM calls webhook_path under the app's address.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			Provider string `path:"provider" enum:"hubspot,salesforce,generic"`
			Body     crmConnectionBody
		}) (*crmConnectionResult, error) {
			c, secret, err := h.DB.SetCRMConnection(ctx, onboardiq.CRMProvider(in.Provider), onboardiq.CRMConnectionInput{
				Enabled: in.Body.Enabled, ClosedWonStage: in.Body.ClosedWonStage, Secret: in.Body.Secret})
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			out := &crmConnectionResult{}
			out.Body.Connection, out.Body.Secret = c, secret
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "rotate-crm-secret", Method: http.MethodPost, Path: "/crm/connections/{provider}/rotate-secret",
		Summary: "Rotate a CRM connection's secret",
		Description: "Admins. The new secret is in this response only; calls signed with the old one are refused from now on. " +
			"(For HubSpot, set your app's new client secret with PUT instead.)",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			Provider string `path:"provider" enum:"hubspot,salesforce,generic"`
		}) (*struct {
			Body struct {
				Secret string `json:"secret"`
			}
		}, error) {
			s, err := h.DB.RotateCRMSecret(ctx, onboardiq.CRMProvider(in.Provider))
			out := &struct {
				Body struct {
					Secret string `json:"secret"`
				}
			}{}
			out.Body.Secret = s
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-crm-rules", Method: http.MethodGet, Path: "/crm/rules",
		Summary: "The CRM mapping rules", Description: "Admins. In order: the first that matches a won deal picks its project's template.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*crmRulesResult, error) {
			rules, err := h.DB.ListCRMRules(ctx)
			out := &crmRulesResult{}
			out.Body.Rules = rules
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-crm-rules", Method: http.MethodPut, Path: "/crm/rules",
		Summary: "Replace the CRM mapping rules",
		Description: "Admins. The list, in order; each rule's conditions (pipeline, segment, min_amount ≤ amount < max_amount) are " +
			"optional, and one without any matches every deal. A deal no rule matches gets the default template. A bad rule is 422 naming rules[i].field.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct{ Body crmRulesBody }) (*crmRulesResult, error) {
			if in.Body.Rules == nil {
				in.Body.Rules = []onboardiq.CRMRuleInput{}
			}
			rules, err := h.DB.SetCRMRules(ctx, in.Body.Rules)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			out := &crmRulesResult{}
			out.Body.Rules = rules
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "list-crm-log", Method: http.MethodGet, Path: "/crm/log",
		Summary: "The inbound CRM log",
		Description: "Admins. Every call to the workspace's CRM addresses, newest first, one entry per event of a batch: the provider, " +
			"event id, whether the signature held, the outcome (started, updated, ignored, duplicate, bad_signature, invalid, failed, disabled), " +
			"the customer and project, and the error.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *ListParams) (*struct {
			Body onboardiq.Page[*onboardiq.CRMInbound]
		}, error) {
			p, err := h.DB.ListCRMInbound(ctx, in.options())
			return &struct {
				Body onboardiq.Page[*onboardiq.CRMInbound]
			}{p}, h.queryProblem(ctx, err)
		})
}
