// Package api is OnboardIQ's JSON API under /api/v1, written with huma so
// that the OpenAPI 3.1 document at /api/v1/openapi.json comes from the code.
package api

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Deps is what the API's handlers use.
type Deps struct {
	DB        *postgres.DB
	Embedder  ai.Embedder
	Assistant *assistant.Service
	Logger    *slog.Logger
	Version   string
	// BaseURL is the app's address, for the links emails carry (a
	// contact's invitation).
	BaseURL string
	// OnAuth, when set, is told who a request is (for the request log).
	OnAuth func(ctx context.Context, p *onboardiq.Principal)
	// InboundDomain and InboundWebhookSecret configure replies by email
	// through a mail provider's webhook (POST /inbound/email; off when
	// either is empty).
	InboundDomain, InboundWebhookSecret string
}

// RetryAfter is the Retry-After of a 503, in seconds: the database is
// unreachable, and a restart or fail-over takes seconds.
const RetryAfter = "5"

// bearer is the security requirement of every operation but the document
// and the operators' (operatorAuth).
var bearer = []map[string][]string{{"bearer": {}}}

// operatorAuth is the security requirement of /admin: an operator token.
var operatorAuth = []map[string][]string{{"operator": {}}}

// New mounts the API on mux and returns it.
func New(mux *http.ServeMux, d Deps) huma.API {
	cfg := huma.DefaultConfig("OnboardIQ API", d.Version)
	cfg.Info.Description = "Customer onboarding: customers, projects, shared tasks, knowledge base and assistant. " +
		"Authenticate with `Authorization: Bearer <API token>`."
	cfg.Servers = []*huma.Server{{URL: Prefix}}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer":   {Type: "http", Scheme: "bearer", Description: "An API token (oiq_…), from `onboardiq tenant create`, `onboardiq user create` or the tokens endpoint."},
		"operator": {Type: "http", Scheme: "bearer", Description: "An operator token (oiqop_…), from `onboardiq operator token create`: for /admin only."},
	}
	// The interactive docs page loads scripts from a CDN; the product works
	// offline, so it serves the document only.
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.CreateHooks = nil // no $schema links in responses
	cfg.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	api := humago.NewWithPrefix(mux, Prefix, cfg)
	api.UseMiddleware(authenticate(api, d), checkInput(api), csvLists(api))
	h := &handlers{Deps: d}
	h.registerMe(api)
	h.registerCustomers(api)
	h.registerCustomFields(api)
	h.registerProjects(api)
	h.registerTasks(api)
	h.registerTaskChanges(api)
	h.registerTemplates(api)
	h.registerUsers(api)
	h.registerTokens(api)
	h.registerKB(api)
	h.registerAI(api)
	h.registerSimilar(api)
	h.registerAssistant(api)
	h.registerKnowledgeGaps(api)
	h.registerNotifications(api)
	h.registerWebhooks(api)
	h.registerBranding(api)
	h.registerEmailTemplates(api)
	h.registerIndex(mux, api, d.Version)
	h.registerHolidays(api)
	h.registerInbound(api)
	h.registerConversations(api)
	h.registerJourney(api)
	h.registerHealth(api)
	h.registerUsage(api)
	h.registerSurveys(api)
	h.registerMilestones(api)
	h.registerMetrics(api)
	h.registerPlaybooks(api)
	h.registerExport(api)
	h.registerImports(api)
	h.registerOperators(api)
	h.registerCRM(api)
	h.registerQuotas(api)
	// Last, so that it sees every list operation.
	documentCSV(api)
	return api
}

type handlers struct{ Deps }

func (h *handlers) baseURL() string { return strings.TrimRight(h.BaseURL, "/") }

// authenticate resolves the bearer token of operations that require one and
// puts the principal in the context; a missing or bad token answers 401.
func authenticate(api huma.API, d Deps) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if len(ctx.Operation().Security) == 0 {
			next(ctx)
			return
		}
		token, ok := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
		if _, op := ctx.Operation().Security[0]["operator"]; op {
			authenticateOperator(api, d, ctx, strings.TrimSpace(token), ok, next)
			return
		}
		if !ok {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="onboardiq"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <API token>")
			return
		}
		p, err := d.DB.Authenticate(ctx.Context(), strings.TrimSpace(token))
		if qe := onboardiq.AsQuotaError(err); qe != nil { // the month's API calls are used up
			writeQuotaProblem(ctx, qe)
			return
		}
		if onboardiq.ErrorCode(err) == onboardiq.EFORBIDDEN { // a suspended workspace
			_ = huma.WriteErr(api, ctx, http.StatusForbidden, onboardiq.ErrorMessage(err))
			return
		}
		if err != nil {
			if onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
				d.Logger.ErrorContext(ctx.Context(), "authenticate", "err", err)
				ctx.SetHeader("Retry-After", RetryAfter)
				_ = huma.WriteErr(api, ctx, http.StatusServiceUnavailable, "authentication is unavailable; try again")
				return
			}
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="onboardiq", error="invalid_token"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, onboardiq.ErrorMessage(err))
			return
		}
		if d.OnAuth != nil {
			d.OnAuth(ctx.Context(), p)
		}
		next(huma.WithContext(ctx, onboardiq.NewContextWithPrincipal(ctx.Context(), p)))
	}
}

