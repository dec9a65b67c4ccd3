package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// savedTemplate is the subject the workspace saved for kind, or "" for none.
func savedTemplate(t *testing.T, a *app, kind string) string {
	t.Helper()
	var s string
	actScan(t, a, `SELECT coalesce((SELECT subject FROM email_templates WHERE kind = $1), '')`, []any{kind}, &s)
	return s
}

// TestEmailTemplateEditor: an admin previews typed text (shown as the
// contact would get it, nothing saved), is refused text the kind cannot
// send beside its field with the text kept, saves, sends a test, and
// resets; a cross-origin post changes nothing.
func TestEmailTemplateEditor(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["admin"])
	settings := get(t, c, a.url+"/app/settings")
	if links := settings.all(`a#email-templates-link[href="/app/settings/emails"]`); len(links) != 1 {
		t.Fatal("the settings page does not link the emails to contacts")
	}
	list := get(t, c, a.url+"/app/settings/emails")
	labelled(t, "the emails' list", list)
	if n, all := len(list.all(`#email-templates tbody tr a[href^="/app/settings/emails/"]`)), len(mailtemplate.Kinds); n != all {
		t.Fatalf("%d kinds listed, want %d", n, all)
	}
	const kind = "/app/settings/emails/task_due_soon"
	edit := get(t, c, a.url+kind)
	if edit.status != 200 || len(edit.all("form#email-form")) != 1 {
		t.Fatalf("the editor: %d", edit.status)
	}
	labelled(t, "the editor", edit)
	if src := attr(edit.all("iframe#preview-html")[0], "srcdoc"); !strings.Contains(src, "<strong>Send the SSO metadata</strong>") || attr(edit.all("iframe#preview-html")[0], "sandbox") != "" {
		t.Errorf("the saved text's preview: %q", src)
	}
	// The page's policy lets the frame show the email's own inline
	// styles, exactly those, and nothing else inline.
	csp := edit.header.Get("Content-Security-Policy")
	want := styleHashes(t, attr(edit.all("iframe#preview-html")[0], "srcdoc"))
	if len(want) < 3 || !strings.Contains(csp, "style-src 'self' 'unsafe-hashes' "+strings.Join(want, " ")+";") || strings.Contains(csp, "unsafe-inline") ||
		!strings.Contains(csp, "script-src 'self';") {
		t.Errorf("the editor's policy %q, want the email's style hashes %v", csp, want)
	}
	if other := list.header.Get("Content-Security-Policy"); strings.Contains(other, "unsafe-hashes") {
		t.Errorf("another page's policy: %q", other)
	}
	if n := len(edit.all(`button.insert-var[data-var="task_title"]`)); n != 1 {
		t.Errorf("%d insert buttons for task_title", n)
	}

	// Preview: the typed text, rendered; nothing saved.
	typed := url.Values{"subject": {"Soon: {{task_title}}"}, "body": {"Hi {{contact_name}}, <b>typed</b> *text* for {{customer_name}}."}}
	pv := post(t, c, a.url+kind+"/preview", typed, a.url)
	if pv.status != 200 || pv.text("#preview-subject") != "Soon: Send the SSO metadata" || !strings.Contains(pv.text("#preview-text"), "Hi Dana Reyes, <b>typed</b> *text* for Globex.") {
		t.Errorf("the preview (%d): subject %q, text %q", pv.status, pv.text("#preview-subject"), pv.text("#preview-text"))
	}
	src := attr(pv.all("iframe#preview-html")[0], "srcdoc")
	if !strings.Contains(src, "<em>text</em>") || strings.Contains(src, "<b>typed</b>") {
		t.Errorf("the preview's HTML: %s", src)
	}
	if pv.text("textarea#body") != typed.Get("body") || attr(pv.all("input#subject")[0], "value") != typed.Get("subject") {
		t.Errorf("the typed text is not kept: %q", pv.text("textarea#body"))
	}
	if s := savedTemplate(t, a, "task_due_soon"); s != "" {
		t.Errorf("a preview saved %q", s)
	}

	// A refusal: beside its field, the text kept, nothing saved.
	for field, form := range map[string]url.Values{
		"body":    {"subject": {"Soon"}, "body": {"Hello {{contact_nmae}}"}},
		"subject": {"subject": {"{{open_tasks}}"}, "body": {"Hello"}},
	} {
		for _, action := range []string{"", "/preview", "/test"} {
			p := post(t, c, a.url+kind+action, form, a.url)
			errs := p.all("p.error#error-" + field)
			in := p.all("#" + field)
			if p.status != http.StatusUnprocessableEntity || len(errs) != 1 || len(in) != 1 || attr(in[0], "aria-invalid") != "true" || attr(in[0], "aria-describedby") != "error-"+field {
				t.Errorf("%s%s with a bad %s: %d, errors %d", kind, action, field, p.status, len(errs))
				continue
			}
			if p.text("textarea#body") != form.Get("body") || attr(p.all("input#subject")[0], "value") != form.Get("subject") {
				t.Errorf("%s%s: the typed text is not kept", kind, action)
			}
		}
	}
	if s := savedTemplate(t, a, "task_due_soon"); s != "" {
		t.Errorf("a refused text was saved: %q", s)
	}
	// Another site's form changes nothing.
	if p := post(t, c, a.url+kind, typed, "https://evil.example"); p.status != http.StatusForbidden || savedTemplate(t, a, "task_due_soon") != "" {
		t.Errorf("a cross-origin save: %d", p.status)
	}

	// Save, then the page says it is the workspace's own.
	p := post(t, c, a.url+kind, typed, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != kind {
		t.Fatalf("save: %d %s", p.status, p.header.Get("Location"))
	}
	if s := savedTemplate(t, a, "task_due_soon"); s != "Soon: {{task_title}}" {
		t.Errorf("saved %q", s)
	}
	after := get(t, c, a.url+kind)
	if !strings.Contains(after.text(".flash"), "Saved") || !strings.Contains(after.text("#email-state"), "Alex Morgan") || len(after.all("form#email-reset")) != 1 {
		t.Errorf("after saving: flash %q, state %q", after.text(".flash"), after.text("#email-state"))
	}

	// A test: the page again, the text kept, and a delivery to the admin.
	test := url.Values{"subject": {"Testing {{task_title}}"}, "body": {"Just a test."}}
	p = post(t, c, a.url+kind+"/test", test, a.url)
	if p.status != 200 || !strings.Contains(p.text(".flash"), "alex.morgan@acme.example") || p.text("textarea#body") != "Just a test." {
		t.Errorf("test: %d %q", p.status, p.text(".flash"))
	}
	var n int
	actScan(t, a, `SELECT count(*) FROM deliveries WHERE event_type = 'test' AND recipient = 'alex.morgan@acme.example' AND payload->>'subject' = 'Testing Send the SSO metadata'`, nil, &n)
	if n != 1 {
		t.Errorf("%d test deliveries", n)
	}
	if s := savedTemplate(t, a, "task_due_soon"); s != "Soon: {{task_title}}" {
		t.Errorf("a test changed the saved text to %q", s)
	}

	// Reset.
	if p := post(t, c, a.url+kind+"/reset", nil, a.url); p.status != http.StatusSeeOther || savedTemplate(t, a, "task_due_soon") != "" {
		t.Errorf("reset: %d", p.status)
	}
	if p := get(t, c, a.url+"/app/settings/emails/nope"); p.status != http.StatusNotFound {
		t.Errorf("an unknown kind: %d", p.status)
	}
}

