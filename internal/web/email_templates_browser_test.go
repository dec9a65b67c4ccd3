package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// TestEmailTemplateEditorInBrowser: an admin opens "Task due soon" from the
// settings, types a body, inserts a variable with its button, previews
// (the page comes back with the typed text shown as the contact would get
// it, in the sandboxed frame and as text), and saves.
func TestEmailTemplateEditorInBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "alex.morgan@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#inbox")),
		chromedp.Navigate(a.url+"/app/settings"),
		chromedp.Click(chromedp.CSS("#email-templates-link")),
		chromedp.WaitVisible(chromedp.CSS("#email-templates")),
		chromedp.Click(chromedp.CSS(`#email-task_due_soon a`)),
		chromedp.WaitVisible(chromedp.CSS("form#email-form")),
		// The script shows the Insert buttons.
		chromedp.WaitVisible(chromedp.CSS(`button.insert-var[data-var="contact_first_name"]`)),
		chromedp.Clear(chromedp.CSS("#body")),
		chromedp.SendKeys(chromedp.CSS("#body"), "Dear "),
		chromedp.Click(chromedp.CSS(`button.insert-var[data-var="contact_first_name"]`)),
		chromedp.SendKeys(chromedp.CSS("#body"), ", **typed in the browser** for {{customer_name}}."),
		chromedp.Click(chromedp.CSS("#email-preview")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The page before the click previews the saved text too: wait for the
	// page the preview's POST answers, which previews the typed one.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#preview-text") || {}).textContent || ""`)); err == nil && strings.Contains(got, "typed in the browser") {
			break
		}
	}
	if body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#body").value`)); err != nil || body != "Dear {{contact_first_name}}, **typed in the browser** for {{customer_name}}." {
		t.Errorf("the typed body after the preview: %q %v", body, err)
	}
	if got := text(t, ctx, "#preview-text"); !strings.Contains(got, "Dear Dana, typed in the browser for Globex.") {
		t.Errorf("the preview's text: %q", got)
	}
	src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#preview-html").srcdoc`))
	if err != nil || !strings.Contains(src, "<strong>typed in the browser</strong>") {
		t.Errorf("the preview's HTML: %q %v", src, err)
	}
	if h, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("#preview-html").getBoundingClientRect().height`)); err != nil || h < 100 {
		t.Errorf("the preview's frame is %d px high (%v)", h, err)
	}
	screenshot(t, ctx, "email-template-preview")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#email-save")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if s := savedTemplate(t, a, "task_due_soon"); s != "Due {{task_due}}: {{task_title}}" {
		t.Errorf("the saved subject: %q", s)
	}
	var body string
	actScan(t, a, `SELECT body FROM email_templates WHERE kind = 'task_due_soon'`, nil, &body)
	if body != "Dear {{contact_first_name}}, **typed in the browser** for {{customer_name}}." {
		t.Errorf("the saved body: %q", body)
	}
	if state := text(t, ctx, "#email-state"); !strings.Contains(state, "Your own text") {
		t.Errorf("after saving: %q", state)
	}
}

// TestPortalPreferencesInBrowser: a contact follows the footer's link to
// their email preferences, turns the weekly email off, picks a time zone,
// saves, and sees their choices kept.
func TestPortalPreferencesInBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/portal/acme/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), "hannah.becker@globex.example"),
		chromedp.Submit(chromedp.CSS("#magic")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.Navigate(a.url+"/dev/mailbox?workspace=acme"),
		chromedp.Click(chromedp.CSS("tr.mail a.link")),
		chromedp.WaitVisible(chromedp.CSS("#continue")),
		chromedp.Click(chromedp.CSS("#continue button")),
		chromedp.WaitVisible(chromedp.CSS("section.project")),
		chromedp.Click(chromedp.CSS("#email-preferences-link")),
		chromedp.WaitVisible(chromedp.CSS("form#prefs-form")),
		chromedp.Click(chromedp.CSS("#pref-weekly_digest")),
		chromedp.SendKeys(chromedp.CSS("#time_zone"), "America/Chicago"),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "portal-preferences")
	err = chromedp.Do(ctx,
		chromedp.Submit(chromedp.CSS("form#prefs-form")),
		chromedp.WaitVisible(chromedp.CSS("#prefs-saved")),
	)
	if err != nil {
		t.Fatal(err)
	}
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`[document.querySelector("#pref-weekly_digest").checked, document.querySelector("#pref-milestone").checked, document.querySelector("#pref-invitation").checked]`))
	if err != nil || len(checked) != 3 || checked[0] || !checked[1] || !checked[2] {
		t.Errorf("after saving, weekly/milestone/invitation checked: %v %v", checked, err)
	}
	if tz, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#time_zone").value`)); err != nil || tz != "America/Chicago" {
		t.Errorf("the time zone: %q %v", tz, err)
	}
	if off := offKinds(t, a, "hannah.becker@globex.example"); len(off) != 1 || off[0] != "weekly_digest" {
		t.Errorf("turned off: %v", off)
	}
}
