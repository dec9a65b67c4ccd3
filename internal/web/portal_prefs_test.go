package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// offKinds are the kinds of email the contact email has turned off.
func offKinds(t *testing.T, a *app, email string) []string {
	t.Helper()
	var off []string
	actScan(t, a, `SELECT coalesce(array_agg(np.kind ORDER BY np.kind), '{}') FROM notification_preferences np
JOIN tenant_users u ON u.tenant_id = np.tenant_id AND u.user_id = np.user_id WHERE u.email = $1 AND np.email = 'off'`, []any{email}, &off)
	return off
}

// TestPortalPreferencesPage: a contact turns a kind of email off and sets
// their time zone; a time zone that is none comes back beside its field
// with the boxes as ticked, and nothing changes; sign-in mail is always
// on; the portal's pages link the page; staff and other sites cannot use
// it.
func TestPortalPreferencesPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const email = "hannah.becker@globex.example"
	c := actPortalClient(t, a, email)
	home := get(t, c, a.url+"/portal/acme")
	if links := home.all(`footer a#email-preferences-link[href="/portal/acme/preferences"]`); len(links) != 1 {
		t.Error("the portal does not link the email preferences")
	}
	p := get(t, c, a.url+"/portal/acme/preferences")
	labelledIn(t, p, "form#prefs-form")
	if in := p.all("input#pref-invitation"); len(in) != 1 || attr(in[0], "name") != "" || !hasAttr(in[0], "disabled") {
		t.Error("sign-in mail is not shown as always on")
	}
	if n, all := len(p.all(`input[name="on"][checked]`)), len(mailtemplate.OptionalKinds()); n != all {
		t.Errorf("%d kinds on, want all %d", n, all)
	}
	// Every kind but the due-soon reminder, with a time zone that is none.
	form := url.Values{"on": {"welcome", "task_assigned", "task_overdue", "weekly_digest", "milestone", "reengagement", "csm_replied", "contact_mentioned",
		"survey_csat", "survey_nps"},
		"time_zone": {"Mars/Olympus"}}
	bad := post(t, c, a.url+"/portal/acme/preferences", form, a.url)
	tz := bad.all("input#time_zone")
	if bad.status != http.StatusUnprocessableEntity || len(bad.all("p.error#error-time_zone")) != 1 || len(tz) != 1 || attr(tz[0], "value") != "Mars/Olympus" ||
		attr(tz[0], "aria-describedby") != "error-time_zone" {
		t.Fatalf("a bad time zone: %d", bad.status)
	}
	if hasAttr(bad.all("input#pref-task_due_soon")[0], "checked") || !hasAttr(bad.all("input#pref-welcome")[0], "checked") {
		t.Error("the boxes are not kept as ticked")
	}
	if off := offKinds(t, a, email); len(off) != 0 {
		t.Errorf("a refused form turned off %v", off)
	}
	// From another site: refused.
	form.Set("time_zone", "Europe/Berlin")
	if p := post(t, c, a.url+"/portal/acme/preferences", form, "https://evil.example"); p.status != http.StatusForbidden || len(offKinds(t, a, email)) != 0 {
		t.Errorf("a cross-origin post: %d", p.status)
	}
	ok := post(t, c, a.url+"/portal/acme/preferences", form, a.url)
	if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/portal/acme/preferences?saved=1" {
		t.Fatalf("save: %d %s", ok.status, ok.header.Get("Location"))
	}
	if off := offKinds(t, a, email); !slices.Equal(off, []string{"task_due_soon"}) {
		t.Errorf("turned off: %v", off)
	}
	var zone string
	actScan(t, a, `SELECT time_zone FROM tenant_users WHERE email = $1`, []any{email}, &zone)
	if zone != "Europe/Berlin" {
		t.Errorf("the time zone: %q", zone)
	}
	again := get(t, c, a.url+"/portal/acme/preferences?saved=1")
	if len(again.all("#prefs-saved")) != 1 || hasAttr(again.all("input#pref-task_due_soon")[0], "checked") || attr(again.all("input#time_zone")[0], "value") != "Europe/Berlin" {
		t.Error("the page does not show what was saved")
	}
	// Staff have no portal preferences: they are sent to sign in to it.
	staff := signIn(t, a, roleEmails["admin"])
	refused(t, "an admin opens a contact's preferences", get(t, staff, a.url+"/portal/acme/preferences"))
	refused(t, "an admin saves a contact's preferences", post(t, staff, a.url+"/portal/acme/preferences", form, a.url))
}

