// Package web serves OnboardIQ's HTML: the staff console under /app, the
// customer portal under /portal/{slug}, and sign-in. Pages call the same
// services as the API, with the signed-in user in the context, so nothing
// is decided twice.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/api"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/markdown"
	"github.com/onboardiq/onboardiq/internal/notify/wording"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Handler serves the pages.
type Handler struct {
	DB         *postgres.DB
	Assistant  *assistant.Service
	BaseURL    string
	Version    string
	Logger     *slog.Logger
	DevMailbox bool // development without SMTP: show sign-in emails at /dev/mailbox (to loopback clients)
	LogLinks   bool // no SMTP server: log sign-in links for the operator
	// Metrics, when set, gets the pages' gauges (the limiters' sizes).
	Metrics prometheus.Registerer
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// Forwarded headers name the client (ONBOARDIQ_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix

	// OnAuth, when set, is told who a request is (for the request log).
	OnAuth func(ctx context.Context, p *onboardiq.Principal)

	perUser *limiter   // link requests per workspace and email (failed passwords are counted in the database)
	perIP   *limiter   // sign-in and link attempts per client address, more generously (offices share one)
	outbox  devMailbox // links made, for the development mailbox
	pages   map[string]*template.Template
}

const cookieName = "oiq_session"

var funcs = template.FuncMap{
	"pct": func(f float64) string { return fmt.Sprintf("%.0f%%", f) },
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.Format("2 Jan 2006")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.Format("2 Jan 2006")
		}
		return ""
	},
	"datetime": func(t time.Time) string { return t.Format("2 Jan 2006 15:04") },
	"status":   func(s onboardiq.Status) string { return strings.ReplaceAll(string(s), "_", " ") },
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"uuid": func(u *uuid.UUID) string {
		if u == nil {
			return ""
		}
		return u.String()
	},
	"bar": func(n, max, height int) int {
		if max == 0 {
			return 0
		}
		return int(math.Round(float64(n) / float64(max) * float64(height)))
	},
	"add":    func(a, b int) int { return a + b },
	"neg":    func(a int) int { return -a },
	"mul100": func(f float64) float64 { return f * 100 },
	"intv": func(v *int) int {
		if v == nil {
			return 0
		}
		return *v
	},
	"deref1": func(v *int) string {
		if v == nil {
			return "—"
		}
		return strconv.Itoa(*v)
	},
	"mod":        func(a, b int) int { return a % b },
	"setupWords": setupWords,
	"deref2": func(f *float64) float64 {
		if f == nil {
			return 0
		}
		return *f
	},
	"statuses":      func() []onboardiq.Status { return onboardiq.TaskStatuses },
	"emailModes":    func() []string { return []string{"immediate", "digest", "off"} },
	"staffRoles":    func() []string { return []string{"admin", "csm", "sales_leader", "viewer"} },
	"webhookEvents": func() []onboardiq.EventKind { return onboardiq.WebhookEvents },
	"mul":           func(a, b int) int { return a * b },
	// What may be done to one task: the store's own predicates.
	"canChangeTaskStatus": onboardiq.CanChangeTaskStatus,
	"canCommentOnTask":    onboardiq.CanCommentOnTask,
	// Text people and models write is Markdown, shown through the one
	// safe renderer; search excerpts mark their matches.
	"markdown": markdown.Render,
	"excerpt":  markdown.Highlight,
	// The project page's forms: a date input's value, an assignee select.
	"dayValue": dayValue,
	"peopleOf": peopleOf,
	// Counts with their nouns, singular or plural: {{plural 1 "day"}} is
	// "1 day", {{plural .N "person" "people"}} "2 people".
	"plural": plural,
	// A notification's kind in words.
	"kindLabel": wording.Kind,
}