// TestEmailTemplatesReadOnlyForStaff: staff who are not admins read the
// emails and their previews, see no control to change them, and are
// refused by the store when they post anyway; a contact is sent to the
// portal.
func TestEmailTemplatesReadOnlyForStaff(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const kind = "/app/settings/emails/milestone"
	form := url.Values{"subject": {"{{milestone}}"}, "body": {"Done."}}
	for _, role := range []string{"csm", "sales_leader", "viewer"} {
		c := signIn(t, a, roleEmails[role])
		p := get(t, c, a.url+kind)
		if p.status != 200 || len(p.all("form")) != 1 || len(p.all("form#email-form, form#email-reset, button.insert-var")) != 0 { // the one form: sign out
			t.Errorf("%s sees controls (%d): %d forms", role, p.status, len(p.all("form")))
		}
		if !strings.Contains(p.text("#email-body-text"), "{{milestone}}") || len(p.all("iframe#preview-html")) != 1 {
			t.Errorf("%s does not read the text and its preview", role)
		}
		for _, action := range []string{"", "/test", "/reset"} {
			refused(t, role+" posts "+kind+action, post(t, c, a.url+kind+action, form, a.url))
		}
		settings := get(t, c, a.url+"/app/settings")
		if len(settings.all("form#contact-rules")) != 0 || !strings.Contains(settings.text("#contact-rules-summary"), "Reminders 2 days before") {
			t.Errorf("%s: the rules form is shown, or no summary: %q", role, settings.text("#contact-rules-summary"))
		}
		refused(t, role+" saves the rules", post(t, c, a.url+"/app/settings/contact-emails", url.Values{"daily_cap": {"5"}}, a.url))
	}
	if s := savedTemplate(t, a, "milestone"); s != "" {
		t.Errorf("saved by a non-admin: %q", s)
	}
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	refused(t, "a contact opens the emails", get(t, contact, a.url+kind))
	refused(t, "a contact saves an email", post(t, contact, a.url+kind, form, a.url))
}