// authenticateOperator is authenticate for /admin: only an operator token
// (oiqop_…) passes; a workspace's API token, a session or nothing is 401.
func authenticateOperator(api huma.API, d Deps, ctx huma.Context, token string, sent bool, next func(huma.Context)) {
	unauthorized := func(msg string) {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="onboardiq-operator"`)
		_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, msg)
	}
	if !sent || token == "" {
		unauthorized("missing operator token: send Authorization: Bearer <operator token (oiqop_…)>")
		return
	}
	if !postgres.IsOperatorToken(token) {
		unauthorized("only an operator token (oiqop_…) is accepted on /api/v1/admin; a workspace's API token or session is not")
		return
	}
	o, err := d.DB.AuthenticateOperator(ctx.Context(), token)
	if err != nil {
		if onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
			d.Logger.ErrorContext(ctx.Context(), "authenticate operator", "err", err)
			ctx.SetHeader("Retry-After", RetryAfter)
			_ = huma.WriteErr(api, ctx, http.StatusServiceUnavailable, "authentication is unavailable; try again")
			return
		}
		unauthorized(onboardiq.ErrorMessage(err))
		return
	}
	next(huma.WithContext(ctx, onboardiq.NewContextWithOperator(ctx.Context(), o)))
}

// problem turns an error from the services into the API's problem+json: the
// domain code picks the status, an invalid field is named, and internal
// errors are logged and shown as a generic message.
func (h *handlers) problem(ctx context.Context, err error) error {
	return h.problemAt(ctx, err, "body")
}

// queryProblem is problem for operations whose input is the query string.
func (h *handlers) queryProblem(ctx context.Context, err error) error {
	return h.problemAt(ctx, err, "query")
}

func (h *handlers) problemAt(ctx context.Context, err error, in string) error {
	var already huma.StatusError
	if err == nil || errors.As(err, &already) {
		return err
	}
	if qe := onboardiq.AsQuotaError(err); qe != nil {
		return quotaProblem(qe)
	}
	msg := onboardiq.ErrorMessage(err)
	switch onboardiq.ErrorCode(err) {
	case onboardiq.EINVALID:
		if f := onboardiq.ErrorField(err); f != "" {
			return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: in + "." + f, Message: msg})
		}
		return huma.Error422UnprocessableEntity(msg)
	case onboardiq.ENOTFOUND:
		return huma.Error404NotFound(msg)
	case onboardiq.EFORBIDDEN:
		return huma.Error403Forbidden(msg)
	case onboardiq.EUNAUTHORIZED:
		return huma.Error401Unauthorized(msg)
	case onboardiq.ECONFLICT:
		return huma.Error409Conflict(msg)
	case onboardiq.ELIMIT:
		if d := onboardiq.RetryAfter(err); d > 0 {
			return huma.ErrorWithHeaders(huma.Error429TooManyRequests(msg), http.Header{"Retry-After": {strconv.Itoa(int(math.Ceil(d.Seconds())))}})
		}
		return huma.Error429TooManyRequests(msg)
	case onboardiq.EMODEL:
		h.Logger.ErrorContext(ctx, "language model", "err", err)
		return huma.Error502BadGateway(msg)
	case onboardiq.EUNAVAILABLE:
		h.Logger.WarnContext(ctx, "unavailable", "err", err)
		return huma.ErrorWithHeaders(huma.Error503ServiceUnavailable(msg), http.Header{"Retry-After": {RetryAfter}})
	}
	if errors.Is(err, context.Canceled) {
		return huma.NewError(499, "request cancelled")
	}
	h.Logger.ErrorContext(ctx, "internal error", "err", err)
	return huma.Error500InternalServerError("internal error")
}