// Register adds the pages to mux. The console and the portal refuse
// cross-origin form posts (http.CrossOriginProtection).
func (h *Handler) Register(mux *http.ServeMux) {
	h.perUser = newLimiter(10, 10*time.Minute, limiterKeys)
	h.perIP = newLimiter(100, 10*time.Minute, limiterKeys)
	if h.Metrics != nil {
		for name, l := range map[string]*limiter{"account": h.perUser, "address": h.perIP} {
			h.Metrics.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "onboardiq_web_limiter_keys", Help: "Keys the sign-in and link limiters remember, per limiter (capped).",
				ConstLabels: prometheus.Labels{"limiter": name},
			}, func() float64 { return float64(l.size()) }))
		}
	}
	h.pages = parsePages()
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))

	cop := http.NewCrossOriginProtection()
	handle := func(pattern string, fn handlerFunc) { mux.Handle(pattern, cop.Handler(h.serve(h.form(fn)))) }

	handle("GET /{$}", h.home)
	handle("GET /signin", h.signinPage)
	handle("POST /signin", h.signin)
	handle("POST /signout", h.signout)
	handle("GET /forgot", h.forgotPage)
	handle("POST /forgot", h.forgot)
	handle("GET /reset", h.resetPage)
	handle("POST /reset", h.reset)
	handle("GET /dev/mailbox", h.mailbox)

	handle("GET /app", h.staff(h.dashboard))
	handle("GET /app/customers", h.staff(h.customers))
	handle("POST /app/customers", h.staff(h.customerCreate))
	handle("GET /app/customers/{id}", h.staff(h.customer))
	handle("POST /app/customers/{id}", h.staff(h.customerUpdate))
	handle("POST /app/customers/{id}/archive", h.staff(h.customerArchive(true)))
	handle("POST /app/customers/{id}/unarchive", h.staff(h.customerArchive(false)))
	handle("POST /app/customers/{id}/csm", h.staff(h.customerCSM))
	handle("POST /app/customers/{id}/contacts", h.staff(h.contactAdd))
	handle("POST /app/customers/{id}/contacts/{contact}", h.staff(h.contactUpdate))
	handle("POST /app/customers/{id}/contacts/{contact}/disable", h.staff(h.contactDisable(true)))
	handle("POST /app/customers/{id}/contacts/{contact}/enable", h.staff(h.contactDisable(false)))
	handle("POST /app/customers/{id}/contacts/{contact}/invite", h.staff(h.contactInvite))
	handle("POST /app/customers/{id}/summary", h.staff(h.summary))
	handle("GET /app/projects", h.staff(h.projects))
	handle("GET /app/projects/new", h.staff(h.projectNew))
	handle("POST /app/projects", h.staff(h.projectCreate))
	handle("GET /app/my-tasks", h.staff(h.myTasks))
	handle("GET /app/projects/{id}", h.staff(h.project))
	handle("POST /app/projects/{id}/{action}", h.staff(h.projectLifecycle))
	handle("POST /app/projects/{id}/edit", h.staff(h.editProject))
	handle("POST /app/projects/{id}/tasks", h.staff(h.addTask))
	handle("POST /app/projects/{id}/tasks/bulk", h.staff(h.bulkTasks))
	handle("GET /app/timeline", h.staff(h.timelinePage))
	handle("GET /app/journey", h.staff(h.journeyBoard))
	handle("GET /app/health", h.staff(h.healthPage))
	handle("GET /app/metrics", h.staff(h.metricsPage))
	handle("POST /app/metrics/milestones", h.staff(h.milestoneCreate))
	handle("POST /app/metrics/milestones/{id}/delete", h.staff(h.milestoneDelete))
	handle("GET /app/tasks/{id}", h.staff(h.task))
	handle("POST /app/tasks/{id}", h.staff(h.taskEdit))
	handle("POST /app/tasks/{id}/delete", h.staff(h.taskDelete))
	handle("POST /app/tasks/{id}/status", h.staff(h.taskStatus))
	handle("POST /app/tasks/{id}/move", h.staff(h.moveTask))
	handle("POST /app/tasks/{id}/comments", h.staff(h.comment))
	handle("POST /app/tasks/{id}/troubleshoot", h.staff(h.troubleshoot))
	handle("GET /app/kb", h.staff(h.kb))
	handle("GET /app/kb/new", h.staff(h.articleNew))
	handle("POST /app/kb", h.staff(h.articleCreate))
	handle("POST /app/kb/preview", h.staff(h.articlePreview))
	handle("GET /app/knowledge/gaps", h.staff(h.knowledgeGaps))
	handle("GET /app/knowledge/gaps/{id}/article", h.staff(h.gapArticle))
	handle("GET /app/kb/{id}", h.staff(h.article))
	handle("GET /app/kb/{id}/edit", h.staff(h.articleEdit))
	handle("POST /app/kb/{id}", h.staff(h.articleUpdate))
	handle("GET /app/notifications", h.staff(h.notifications))
	handle("POST /app/notifications/read-all", h.staff(h.readAll))
	handle("GET /app/notifications/{id}", h.staff(h.openNotification))
	handle("POST /app/notifications/{id}/read", h.staff(h.readOne))
	handle("GET /app/inbox", h.staff(h.inbox))
	handle("GET /app/conversations/{id}", h.staff(h.conversation))
	handle("POST /app/conversations/{id}/messages", h.staff(h.conversationReply))
	handle("POST /app/conversations/{id}/close", h.staff(h.conversationStatus(onboardiq.ConversationClosed)))
	handle("POST /app/conversations/{id}/reopen", h.staff(h.conversationStatus(onboardiq.ConversationOpen)))
	handle("GET /app/settings", h.staff(h.settings))
	handle("POST /app/settings/preferences", h.staff(h.savePreferences))
	// The branding form uploads a logo: a larger body than other forms.
	mux.Handle("POST /app/settings/branding", cop.Handler(h.serve(h.staff(h.formUpTo(maxBrandingForm, h.saveBranding)))))
	handle("POST /app/settings/users", h.staff(h.inviteUser))
	handle("POST /app/settings/users/{id}", h.staff(h.updateUser))
	handle("POST /app/settings/users/{id}/invitation", h.staff(h.resendStaffInvitation))
	handle("POST /app/setup/hide", h.staff(h.hideSetup))
	handle("POST /app/settings/webhooks", h.staff(h.createWebhook))
	handle("POST /app/settings/webhooks/{id}/{action}", h.staff(h.webhookAction))
	handle("GET /app/settings/crm", h.staff(h.crmPage))
	handle("POST /app/settings/crm/connections/{provider}", h.staff(h.crmConnectionSave))
	handle("POST /app/settings/crm/connections/{provider}/rotate", h.staff(h.crmRotate))
	handle("POST /app/settings/crm/rules", h.staff(h.crmRulesSave))
	handle("GET /app/settings/templates/{id}", h.staff(h.oldTemplateEdit))
	handle("GET /app/templates", h.staff(h.templatesList))
	handle("GET /app/templates/new", h.staff(h.templateNew))
	handle("POST /app/templates", h.staff(h.templateCreate))
	handle("GET /app/templates/from-project", h.staff(h.templateFromProjectPage))
	handle("POST /app/templates/from-project", h.staff(h.templateFromProject))
	handle("GET /app/templates/{id}", h.staff(h.templateEdit))
	handle("POST /app/templates/{id}", h.staff(h.templateSave))
	handle("POST /app/templates/{id}/duplicate", h.staff(h.templateDuplicate))
	handle("POST /app/templates/{id}/delete", h.staff(h.templateDelete))
	handle("GET /app/settings/holidays", h.staff(h.holidays))
	handle("GET /app/settings/quotas", h.staff(h.quotas))
	handle("POST /app/settings/holidays", h.staff(h.holidaysSave))
	handle("POST /app/settings/contact-emails", h.staff(h.contactRulesSave))
	handle("POST /app/settings/surveys", h.staff(h.surveySettingsSave))
	handle("GET /app/settings/emails", h.staff(h.emailTemplates))
	handle("GET /app/settings/emails/{kind}", h.staff(h.emailTemplate))
	handle("POST /app/settings/emails/{kind}", h.staff(h.emailTemplateSave))
	handle("POST /app/settings/emails/{kind}/preview", h.staff(h.emailTemplatePreview))
	handle("POST /app/settings/emails/{kind}/test", h.staff(h.emailTemplateTest))
	handle("POST /app/settings/emails/{kind}/reset", h.staff(h.emailTemplateReset))

	handle("GET /app/imports", h.staff(h.imports))
	// The upload form sends a CSV file of up to 50 MB.
	mux.Handle("POST /app/imports", cop.Handler(h.serve(h.staff(h.formUpTo(maxCSVForm, h.importUpload)))))
	handle("GET /app/imports/{id}", h.staff(h.importPage))
	handle("POST /app/imports/{id}", h.staff(h.importSave))
	handle("GET /app/settings/export", h.staff(h.workspaceExport))
	handle("GET /app/playbooks", h.staff(h.playbooks))
	handle("GET /app/playbooks/new", h.staff(h.playbookNew))
	handle("GET /app/playbooks/export", h.staff(h.playbooksExport))
	// The import form uploads a file of playbooks: a larger body than other forms.
	mux.Handle("POST /app/playbooks/import", cop.Handler(h.serve(h.staff(h.formUpTo(maxImportForm, h.playbooksImport)))))
	handle("POST /app/playbooks", h.staff(h.playbookCreate))
	handle("GET /app/playbooks/{id}", h.staff(h.playbookPage))
	handle("POST /app/playbooks/{id}", h.staff(h.playbookSave))
	handle("POST /app/playbooks/{id}/enable", h.staff(h.playbookEnable(true)))
	handle("POST /app/playbooks/{id}/disable", h.staff(h.playbookEnable(false)))
	handle("POST /app/playbooks/{id}/delete", h.staff(h.playbookDelete))
	handle("POST /app/playbooks/{id}/run", h.staff(h.playbookRun))
	handle("POST /app/playbooks/{id}/dry-run", h.staff(h.playbookDryRun))
	handle("POST /app/escalations/{id}/acknowledge", h.staff(h.escalationAcknowledge))

	handle("GET /portal/{slug}/signin", h.portalSigninPage)
	handle("POST /portal/{slug}/signin", h.portalSignin)
	handle("GET /portal/{slug}/magic", h.magicPage)
	handle("POST /portal/{slug}/magic", h.magic)
	handle("GET /portal/{slug}", h.customer0(h.portalHome))
	handle("GET /portal/{slug}/projects/{id}", h.customer0(h.portalProject))
	handle("GET /portal/{slug}/tasks/{id}", h.customer0(h.portalTask))
	handle("POST /portal/{slug}/tasks/{id}/status", h.customer0(h.portalTaskStatus))
	handle("POST /portal/{slug}/tasks/{id}/comments", h.customer0(h.portalComment))
	handle("GET /portal/{slug}/kb", h.customerBranded(h.portalKB))
	handle("GET /portal/{slug}/kb/{id}", h.customerBranded(h.portalArticle))
	handle("GET /portal/{slug}/assistant", h.customerBranded(h.portalAssistant))
	handle("POST /portal/{slug}/assistant", h.customer0(h.portalAsk))
	handle("POST /portal/{slug}/assistant/feedback", h.customerBranded(h.portalRate))
	handle("GET /portal/{slug}/conversations", h.customerBranded(h.portalConversations))
	handle("GET /portal/{slug}/conversations/new", h.customerBranded(h.portalConversationNew))
	handle("POST /portal/{slug}/conversations", h.customerBranded(h.portalConversationCreate))
	handle("GET /portal/{slug}/conversations/{id}", h.customerBranded(h.portalConversation))
	handle("POST /portal/{slug}/conversations/{id}/messages", h.customerBranded(h.conversationReply))
	handle("GET /portal/{slug}/preferences", h.customer0(h.portalPreferences))
	handle("POST /portal/{slug}/preferences", h.customer0(h.portalPreferencesSave))
	handle("POST /portal/{slug}/surveys/{id}", h.customer0(h.portalSurveyAnswer))
	// A survey email's score link, without a session: its token is signed.
	handle("GET /portal/{slug}/s/{token}", h.surveyLinkPage)
	handle("POST /portal/{slug}/s/{token}/comment", h.surveyComment)
	// An email's unsubscribe link, without a session: its token is signed.
	// The POST is left out of the cross-origin protection, for the one-click
	// unsubscribe (RFC 8058) mail providers send from elsewhere
	// (docs/security.md).
	handle("GET /portal/{slug}/unsubscribe", h.unsubscribePage)
	mux.Handle("POST /portal/{slug}/unsubscribe", h.serve(h.form(h.unsubscribe)))
	// The branding, to anyone: the sign-in page shows it.
	handle("GET /portal/{slug}/logo", h.portalLogo)
	handle("GET /portal/{slug}/brand.css", h.portalStylesheet)

	// Any other path is the 404 page: the console's and the portal's with
	// their navigation (after sign-in), anything else with the session's.
	handle("/app/", h.staff(h.notFound))
	handle("/portal/{slug}/", h.customer0(h.notFound))
	handle("/", h.anyone(h.notFound))
}

