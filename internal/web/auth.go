package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

func (h *Handler) setSession(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    token,
		Path:     "/",
		MaxAge:   int(postgres.SessionTTL.Seconds()),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   h.secure(r),
	})
}

// secure tells whether cookies must be Secure: behind TLS.
func (h *Handler) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(h.BaseURL, "https://")
}

const flashCookie = "oiq_flash"

// redirectFlash redirects to a console page that shows msg once. The
// message travels in a short-lived cookie rather than the URL, so what it
// may hold (a new webhook secret) stays out of history and access logs,
// and no link can make the console show a message of its choosing.
func (h *Handler) redirectFlash(w http.ResponseWriter, r *http.Request, to, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)), Path: "/app",
		MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// takeFlash returns the message redirectFlash left, and clears it.
func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/app", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
	msg, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return ""
	}
	return string(msg)
}

// signinFailed is the one answer to a failed sign-in, whatever failed.
const signinFailed = "The workspace, email or password is wrong. After ten failed attempts an account is locked for ten minutes; resetting its password unlocks it."

type signinForm struct {
	Workspace, Email, Next string
}

func (h *Handler) signinPage(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "signin.html", view{Title: "Sign in", Data: signinForm{Workspace: r.URL.Query().Get("workspace"), Next: consoleNext(r.URL.Query().Get("next"))}})
}

