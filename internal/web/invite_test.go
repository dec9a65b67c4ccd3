package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// TestInviteTeamMemberForm: the admin's "Invite a team member" form has a
// label for every field; a bad value comes back 422 with the error beside
// its field and the typed input kept; a cross-origin POST is refused;
// other roles neither see the form nor may send it; an invitation shows
// the user as invited, with a "Resend invitation" button.
func TestInviteTeamMemberForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, "alex.morgan@acme.example")
	settings := get(t, admin, a.url+"/app/settings")
	if len(settings.all("form#invite")) != 1 {
		t.Fatal("the admin's settings have no invitation form")
	}
	for _, id := range []string{"new-email", "new-name", "new-role"} {
		if len(settings.all("form#invite #"+id)) != 1 || len(settings.all("label[for="+id+"]")) != 1 {
			t.Errorf("the invitation form's %s has no label", id)
		}
	}
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"email": {"new.person@acme.example"}, "name": {"New Person"}, "role": {"customer"}}, "role"},
		{url.Values{"email": {"priya.shah@acme.example"}, "name": {"New Person"}, "role": {"csm"}}, "email"},
		{url.Values{"email": {"new.person@acme.example"}, "name": {" "}, "role": {"csm"}}, "name"},
	} {
		p := post(t, admin, a.url+"/app/settings/users", tc.form, a.url)
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d, want 422", tc.form, p.status)
			continue
		}
		if p.text("form#invite #error-"+tc.field) == "" {
			t.Errorf("%v: no error beside %s", tc.form, tc.field)
		}
		ctl := "new-" + tc.field
		if n := p.all("form#invite #" + ctl); len(n) != 1 || attr(n[0], "aria-invalid") != "true" || attr(n[0], "aria-describedby") != "error-"+tc.field {
			t.Errorf("%v: %s not marked invalid", tc.form, ctl)
		}
		if n := p.all("form#invite #new-email"); len(n) != 1 || attr(n[0], "value") != tc.form.Get("email") {
			t.Errorf("%v: the typed email is not kept", tc.form)
		}
	}
	if p := post(t, admin, a.url+"/app/settings/users", url.Values{"email": {"x@acme.example"}, "name": {"X"}, "role": {"csm"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin invitation: %d", p.status)
	}
	for _, email := range []string{"priya.shah@acme.example", "dana.whitfield@acme.example", "sam.lee@acme.example"} {
		c := signIn(t, a, email)
		if p := get(t, c, a.url+"/app/settings"); len(p.all("form#invite")) != 0 || len(p.all(`form[action$="/invitation"]`)) != 0 {
			t.Errorf("%s sees the invitation controls", email)
		}
		if p := post(t, c, a.url+"/app/settings/users", url.Values{"email": {"y@acme.example"}, "name": {"Y"}, "role": {"csm"}}, a.url); p.status != http.StatusForbidden {
			t.Errorf("%s invites: %d", email, p.status)
		}
	}

	p := post(t, admin, a.url+"/app/settings/users", url.Values{"email": {"Jo.Newcomer@acme.example"}, "name": {"Jo Newcomer"}, "role": {"viewer"}}, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("inviting: %d %s", p.status, p.raw)
	}
	settings = get(t, admin, a.url+"/app/settings")
	if f := settings.text(".flash"); !strings.Contains(f, "Invitation sent to jo.newcomer@acme.example") {
		t.Errorf("the flash: %q", f)
	}
	row := ""
	for _, tr := range settings.all("#users tbody tr") {
		if s := nodeText(tr); strings.Contains(s, "jo.newcomer@acme.example") {
			row = s
		}
	}
	if !strings.Contains(row, "invited, not yet joined") || !strings.Contains(row, "Resend invitation") {
		t.Errorf("the invited user's row: %q", row)
	}
	var id string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'jo.newcomer@acme.example'`, nil, &id)
	if p := post(t, admin, a.url+"/app/settings/users/"+id+"/invitation", nil, a.url); p.status != http.StatusSeeOther {
		t.Errorf("resending: %d", p.status)
	}
	if p := post(t, signIn(t, a, "priya.shah@acme.example"), a.url+"/app/settings/users/"+id+"/invitation", nil, a.url); p.status != http.StatusForbidden {
		t.Errorf("a csm resends: %d", p.status)
	}
}

// TestSetupChecklistOnDashboard: the admin's dashboard shows the setup
// checklist with its progress while a step is left; "Hide the checklist"
// hides it for the workspace; other roles never see it.
func TestSetupChecklistOnDashboard(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	// The demo workspace has no email customised: one step is left.
	var n int
	actScan(t, a, `SELECT count(*) FROM email_templates`, nil, &n)
	if n != 0 {
		t.Fatalf("the demo customises %d emails", n)
	}
	admin := signIn(t, a, "alex.morgan@acme.example")
	dash := get(t, admin, a.url+"/app")
	if len(dash.all("#setup")) != 1 || len(dash.all("#setup progress#setup-progress")) != 1 || len(dash.all("#setup li")) != 6 {
		t.Fatalf("the admin's dashboard: no checklist")
	}
	if n := dash.all("#setup-progress"); attr(n[0], "max") != "6" {
		t.Errorf("progress max %q", attr(n[0], "max"))
	}
	if li := dash.all("#setup-emails.todo a"); len(li) != 1 || attr(li[0], "href") != "/app/settings/emails" {
		t.Errorf("the emails step is not left to do, or links elsewhere")
	}
	if len(dash.all("#setup-customer.done")) != 1 {
		t.Errorf("the demo's customers do not count")
	}
	for _, email := range []string{"priya.shah@acme.example", "dana.whitfield@acme.example", "sam.lee@acme.example"} {
		c := signIn(t, a, email)
		if p := get(t, c, a.url+"/app"); p.status != 200 || len(p.all("#setup")) != 0 {
			t.Errorf("%s sees the checklist (%d)", email, p.status)
		}
		if p := post(t, c, a.url+"/app/setup/hide", nil, a.url); p.status != http.StatusForbidden {
			t.Errorf("%s hides the checklist: %d", email, p.status)
		}
	}
	if p := post(t, admin, a.url+"/app/setup/hide", nil, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin hide: %d", p.status)
	}
	if p := post(t, admin, a.url+"/app/setup/hide", nil, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("hiding: %d", p.status)
	}
	if p := get(t, admin, a.url+"/app"); len(p.all("#setup")) != 0 {
		t.Error("the checklist shows after hiding")
	}
}

// TestInvitationInBrowser: an admin invites a colleague from the settings;
// the development mailbox holds the link; the colleague opens it, chooses
// a password and lands signed in on the dashboard.
func TestInvitationInBrowser(t *testing.T) {
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
		chromedp.SendKeys(chromedp.CSS("#new-email"), "kim.invited@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#new-name"), "Kim Invited"),
		chromedp.SetValue(chromedp.CSS("#new-role"), "csm"),
		chromedp.Submit(chromedp.CSS("form#invite")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if f := text(t, ctx, ".flash"); !strings.Contains(f, "Invitation sent to kim.invited@acme.example") {
		t.Errorf("the flash: %q", f)
	}
	screenshot(t, ctx, "invitation-sent")
	err = chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/dev/mailbox?workspace=acme"),
		chromedp.WaitVisible(chromedp.CSS("#mails")),
	)
	if err != nil {
		t.Fatal(err)
	}
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { for (const tr of document.querySelectorAll("#mails tr.mail")) { if (tr.textContent.includes("kim.invited@acme.example")) return tr.querySelector("a.link").href } return "" })()`))
	if err != nil || !strings.Contains(link, "/reset?invite=1&token=") {
		t.Fatalf("the mailbox's link: %q %v", link, err)
	}
	// The colleague's browser, not signed in.
	ctx = browser(t)
	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h := text(t, ctx, "h1"); h != "Choose your password" {
		t.Errorf("the invitation page's heading: %q", h)
	}
	screenshot(t, ctx, "invitation-choose-password")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), "kims own password"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "kims own password"),
		chromedp.Submit(chromedp.CSS(`form[action="/reset"]`)),
		chromedp.WaitVisible(chromedp.CSS("#inbox")),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil || loc != "/app" {
		t.Errorf("landed on %q %v", loc, err)
	}
	if who := text(t, ctx, `form[action="/signout"] button`); !strings.Contains(who, "Kim Invited") {
		t.Errorf("signed in as %q", who)
	}
	// The link worked once.
	var used bool
	deadline := time.Now().Add(5 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		actScan(t, a, `SELECT bool_and(used_at IS NOT NULL) FROM login_tokens t JOIN tenant_users u USING (tenant_id, user_id) WHERE u.email = 'kim.invited@acme.example'`, nil, &used)
		if used {
			break
		}
	}
	if !used {
		t.Error("the invitation link is still usable")
	}
	if _, _, err := a.db.App.SignIn(context.Background(), "acme", "kim.invited@acme.example", "kims own password"); err != nil {
		t.Errorf("signing in with the chosen password: %v", err)
	}
}