// view is what every page template gets.
type view struct {
	Title   string
	P       *onboardiq.Principal
	Portal  bool
	Slug    string
	Unread  int
	Flash   string
	Error   string
	Version string
	Data    any
	// Refresh reloads the page after that many seconds (a running
	// import's progress); 0: never.
	Refresh int
	// Brand is the portal's branding, on the portal's pages (render reads
	// it when the page's own read did not bring it).
	Brand *postgres.PortalBrand

	// counted says Unread is known already: a page-shaped read brought
	// it, or the page is an error page, which asks the database nothing.
	counted bool
}

func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/custom_fields_inputs.html"))
	names, _ := fs.Glob(templateFiles, "templates/*.html")
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimPrefix(n, "templates/")
		if name == "layout.html" || name == "custom_fields_inputs.html" { // parts of every page
			continue
		}
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFiles, n))
	}
	return pages
}

// handlerFunc is a page. It writes a whole answer, or returns an error
// having written nothing, and serveError answers the error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// asker is who a request turned out to be from, noted by staff and
// customer0 for serveError: an error page keeps the signed-in navigation.
type asker struct{ p *onboardiq.Principal }

type askerKey struct{}

// serve adapts a page to net/http: the error it returns is answered by
// serveError.
func (h *Handler) serve(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := &asker{}
		r = r.WithContext(context.WithValue(r.Context(), askerKey{}, who))
		if err := fn(w, r); err != nil {
			if who.p != nil {
				r = r.WithContext(onboardiq.NewContextWithPrincipal(r.Context(), who.p))
			}
			h.serveError(w, r, err)
		}
	}
}