// unsubscribeToken is the token of the unsubscribe link of kind in an
// email to the demo contact email (or, with tenant, a contact of that
// tenant).
func unsubscribeToken(t *testing.T, a *app, tenant uuid.UUID, email, kind string) string {
	t.Helper()
	var token string
	err := a.db.App.InTenant(context.Background(), tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var user uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE email = $1`, email).Scan(&user); err != nil {
			return err
		}
		token = tx.UnsubscribeToken(user, kind)
		return nil
	})
	if err != nil || token == "" {
		t.Fatalf("unsubscribe token: %v", err)
	}
	return token
}

// TestUnsubscribeLink: the link's page asks and changes nothing (a mail
// scanner opens it); its buttons turn the kind, or every optional kind,
// off; the one-click POST a mail provider sends from elsewhere, without
// cookies, works and answers 200; a tampered token, or another
// workspace's, is not found and changes nothing.
func TestUnsubscribeLink(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const email = "hannah.becker@globex.example"
	due := unsubscribeToken(t, a, a.demo.TenantID, email, "task_due_soon")
	link := a.url + "/portal/acme/unsubscribe?token=" + url.QueryEscape(due)
	anon := client(t)
	p := get(t, anon, link)
	if p.status != 200 || !strings.Contains(p.text("#unsubscribe-question"), "Task due soon") || !strings.Contains(p.text("#unsubscribe-question"), email) ||
		len(p.all("button#unsubscribe-one")) != 1 || len(p.all(`button#unsubscribe-all[name="all"][value="1"]`)) != 1 || len(p.all(`a[href="/portal/acme/preferences"]`)) == 0 {
		t.Fatalf("the link's page: %d %q", p.status, p.text("main"))
	}
	if p.header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the page may send its token on as a referrer")
	}
	if off := offKinds(t, a, email); len(off) != 0 {
		t.Errorf("opening the link turned off %v", off)
	}
	// The page's button.
	token := attr(p.all(`form#unsubscribe-form input[name="token"]`)[0], "value")
	done := post(t, anon, a.url+"/portal/acme/unsubscribe", url.Values{"token": {token}}, a.url)
	if done.status != 200 || !strings.Contains(done.text("#unsubscribed"), "no more “Task due soon” emails") {
		t.Errorf("unsubscribe: %d %q", done.status, done.text("main"))
	}
	if off := offKinds(t, a, email); !slices.Equal(off, []string{"task_due_soon"}) {
		t.Errorf("after the button: %v", off)
	}

	// One click (RFC 8058), as a mail provider sends it: another origin,
	// no cookies, the token in the query.
	digest := unsubscribeToken(t, a, a.demo.TenantID, email, "weekly_digest")
	req, _ := http.NewRequest(http.MethodPost, a.url+"/portal/acme/unsubscribe?token="+url.QueryEscape(digest), strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://mail.provider.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("one-click: %d", resp.StatusCode)
	}
	if off := offKinds(t, a, email); !slices.Equal(off, []string{"task_due_soon", "weekly_digest"}) {
		t.Errorf("after one click: %v", off)
	}

	// A tampered token, and one of another workspace: not found, nothing
	// changed.
	other, err := a.db.App.CreateTenant(context.Background(), onboardiq.NewTenant{Name: "Bolt", Slug: "bolt", AdminEmail: "admin@bolt.example", AdminName: "Bo"})
	if err != nil {
		t.Fatal(err)
	}
	boltAdmin := onboardiq.NewContextWithPrincipal(context.Background(), &onboardiq.Principal{TenantID: other.Tenant.ID, UserID: other.Admin.ID, Role: onboardiq.RoleAdmin})
	bc, err := a.db.App.CreateCustomer(boltAdmin, onboardiq.NewCustomer{Name: "Bolt's customer"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.App.CreateUser(boltAdmin, onboardiq.NewUser{Email: "zoe@boltcustomer.example", Name: "Zoe", Role: onboardiq.RoleCustomer, CustomerID: &bc.ID}); err != nil {
		t.Fatal(err)
	}
	foreign := unsubscribeToken(t, a, other.Tenant.ID, "zoe@boltcustomer.example", "milestone")
	milestone := unsubscribeToken(t, a, a.demo.TenantID, email, "milestone")
	tampered := []byte(milestone)
	if tampered[10] == 'A' {
		tampered[10] = 'B'
	} else {
		tampered[10] = 'A'
	}
	for name, tok := range map[string]string{"tampered": string(tampered), "another workspace's": foreign, "empty": ""} {
		if p := get(t, anon, a.url+"/portal/acme/unsubscribe?token="+url.QueryEscape(tok)); p.status != http.StatusNotFound {
			t.Errorf("a %s token's page: %d", name, p.status)
		}
		if p := post(t, anon, a.url+"/portal/acme/unsubscribe", url.Values{"token": {tok}, "all": {"1"}}, ""); p.status != http.StatusNotFound {
			t.Errorf("a %s token posted: %d", name, p.status)
		}
	}
	if off := offKinds(t, a, email); !slices.Equal(off, []string{"task_due_soon", "weekly_digest"}) {
		t.Errorf("after the bad tokens: %v", off)
	}
	var zoeOff int
	if err := a.db.App.InTenant(context.Background(), other.Tenant.ID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM notification_preferences WHERE email = 'off'`).Scan(&zoeOff)
	}); err != nil || zoeOff != 0 {
		t.Errorf("another workspace's contact: %d kinds off (%v)", zoeOff, err)
	}
	// Its own portal takes it.
	if p := get(t, anon, a.url+"/portal/bolt/unsubscribe?token="+url.QueryEscape(foreign)); p.status != 200 {
		t.Errorf("bolt's token at bolt's portal: %d", p.status)
	}

	// All optional kinds at once; sign-in mail stays.
	p = post(t, anon, a.url+"/portal/acme/unsubscribe", url.Values{"token": {milestone}, "all": {"1"}}, a.url)
	if p.status != 200 || !strings.Contains(p.text("#unsubscribed"), "no more optional emails") {
		t.Errorf("all: %d %q", p.status, p.text("main"))
	}
	if off := offKinds(t, a, email); len(off) != len(mailtemplate.OptionalKinds()) || slices.Contains(off, "invitation") {
		t.Errorf("after all: %v", off)
	}
	// Only this route is open to other sites.
	c := actPortalClient(t, a, "omar.aziz@globex.example")
	if p := post(t, c, a.url+"/portal/acme/preferences", url.Values{"time_zone": {"UTC"}}, "https://mail.provider.example"); p.status != http.StatusForbidden {
		t.Errorf("the preferences from another site: %d", p.status)
	}
}
