package web

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// The emails to contacts (settings, "Emails to contacts"): a list of the
// kinds, and a page per kind where admins edit its subject and Markdown
// body, preview it, send themselves a test and reset it; other staff read
// it and its preview.

// emailTemplates lists the kinds of email to contacts.
func (h *Handler) emailTemplates(w http.ResponseWriter, r *http.Request) error {
	pg, err := h.DB.LoadEmailTemplatesPage(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "settings_emails.html", view{Title: "Emails to contacts", Data: pg.Templates, Unread: pg.Unread, counted: true})
}

// emailEditData is a kind's page: the template as saved, the form's text
// (as typed, when it was refused or previewed), the error beside its field,
// and the preview shown.
type emailEditData struct {
	T             *postgres.EmailTemplate
	Subject, Body string
	Field, Error  string
	Preview       *emailPreview
	Typed         bool // the preview is of the typed text, not the saved one
}

// emailPreview is an email as the contact would get it.
type emailPreview struct {
	Subject, Text, HTML string
}

// Err is the error of field, for the template.
func (d *emailEditData) Err(field string) string {
	if d.Field == field {
		return d.Error
	}
	return ""
}

// emailTemplate shows a kind with the preview of its saved version.
func (h *Handler) emailTemplate(w http.ResponseWriter, r *http.Request) error {
	return h.emailPage(w, r, http.StatusOK, nil, nil, "")
}

// emailPage renders a kind's page with status, read in one transaction.
// typed, when set, is the form as sent: kept, and previewed unless fail
// (why it was refused) is set; a preview the store refuses is shown as
// such a failure. notice is the page's message.
func (h *Handler) emailPage(w http.ResponseWriter, r *http.Request, status int, typed *emailEditData, fail error, notice string) error {
	ctx := r.Context()
	kind := r.PathValue("kind")
	var subject, body *string
	if typed != nil {
		subject, body = &typed.Subject, &typed.Body
	}
	pg, err := h.DB.LoadEmailTemplatePage(ctx, kind, subject, body, fail == nil)
	if fail == nil && aboutInput(err) {
		fail, status = err, http.StatusUnprocessableEntity
		pg, err = h.DB.LoadEmailTemplatePage(ctx, kind, nil, nil, false)
	}
	if err != nil {
		return err
	}
	t := pg.Template
	d := &emailEditData{T: t, Subject: t.Subject, Body: t.Body}
	if typed != nil {
		d.Subject, d.Body, d.Typed = typed.Subject, typed.Body, true
	}
	if fail != nil {
		d.Field, d.Error = emailField(fail), onboardiq.ErrorMessage(fail)
	}
	if pv := pg.Preview; pv != nil {
		text, html, err := notify.PreviewContactEmail(h.BaseURL, pv)
		if err != nil {
			return err
		}
		d.Preview = &emailPreview{Subject: pv.Subject, Text: text, HTML: html}
		w = previewStyles(w, html)
	}
	return h.render(w, r, status, "settings_email_edit.html", view{Title: t.Label + " · Emails to contacts", Data: d, Flash: notice,
		Unread: pg.Unread, counted: true})
}