// statusClientClosed answers a request whose client went away (nginx's
// 499): nobody reads it, and it is neither a success nor our fault.
const statusClientClosed = 499

// serveError answers an error a page returned: the one place that maps
// error codes to statuses and pages. Only failures on our side are logged
// as errors, and no internal error's text reaches the page.
func (h *Handler) serveError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	status, v := http.StatusInternalServerError, view{Error: onboardiq.ErrorMessage(err), counted: true}
	if strings.HasPrefix(r.URL.Path, "/portal/") {
		v.Slug = r.PathValue("slug") // the portal's branding, and the way back
	}
	switch onboardiq.ErrorCode(err) {
	case onboardiq.EUNAUTHORIZED:
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	case onboardiq.ENOTFOUND:
		status, v.Title, v.Error = http.StatusNotFound, "Not found", "There is nothing here, or nothing you may see."
	case onboardiq.EFORBIDDEN:
		status, v.Title = http.StatusForbidden, "Not allowed"
		if onboardiq.AsQuotaError(err) != nil {
			v.Title = "Quota exceeded"
		}
	case onboardiq.ELIMIT:
		setRetryAfter(w, err)
		status, v.Title = http.StatusTooManyRequests, "Limit reached"
		if onboardiq.AsQuotaError(err) != nil {
			v.Title = "Quota exceeded"
		}
	case onboardiq.EINVALID, onboardiq.ECONFLICT:
		status, v.Title = http.StatusUnprocessableEntity, "Could not do that"
	case onboardiq.EUNAVAILABLE:
		h.Logger.WarnContext(ctx, "unavailable", "err", err)
		w.Header().Set("Retry-After", api.RetryAfter)
		status, v.Title, v.Error = http.StatusServiceUnavailable, "Briefly unavailable", "OnboardIQ is briefly unavailable. Try again in a few seconds."
	case onboardiq.EMODEL:
		h.Logger.ErrorContext(ctx, "language model", "err", err)
		status, v.Title, v.Error = http.StatusBadGateway, "The assistant could not answer", "The language model failed to answer; try again."
	default:
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			w.WriteHeader(statusClientClosed)
			return
		}
		h.Logger.ErrorContext(ctx, "internal error", "err", err)
		v.Title, v.Error = "Something went wrong", "Something went wrong on our side; try again."
	}
	if err := h.render(w, r, status, "error.html", v); err != nil {
		h.Logger.ErrorContext(ctx, "error page", "err", err)
		http.Error(w, v.Error, status)
	}
}