// safeNext returns where to send a user after signing in: next, cleaned,
// when it is a path inside base ("/app", or "/portal/{slug}" for a
// contact), and false otherwise. Anything that a browser could read as
// another origin is refused outright rather than repaired: a scheme, a
// host, a backslash or a doubled slash (also percent-encoded), or a control
// character.
func safeNext(next, base string) (string, bool) {
	if next == "" || len(next) > maxNext || next[0] != '/' || strings.HasPrefix(next, "//") ||
		strings.Contains(next, `\`) || hasControl(next) {
		return "", false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	if strings.Contains(u.Path, `\`) || strings.Contains(u.Path, "//") || hasControl(u.Path) {
		return "", false
	}
	clean := path.Clean(u.Path)
	if clean != base && !strings.HasPrefix(clean, base+"/") {
		return "", false
	}
	return (&url.URL{Path: clean, RawQuery: u.RawQuery}).String(), true
}

// maxNext bounds the next parameter of the sign-in form.
const maxNext = 2048

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) })
}

func (h *Handler) signin(w http.ResponseWriter, r *http.Request) error {
	f := signinForm{Workspace: strings.TrimSpace(strings.ToLower(r.FormValue("workspace"))), Email: strings.TrimSpace(r.FormValue("email")), Next: r.FormValue("next")}
	if msg := tooLong(r, limitWorkspace, limitEmail, limitPassword, limitNext); msg != "" {
		return h.render(w, r, http.StatusUnprocessableEntity, "signin.html", view{Title: "Sign in", Error: msg, Data: signinForm{Next: consoleNext(f.Next)}})
	}
	if !h.allowAddress(r) {
		return h.render(w, r, http.StatusTooManyRequests, "signin.html", view{Title: "Sign in", Error: "Too many attempts. Wait ten minutes and try again.", Data: f})
	}
	// Failed passwords per account are counted, and the account locked,
	// by the store: a locked account gets the same answer.
	token, p, err := h.DB.SignIn(r.Context(), f.Workspace, f.Email, r.FormValue("password"))
	if onboardiq.ErrorCode(err) == onboardiq.EUNAVAILABLE {
		return err
	}
	if err != nil {
		return h.render(w, r, http.StatusUnauthorized, "signin.html", view{Title: "Sign in", Error: signinFailed, Data: f})
	}
	h.setSession(w, r, token)
	home := "/app"
	if p.IsCustomer() {
		home = "/portal/" + p.TenantSlug
	}
	if to, ok := safeNext(f.Next, home); ok {
		home = to
	}
	http.Redirect(w, r, home, http.StatusSeeOther)
	return nil
}

// consoleNext is next when it is safe to carry in the sign-in form, else
// the console's home.
func consoleNext(next string) string {
	if to, ok := safeNext(next, "/app"); ok {
		return to
	}
	return "/app"
}

// signout ends the session. When the database cannot end it, the answer
// is a 503 and the cookie stays: the user is not told they are signed out
// while the session still works.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request) error {
	p, err := h.session(r)
	if err != nil && !signedOut(err) {
		return err
	}
	dest := "/signin"
	if err == nil && p.IsCustomer() {
		dest = "/portal/" + p.TenantSlug + "/signin"
	}
	if c, err := r.Cookie(cookieName); err == nil {
		if err := h.DB.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

func (h *Handler) forgotPage(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "forgot.html", view{Title: "Reset your password", Data: signinForm{Workspace: r.URL.Query().Get("workspace")}})
}

// sendLink sends a one-time link; whatever happens, the page says the same
// thing, so it reveals nothing about who has an account.
func (h *Handler) sendLink(w http.ResponseWriter, r *http.Request, slug, purpose, page string) error {
	email := strings.TrimSpace(r.FormValue("email"))
	f := signinForm{Workspace: slug, Email: email}
	if msg := tooLong(r, limitWorkspace, limitEmail); msg != "" || len(slug) > limitWorkspace.max {
		if msg == "" {
			msg = fmt.Sprintf("The workspace is too long: at most %d characters.", limitWorkspace.max)
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "error.html", view{Title: "Could not do that", Error: msg})
	}
	// Links are limited per address and per recipient, apart from
	// passwords: a locked account still gets its own link.
	if !h.allowAddress(r) || !h.perUser.allow("link:"+slug+"/"+strings.ToLower(email)) {
		return h.render(w, r, http.StatusTooManyRequests, page, view{Title: "Too many attempts", Slug: slug, Error: "Too many attempts. Wait ten minutes and try again.", Data: f})
	}
	link, err := h.DB.SendLoginLink(r.Context(), slug, email, purpose, strings.TrimRight(h.BaseURL, "/"))
	if err != nil {
		return err // an outage: the 503 page, not "a link is on its way"
	}
	if link.URL != "" && (h.LogLinks || h.DevMailbox) {
		// No SMTP server: this log (and in development the mailbox) shows
		// the link; the email worker, with nothing to send through, leaves
		// it working.
		h.Logger.InfoContext(r.Context(), "sign-in link (no SMTP server configured)", "workspace", slug, "email", email, "link", link.URL)
		if h.DevMailbox {
			h.outbox.add(mailboxItem{Workspace: slug, To: email, Subject: link.Subject, Link: link.URL, At: time.Now()})
		}
	}
	return h.render(w, r, http.StatusOK, page, view{Title: "Check your email", Slug: slug, Data: f,
		Flash: "If that address has access to this workspace, a link is on its way. It works once."})
}

func (h *Handler) forgot(w http.ResponseWriter, r *http.Request) error {
	return h.sendLink(w, r, strings.TrimSpace(strings.ToLower(r.FormValue("workspace"))), postgres.LinkReset, "forgot.html")
}

// resetPage shows the form of a reset link; like magicPage, it consumes
// nothing, and only the form's POST uses the link. A staff invitation's
// link (invite=1) is the same form in an invitation's words.
func (h *Handler) resetPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	return h.render(w, r, http.StatusOK, "reset.html", resetView(r, "", r.URL.Query().Get("token")))
}

// resetForm is the reset page's data: the link's token, and whether it
// came from a staff invitation.
type resetForm struct {
	Token  string
	Invite bool
}

func resetView(r *http.Request, errMsg, token string) view {
	f := resetForm{Token: token, Invite: r.FormValue("invite") == "1"}
	title := "Choose a new password"
	if f.Invite {
		title = "Choose your password"
	}
	return view{Title: title, Error: errMsg, Data: f}
}

func (h *Handler) reset(w http.ResponseWriter, r *http.Request) error {
	token := r.FormValue("token")
	if msg := tooLong(r, limitToken, limitPassword, limitConfirm); msg != "" {
		return h.render(w, r, http.StatusUnprocessableEntity, "reset.html", resetView(r, msg, ""))
	}
	if r.FormValue("password") != r.FormValue("confirm") {
		return h.render(w, r, http.StatusUnprocessableEntity, "reset.html", resetView(r, "The two passwords differ.", token))
	}
	session, p, err := h.DB.ResetPassword(r.Context(), token, r.FormValue("password"))
	if onboardiq.ErrorCode(err) == onboardiq.EUNAVAILABLE {
		return err
	}
	if err != nil {
		return h.render(w, r, http.StatusUnprocessableEntity, "reset.html", resetView(r, errText(err), token))
	}
	h.setSession(w, r, session)
	if p.IsCustomer() {
		http.Redirect(w, r, "/portal/"+p.TenantSlug, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/app", http.StatusSeeOther)
	return nil
}

// portalSigninPage shows a portal's sign-in form, with the workspace's
// branding; an unknown workspace is the 404 page.
func (h *Handler) portalSigninPage(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	b, err := h.DB.GetPublicBranding(r.Context(), slug)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "portal_signin.html", view{Title: "Sign in", Slug: slug, Brand: b})
}

func (h *Handler) portalSignin(w http.ResponseWriter, r *http.Request) error {
	return h.sendLink(w, r, r.PathValue("slug"), postgres.LinkSignIn, "portal_signin.html")
}

// magicPage is where an emailed sign-in link lands. It consumes nothing:
// mail scanners fetch every link in a message, so a GET only shows a
// Continue button, whose POST (magic) uses the link.
// The link in an email to a contact names the page it is about (next, a
// path below the portal): a contact already signed in goes straight
// there, leaving the link unused.
func (h *Handler) magicPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	slug, next := r.PathValue("slug"), postgres.SafePortalPage(r.FormValue("next"))
	token := r.FormValue("token")
	if tooLong(r, limitToken) != "" {
		token = ""
	}
	if p, err := h.session(r); err == nil && p.IsCustomer() && p.TenantSlug == slug {
		http.Redirect(w, r, portalPage(slug, next), http.StatusSeeOther)
		return nil
	}
	return h.render(w, r, http.StatusOK, "magic.html", view{Title: "Sign in", Slug: slug, Data: magicLink{Token: token, Next: next}})
}

type magicLink struct{ Token, Next string }

// portalPage is the address of page (a SafePortalPage) in slug's portal.
func portalPage(slug, page string) string {
	if page == "/" {
		return "/portal/" + slug
	}
	return "/portal/" + slug + page
}

func (h *Handler) magic(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	slug := r.PathValue("slug")
	session, p, err := h.DB.SignInWithLink(r.Context(), slug, r.FormValue("token"))
	if onboardiq.ErrorCode(err) == onboardiq.EUNAVAILABLE {
		return err
	}
	if err != nil {
		return h.render(w, r, http.StatusUnauthorized, "portal_signin.html", view{Title: "Sign in", Slug: slug,
			Error: "This link is invalid, used or expired. Ask for a new one below."})
	}
	h.setSession(w, r, session)
	http.Redirect(w, r, portalPage(p.TenantSlug, postgres.SafePortalPage(r.FormValue("next"))), http.StatusSeeOther)
	return nil
}

// mailbox is the development stand-in for an inbox, served only when
// DevMailbox is on and only to clients on the same machine.
func (h *Handler) mailbox(w http.ResponseWriter, r *http.Request) error {
	if !h.DevMailbox || !h.clientAddr(r).IsLoopback() {
		return errNotFound
	}
	slug := r.URL.Query().Get("workspace")
	return h.render(w, r, http.StatusOK, "mailbox.html", view{Title: "Development mailbox", Slug: slug, Data: h.outbox.list(slug, time.Now())})
}