// previewStyles lets the preview's frame show the email's own styles (its
// inline style attributes: the accent's border, the muted footer), which
// the pages' policy would block, and nothing else: the page's policy
// allows exactly those attribute values, by hash ('unsafe-hashes'). The
// frame's document inherits the policy (docs/security.md).
func previewStyles(w http.ResponseWriter, email string) http.ResponseWriter {
	doc, err := html.Parse(strings.NewReader(email))
	if err != nil {
		return w
	}
	var hashes []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for _, a := range n.Attr {
			if a.Key == "style" && a.Namespace == "" {
				sum := sha256.Sum256([]byte(a.Val))
				hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(hashes) == 0 {
		return w
	}
	slices.Sort(hashes)
	return &styleHashes{ResponseWriter: w, hashes: strings.Join(slices.Compact(hashes), " ")}
}

// styleHashes adds style attributes' hashes to the page's policy as its
// status is written.
type styleHashes struct {
	http.ResponseWriter
	hashes string
}

func (s *styleHashes) WriteHeader(status int) {
	h := s.Header()
	if csp := h.Get("Content-Security-Policy"); strings.Contains(csp, "style-src 'self';") {
		h.Set("Content-Security-Policy", strings.Replace(csp, "style-src 'self';", "style-src 'self' 'unsafe-hashes' "+s.hashes+";", 1))
	}
	s.ResponseWriter.WriteHeader(status)
}

// emailField is the form field an error is about: subject or body (an
// error naming neither is shown with the body).
func emailField(err error) string {
	if f := onboardiq.ErrorField(err); f == "subject" {
		return f
	}
	return "body"
}

// emailForm reads the form's subject and body.
func emailForm(r *http.Request) *emailEditData {
	return &emailEditData{Subject: r.FormValue("subject"), Body: strings.ReplaceAll(r.FormValue("body"), "\r\n", "\n")}
}

// emailTemplateSave saves the typed subject and body (admins); text the
// kind cannot send comes back beside its field, as typed.
func (h *Handler) emailTemplateSave(w http.ResponseWriter, r *http.Request) error {
	f := emailForm(r)
	t, err := h.DB.SetEmailTemplate(r.Context(), r.PathValue("kind"), f.Subject, f.Body)
	if err != nil {
		if !aboutInput(err) {
			return err
		}
		return h.emailPage(w, r, http.StatusUnprocessableEntity, f, err, "")
	}
	h.redirectFlash(w, r, "/app/settings/emails/"+t.Kind, "Saved the email “"+t.Label+"”: contacts get it from now on.")
	return nil
}

// emailTemplatePreview shows the typed text as the contact would get it,
// on the same page, the text kept (nothing is saved); text the kind cannot
// send comes back beside its field.
func (h *Handler) emailTemplatePreview(w http.ResponseWriter, r *http.Request) error {
	return h.emailPage(w, r, http.StatusOK, emailForm(r), nil, "")
}

// emailTemplateTest sends the admin the typed text, rendered, and shows
// the page again with the text kept: it is not saved, and a redirect
// would lose it.
func (h *Handler) emailTemplateTest(w http.ResponseWriter, r *http.Request) error {
	f := emailForm(r)
	s, b := f.Subject, f.Body
	if _, err := h.DB.SendTestEmail(r.Context(), r.PathValue("kind"), &s, &b); err != nil {
		if !aboutInput(err) {
			return err
		}
		return h.emailPage(w, r, http.StatusUnprocessableEntity, f, err, "")
	}
	p := onboardiq.PrincipalFromContext(r.Context())
	return h.emailPage(w, r, http.StatusOK, f, nil, fmt.Sprintf("A test email is on its way to %s (see the delivery log in the settings). The text below is not saved yet.", p.Email))
}

// emailTemplateReset drops the workspace's version of a kind (admins).
func (h *Handler) emailTemplateReset(w http.ResponseWriter, r *http.Request) error {
	t, err := h.DB.ResetEmailTemplate(r.Context(), r.PathValue("kind"))
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app/settings/emails/"+t.Kind, "The email “"+t.Label+"” is the default again.")
	return nil
}

// contactRulesForm is the settings page's form of when reminders go to
// contacts (admins): the saved values, or what was typed when refused.
type contactRulesForm struct {
	Values       map[string]string // by field name
	Field, Error string
}

// contactRuleFields are the form's fields, in order, with their words.
var contactRuleFields = []struct{ Name, Label, Hint string }{
	{"due_soon_days", "Remind of a task this many days before it is due", "0: never"},
	{"overdue_every_days", "Remind of an overdue task every this many days", ""},
	{"overdue_max", "…at most this many times", "0: never"},
	{"digest_weekday", "Weekly progress email on", ""},
	{"digest_hour", "…at this hour, in each contact's time zone", ""},
	{"reengage_days", "Nudge a customer after this many days without activity on an open project", "0: never"},
	{"daily_cap", "At most this many emails to one contact in 24 hours", "sign-in links apart"},
}

var weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func newContactRulesForm(c *onboardiq.ContactEmailSettings) contactRulesForm {
	if c == nil {
		d := onboardiq.DefaultContactEmails
		c = &d
	}
	v := map[string]int{"due_soon_days": c.DueSoonDays, "overdue_every_days": c.OverdueEveryDays, "overdue_max": c.OverdueMax,
		"digest_weekday": c.DigestWeekday, "digest_hour": c.DigestHour, "reengage_days": c.ReengageDays, "daily_cap": c.DailyCap}
	f := contactRulesForm{Values: map[string]string{}}
	for k, n := range v {
		f.Values[k] = strconv.Itoa(n)
	}
	return f
}

// Err is the error of field, for the template.
func (f contactRulesForm) Err(field string) string {
	if f.Field == field {
		return f.Error
	}
	return ""
}

// Fields are the form's fields with their values, for the template.
func (f contactRulesForm) Fields() []contactRuleField {
	var out []contactRuleField
	for _, c := range contactRuleFields {
		out = append(out, contactRuleField{Name: c.Name, Label: c.Label, Hint: c.Hint, Value: f.Values[c.Name], Error: f.Err(c.Name)})
	}
	return out
}

// contactRuleField is one field of the form.
type contactRuleField struct {
	Name, Label, Hint, Value, Error string
}

// Weekdays are the weekday select's options.
func (contactRuleField) Weekdays() []string { return weekdays }

// Hours are the hour select's options.
func (contactRuleField) Hours() []string {
	out := make([]string, 24)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// Summary is the rules in words, for those who may only read them.
func (f contactRulesForm) Summary() string {
	v := f.Values
	day, _ := strconv.Atoi(v["digest_weekday"])
	return fmt.Sprintf("Reminders %s days before a task is due, then every %s days while overdue (at most %s times); the weekly progress email on %s at %s:00; "+
		"a nudge after %s days without customer activity; at most %s emails a day to one contact (0 days: never).",
		v["due_soon_days"], v["overdue_every_days"], v["overdue_max"], weekdays[day%7], v["digest_hour"], v["reengage_days"], v["daily_cap"])
}

// contactRulesSave saves when reminders go to contacts (admins), keeping
// the workspace's other notification settings; a value out of range comes
// back beside its field, the typed values kept.
func (h *Handler) contactRulesSave(w http.ResponseWriter, r *http.Request) error {
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.ManageSettings); err != nil {
		return err
	}
	typed := contactRulesForm{Values: map[string]string{}}
	nums := map[string]int{}
	var bad error
	for _, c := range contactRuleFields {
		s := strings.TrimSpace(r.FormValue(c.Name))
		typed.Values[c.Name] = s
		n, err := strconv.Atoi(s)
		if err != nil && bad == nil {
			bad = onboardiq.Invalid(c.Name, "must be a whole number")
		}
		nums[c.Name] = n
	}
	ctx := r.Context()
	if bad == nil {
		s, err := h.DB.GetNotificationSettings(ctx)
		if err != nil {
			return err
		}
		s.ContactEmails = &onboardiq.ContactEmailSettings{DueSoonDays: nums["due_soon_days"], OverdueEveryDays: nums["overdue_every_days"],
			OverdueMax: nums["overdue_max"], DigestWeekday: nums["digest_weekday"], DigestHour: nums["digest_hour"],
			ReengageDays: nums["reengage_days"], DailyCap: nums["daily_cap"]}
		if _, err := h.DB.SetNotificationSettings(ctx, s); err != nil {
			if !aboutInput(err) {
				return err
			}
			bad = err
		}
	}
	if bad != nil {
		typed.Field = strings.TrimPrefix(onboardiq.ErrorField(bad), "contact_emails.")
		typed.Error = onboardiq.ErrorMessage(bad)
		return h.settingsPage(w, r, http.StatusUnprocessableEntity, func(d *settingsData) { d.Rules = typed })
	}
	h.redirectFlash(w, r, "/app/settings#contact-emails", "Saved when emails go to contacts.")
	return nil
}