// render executes a page into a buffer, and writes it only when it is
// whole: a failure (the unread count of the navigation, or the template)
// writes nothing and returns the error, for serveError to answer.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) error {
	ctx := r.Context()
	v.P = onboardiq.PrincipalFromContext(ctx)
	v.Version = h.Version
	if v.P != nil && v.P.IsCustomer() {
		v.Portal, v.Slug = true, v.P.TenantSlug
	}
	if v.P != nil && !v.Portal && v.P.Role.IsStaff() && !v.counted {
		n, err := h.DB.CountUnread(ctx)
		if err != nil {
			return err
		}
		v.Unread = n
	}
	if err := h.brand(r, status, page, &v); err != nil {
		return err
	}
	t, ok := h.pages[page]
	if !ok {
		return fmt.Errorf("no page %q", page)
	}
	if v.Flash == "" {
		v.Flash = h.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	htmlHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
	return nil
}

// htmlHeaders are the headers of every HTML answer: the strict policy that
// nothing inline runs or styles, and no sniffing.
func htmlHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
}

// errText is an error as a sentence for a page, naming the field.
func errText(err error) string {
	msg := onboardiq.ErrorMessage(err)
	if f := onboardiq.ErrorField(err); f != "" {
		return strings.ReplaceAll(f, "_", " ") + ": " + msg
	}
	return msg
}