// TestContactRulesForm: the admin's form of when emails go to contacts
// saves through the notification settings, keeping the rest; a value out
// of range comes back beside its field with the typed values.
func TestContactRulesForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["admin"])
	settings := get(t, c, a.url+"/app/settings")
	labelledIn(t, settings, "form#contact-rules")
	form := url.Values{"due_soon_days": {"4"}, "overdue_every_days": {"2"}, "overdue_max": {"5"}, "digest_weekday": {"5"},
		"digest_hour": {"16"}, "reengage_days": {"10"}, "daily_cap": {"0"}}
	p := post(t, c, a.url+"/app/settings/contact-emails", form, a.url)
	in := p.all("input#ce-daily_cap")
	if p.status != http.StatusUnprocessableEntity || len(p.all("#error-ce-daily_cap")) != 1 || len(in) != 1 || attr(in[0], "aria-describedby") != "error-ce-daily_cap" {
		t.Fatalf("a cap of 0: %d", p.status)
	}
	if attr(in[0], "value") != "0" || attr(p.all("input#ce-due_soon_days")[0], "value") != "4" || attr(p.all(`#ce-digest_hour option[selected]`)[0], "value") != "16" {
		t.Error("the typed values are not kept")
	}
	form.Set("daily_cap", "many")
	if p := post(t, c, a.url+"/app/settings/contact-emails", form, a.url); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-ce-daily_cap"), "whole number") {
		t.Errorf("a cap of many: %d %q", p.status, p.text("#error-ce-daily_cap"))
	}
	var cap, hour int
	var tz string
	actScan(t, a, `SELECT contact_daily_cap, contact_digest_hour, time_zone FROM tenants`, nil, &cap, &hour, &tz)
	if cap != 10 || hour != 9 {
		t.Errorf("refused values were saved: cap %d, hour %d", cap, hour)
	}
	form.Set("daily_cap", "3")
	if p := post(t, c, a.url+"/app/settings/contact-emails", form, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin post: %d", p.status)
	}
	if p := post(t, c, a.url+"/app/settings/contact-emails", form, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.status)
	}
	var due, weekday int
	var tzAfter string
	actScan(t, a, `SELECT contact_daily_cap, contact_digest_hour, contact_due_soon_days, contact_digest_weekday, time_zone FROM tenants`, nil, &cap, &hour, &due, &weekday, &tzAfter)
	if cap != 3 || hour != 16 || due != 4 || weekday != 5 || tzAfter != tz {
		t.Errorf("saved: cap %d, hour %d, due %d, weekday %d, time zone %q (was %q)", cap, hour, due, weekday, tzAfter, tz)
	}
}

// TestBouncedContactIsMarked: a contact whose address bounced is marked on
// the customer's page with the reason; changing the address clears it.
func TestBouncedContactIsMarked(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["csm"])
	var contact string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'omar.aziz@globex.example'`, nil, &contact)
	actExec(t, a, `UPDATE tenant_users SET undeliverable_at = now(), undeliverable_reason = '550 5.1.1 no such user' WHERE user_id = $1`, contact)
	customer := "/app/customers/" + a.customerID(t, "Globex Logistics")
	p := get(t, c, a.url+customer)
	if mark := p.text("#contact-" + contact + " .pill.bounced"); mark != "email bounced" || !strings.Contains(p.text("#bounce-reason-"+contact), "550 5.1.1 no such user") {
		t.Errorf("the mark: %q, the reason %q", mark, p.text("#bounce-reason-"+contact))
	}
	if n := len(p.all(".pill.bounced")); n != 1 {
		t.Errorf("%d contacts marked, want 1", n)
	}
	if p := post(t, c, a.url+customer+"/contacts/"+contact, url.Values{"name": {"Omar Aziz"}, "email": {"omar@globex.example"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("change the address: %d", p.status)
	}
	if p := get(t, c, a.url+customer); len(p.all(".pill.bounced")) != 0 {
		t.Error("the mark stays after the address changed")
	}
}

// styleHashes are the CSP hashes of the style attributes of an HTML
// document, sorted, each once.
func styleHashes(t *testing.T, doc string) []string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range (page{doc: root}).all("[style]") {
		sum := sha256.Sum256([]byte(attr(n, "style")))
		out = append(out, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	slices.Sort(out)
	return slices.Compact(out)
}
