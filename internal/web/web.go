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
	"github.com/onboardiq/onboardiq/internal/notify"
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
	Guard      *notify.Guard
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
	"add": func(a, b int) int { return a + b },
	"mod": func(a, b int) int { return a % b },
	"deref2": func(f *float64) float64 {
		if f == nil {
			return 0
		}
		return *f
	},
	"statuses":      func() []onboardiq.Status { return onboardiq.TaskStatuses },
	"emailModes":    func() []string { return []string{"immediate", "digest", "off"} },
	"staffRoles":    func() []string { return []string{"admin", "csm", "sales_leader", "viewer"} },
	"webhookEvents": func() []string { return postgres.WebhookEvents },
	"mul":           func(a, b int) int { return a * b },
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
	handle := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, cop.Handler(h.form(fn))) }

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
	handle("GET /app/customers/{id}", h.staff(h.customer))
	handle("POST /app/customers/{id}/summary", h.staff(h.summary))
	handle("GET /app/projects/{id}", h.staff(h.project))
	handle("GET /app/tasks/{id}", h.staff(h.task))
	handle("POST /app/tasks/{id}/status", h.staff(h.taskStatus))
	handle("POST /app/tasks/{id}/comments", h.staff(h.comment))
	handle("POST /app/tasks/{id}/troubleshoot", h.staff(h.troubleshoot))
	handle("GET /app/kb", h.staff(h.kb))
	handle("GET /app/kb/new", h.staff(h.articleNew))
	handle("POST /app/kb", h.staff(h.articleCreate))
	handle("GET /app/kb/{id}", h.staff(h.article))
	handle("GET /app/kb/{id}/edit", h.staff(h.articleEdit))
	handle("POST /app/kb/{id}", h.staff(h.articleUpdate))
	handle("GET /app/notifications", h.staff(h.notifications))
	handle("POST /app/notifications/read-all", h.staff(h.readAll))
	handle("GET /app/settings", h.staff(h.settings))
	handle("POST /app/settings/preferences", h.staff(h.savePreferences))
	handle("POST /app/settings/users", h.staff(h.inviteUser))
	handle("POST /app/settings/users/{id}", h.staff(h.updateUser))
	handle("POST /app/settings/webhooks", h.staff(h.createWebhook))
	handle("POST /app/settings/webhooks/{id}/{action}", h.staff(h.webhookAction))
	handle("GET /app/settings/templates/{id}", h.staff(h.templateEdit))
	handle("POST /app/settings/templates/{id}", h.staff(h.templateSave))

	handle("GET /portal/{slug}/signin", h.portalSigninPage)
	handle("POST /portal/{slug}/signin", h.portalSignin)
	handle("GET /portal/{slug}/magic", h.magicPage)
	handle("POST /portal/{slug}/magic", h.magic)
	handle("GET /portal/{slug}", h.customer0(h.portalHome))
	handle("GET /portal/{slug}/projects/{id}", h.customer0(h.portalProject))
	handle("POST /portal/{slug}/tasks/{id}/status", h.customer0(h.portalTaskStatus))
	handle("POST /portal/{slug}/tasks/{id}/comments", h.customer0(h.portalComment))
	handle("GET /portal/{slug}/kb", h.customer0(h.portalKB))
	handle("GET /portal/{slug}/kb/{id}", h.customer0(h.portalArticle))
	handle("GET /portal/{slug}/assistant", h.customer0(h.portalAssistant))
	handle("POST /portal/{slug}/assistant", h.customer0(h.portalAsk))
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
}

func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html"))
	names, _ := fs.Glob(templateFiles, "templates/*.html")
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimPrefix(n, "templates/")
		if name == "layout.html" {
			continue
		}
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFiles, n))
	}
	return pages
}