// aboutInput tells an error the user can fix on the form they sent (shown
// beside it, their input kept) from one the error page answers (not
// allowed, not found, unavailable, internal).
func aboutInput(err error) bool {
	switch onboardiq.ErrorCode(err) {
	case onboardiq.EINVALID, onboardiq.ECONFLICT:
		return true
	}
	return false
}

// setRetryAfter says when a limit lets the user try again, when it is known.
func setRetryAfter(w http.ResponseWriter, err error) {
	if d := onboardiq.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
}

// errNotFound answers a path that names nothing: a malformed id, or a
// page that is off.
var errNotFound = onboardiq.Errorf(onboardiq.ENOTFOUND, "not found")

// session reads the signed-in user from the cookie. Without a live session
// (no cookie, or one that names none) it returns an EUNAUTHORIZED error
// (see signedOut). Any other failure is ErrUnavailable, a 503: a fault
// must not send a signed-in user to sign in again.
func (h *Handler) session(r *http.Request) (*onboardiq.Principal, error) {
	p, _, err := h.sessionWith(r, false)
	return p, err
}

// sessionWith is session that, with brand, also reads the portal's
// branding in the same round trip.
func (h *Handler) sessionWith(r *http.Request, brand bool) (*onboardiq.Principal, *postgres.PortalBrand, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, nil, errSignedOut
	}
	var (
		p *onboardiq.Principal
		b *postgres.PortalBrand
	)
	if brand {
		p, b, err = h.DB.AuthenticatePortalSession(r.Context(), c.Value)
	} else {
		p, err = h.DB.AuthenticateSession(r.Context(), c.Value)
	}
	switch onboardiq.ErrorCode(err) {
	case "":
		return p, b, nil
	case onboardiq.EUNAUTHORIZED, onboardiq.EUNAVAILABLE, onboardiq.EFORBIDDEN: // forbidden: a suspended workspace
		return nil, nil, err
	}
	h.Logger.ErrorContext(r.Context(), "session lookup", "err", err)
	return nil, nil, fmt.Errorf("%w: %w", onboardiq.ErrUnavailable, err)
}