// render executes a page into a buffer first, so a failing template
// answers 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	v.P = onboardiq.PrincipalFromContext(r.Context())
	v.Version = h.Version
	if v.P != nil && !v.Portal && v.P.Role.IsStaff() {
		v.Unread, _ = h.DB.CountUnread(r.Context())
	}
	if v.P != nil && v.P.IsCustomer() {
		v.Portal, v.Slug = true, v.P.TenantSlug
	}
	if v.Flash == "" {
		v.Flash = h.takeFlash(w, r)
	}
	var buf bytes.Buffer
	t, ok := h.pages[page]
	if !ok {
		h.Logger.ErrorContext(r.Context(), "no such page", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		h.Logger.ErrorContext(r.Context(), "render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail renders the page for an error from the services.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch onboardiq.ErrorCode(err) {
	case onboardiq.ENOTFOUND:
		h.notFound(w, r)
	case onboardiq.EFORBIDDEN:
		h.render(w, r, http.StatusForbidden, "error.html", view{Title: "Not allowed", Error: onboardiq.ErrorMessage(err)})
	case onboardiq.EUNAUTHORIZED:
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
	case onboardiq.ELIMIT:
		setRetryAfter(w, err)
		h.render(w, r, http.StatusTooManyRequests, "error.html", view{Title: "Limit reached", Error: onboardiq.ErrorMessage(err)})
	case onboardiq.EINVALID, onboardiq.ECONFLICT:
		h.render(w, r, http.StatusUnprocessableEntity, "error.html", view{Title: "Could not do that", Error: onboardiq.ErrorMessage(err)})
	case onboardiq.EUNAVAILABLE:
		h.unavailable(w, r, err)
	case onboardiq.EMODEL:
		h.Logger.ErrorContext(r.Context(), "language model", "err", err)
		h.render(w, r, http.StatusBadGateway, "error.html", view{Title: "The assistant could not answer", Error: "The language model failed to answer; try again."})
	default:
		if errors.Is(err, context.Canceled) {
			return
		}
		h.Logger.ErrorContext(r.Context(), "internal error", "err", err)
		h.render(w, r, http.StatusInternalServerError, "error.html", view{Title: "Something went wrong", Error: "Something went wrong on our side; try again."})
	}
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

// unavailable answers 503 with Retry-After: the database (or a model the
// page needs) cannot be reached.
func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.Logger.WarnContext(r.Context(), "unavailable", "err", err)
	w.Header().Set("Retry-After", api.RetryAfter)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("OnboardIQ is briefly unavailable. Try again in a few seconds.\n"))
}

// setRetryAfter says when a limit lets the user try again, when it is known.
func setRetryAfter(w http.ResponseWriter, err error) {
	if d := onboardiq.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "error.html", view{Title: "Not found", Error: "There is nothing here, or nothing you may see."})
}

// session reads the signed-in user from the cookie, or nil.
func (h *Handler) session(r *http.Request) *onboardiq.Principal {
	p, _ := h.sessionErr(r)
	return p
}

// sessionErr is session, with the error when the database cannot tell.
func (h *Handler) sessionErr(r *http.Request) (*onboardiq.Principal, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, nil
	}
	p, err := h.DB.AuthenticateSession(r.Context(), c.Value)
	if onboardiq.ErrorCode(err) == onboardiq.EUNAVAILABLE {
		return nil, err
	}
	return p, nil
}

// staff wraps a console page: staff only; customers go to their portal.
func (h *Handler) staff(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := h.sessionErr(r)
		switch {
		case err != nil:
			h.unavailable(w, r, err)
			return
		case p == nil:
			http.Redirect(w, r, "/signin?next="+r.URL.Path, http.StatusSeeOther)
			return
		case p.IsCustomer():
			http.Redirect(w, r, "/portal/"+p.TenantSlug, http.StatusSeeOther)
			return
		}
		h.noteIdentity(r, p)
		next(w, r.WithContext(onboardiq.NewContextWithPrincipal(r.Context(), p)))
	}
}

// noteIdentity tells OnAuth who the request is.
func (h *Handler) noteIdentity(r *http.Request, p *onboardiq.Principal) {
	if h.OnAuth != nil {
		h.OnAuth(r.Context(), p)
	}
}

// customer0 wraps a portal page: a contact of this workspace only; anyone
// else is sent to sign in to it.
func (h *Handler) customer0(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := h.sessionErr(r)
		if err != nil {
			h.unavailable(w, r, err)
			return
		}
		slug := r.PathValue("slug")
		if p == nil || !p.IsCustomer() || p.TenantSlug != slug {
			http.Redirect(w, r, "/portal/"+slug+"/signin", http.StatusSeeOther)
			return
		}
		h.noteIdentity(r, p)
		next(w, r.WithContext(onboardiq.NewContextWithPrincipal(r.Context(), p)))
	}
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	if p := h.session(r); p != nil {
		if p.IsCustomer() {
			http.Redirect(w, r, "/portal/"+p.TenantSlug, http.StatusSeeOther)
		} else {
			http.Redirect(w, r, "/app", http.StatusSeeOther)
		}
		return
	}
	h.render(w, r, http.StatusOK, "home.html", view{Title: "OnboardIQ", Data: h.BaseURL})
}

// pathID parses the {id} of a path; a bad one is not found.
func pathID(r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(r.PathValue("id"))
	return id, err == nil
}

// allowAddress counts a sign-in or link attempt against the client's
// address and reports whether it is within the limit.
func (h *Handler) allowAddress(r *http.Request) bool {
	return h.perIP.allow(addrKey(r, h.clientAddr(r)))
}