var errSignedOut = onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "please sign in")

// signedOut tells session's "no session" from its failures.
func signedOut(err error) bool { return onboardiq.ErrorCode(err) == onboardiq.EUNAUTHORIZED }

// staff wraps a console page: staff only; customers go to their portal.
func (h *Handler) staff(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := h.session(r)
		switch {
		case signedOut(err):
			http.Redirect(w, r, "/signin?next="+r.URL.Path, http.StatusSeeOther)
			return nil
		case err != nil:
			return err
		case p.IsCustomer():
			http.Redirect(w, r, "/portal/"+p.TenantSlug, http.StatusSeeOther)
			return nil
		}
		return next(w, h.enter(r, p))
	}
}

// customer0 wraps a portal page: a contact of this workspace only; anyone
// else is sent to sign in to it.
func (h *Handler) customer0(next handlerFunc) handlerFunc { return h.portal(next, false) }

// customerBranded is customer0 for a portal page whose own read does not
// bring the branding (the knowledge base, an article, the assistant): the
// session's read brings it, in the same round trip, for render.
func (h *Handler) customerBranded(next handlerFunc) handlerFunc { return h.portal(next, true) }

func (h *Handler) portal(next handlerFunc, brand bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, b, err := h.sessionWith(r, brand)
		if err != nil && !signedOut(err) {
			return err
		}
		slug := r.PathValue("slug")
		if err != nil || !p.IsCustomer() || p.TenantSlug != slug {
			http.Redirect(w, r, "/portal/"+slug+"/signin", http.StatusSeeOther)
			return nil
		}
		if b != nil {
			r = r.WithContext(context.WithValue(r.Context(), brandKey{}, b))
		}
		return next(w, h.enter(r, p))
	}
}

// brandKey holds the portal's branding in a request's context when the
// session's read brought it (customerBranded).
type brandKey struct{}

// enter makes p who r is from: for the page, for the request log
// (OnAuth), and for serveError should the page fail.
func (h *Handler) enter(r *http.Request, p *onboardiq.Principal) *http.Request {
	if h.OnAuth != nil {
		h.OnAuth(r.Context(), p)
	}
	if who, ok := r.Context().Value(askerKey{}).(*asker); ok {
		who.p = p
	}
	return r.WithContext(onboardiq.NewContextWithPrincipal(r.Context(), p))
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	p, err := h.session(r)
	switch {
	case signedOut(err):
		return h.render(w, r, http.StatusOK, "home.html", view{Title: "OnboardIQ", Data: h.BaseURL})
	case err != nil:
		return err
	case p.IsCustomer():
		http.Redirect(w, r, "/portal/"+p.TenantSlug, http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/app", http.StatusSeeOther)
	}
	return nil
}

// pathID parses the {id} of a path; a malformed one is not found.
func pathID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, errNotFound
	}
	return id, nil
}

// allowAddress counts a sign-in or link attempt against the client's
// address and reports whether it is within the limit.
func (h *Handler) allowAddress(r *http.Request) bool {
	return h.perIP.allow(addrKey(r, h.clientAddr(r)))
}
