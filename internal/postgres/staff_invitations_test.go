package postgres_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// newWorkspace is a new workspace with only its admin, as a signup leaves
// it, and another workspace's admin.
func newWorkspace(t *testing.T, slug string) (*postgres.DB, uuid.UUID, context.Context, context.Context) {
	t.Helper()
	d := testdb.New(t)
	ctx := context.Background()
	res, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Setup " + slug, Slug: slug, AdminEmail: "admin@" + slug + ".test", AdminName: "Ada Admin"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Other", Slug: "other-" + slug, AdminEmail: "admin@other.test", AdminName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	as := func(tenant, user uuid.UUID) context.Context {
		return onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: tenant, UserID: user, Role: onboardiq.RoleAdmin, Name: "Ada Admin"})
	}
	return d.App, res.Tenant.ID, as(res.Tenant.ID, res.Admin.ID), as(other.Tenant.ID, other.Admin.ID)
}

func inviteToken(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != "/reset" || u.Query().Get("invite") != "1" {
		t.Fatalf("invitation link %q: not the invitation's set-password page", link)
	}
	return u.Query().Get("token")
}

// TestInviteStaff: an admin invites a member of staff, who has no password
// and shows as invited until they choose one from the link, which signs
// them in; the link works once; a joined user's invitation is not resent.
func TestInviteStaff(t *testing.T) {
	t.Parallel()
	db, tenant, admin, other := newWorkspace(t, "invites")
	ctx := context.Background()
	u, sent, err := db.InviteStaff(admin, onboardiq.NewUser{Email: "Sam@Invites.test", Name: " Sam Ortiz ", Role: onboardiq.RoleCSM}, "https://app.test")
	if err != nil {
		t.Fatal(err)
	}
	if !u.Invited || u.Email != "sam@invites.test" || u.Role != onboardiq.RoleCSM {
		t.Fatalf("invited user = %+v", u)
	}
	if !strings.HasPrefix(sent.URL, "https://app.test/reset?invite=1&token=") || !strings.Contains(sent.Subject, "Setup invites") {
		t.Fatalf("sent = %+v", sent)
	}
	token := inviteToken(t, sent.URL)

	// The email is queued with the token's id, never the token; the link
	// lasts 7 days; the token is stored hashed.
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var payload string
		var expires time.Time
		var n int
		if err := tx.QueryRow(ctx, `SELECT payload::text FROM deliveries WHERE tenant_id = $1 AND user_id = $2 AND event_type = 'staff_invitation'`, tenant, u.ID).Scan(&payload); err != nil {
			return err
		}
		if strings.Contains(payload, token) || !strings.Contains(payload, "token_id") || !strings.Contains(payload, "{link}") {
			t.Errorf("delivery payload %s: want the token's id and the placeholder, not the token", payload)
		}
		if err := tx.QueryRow(ctx, `SELECT expires_at, (SELECT count(*) FROM login_tokens WHERE tenant_id = $1 AND token_hash::text LIKE '%'||$3||'%')
FROM login_tokens WHERE tenant_id = $1 AND user_id = $2`, tenant, u.ID, token).Scan(&expires, &n); err != nil {
			return err
		}
		if d := time.Until(expires); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
			t.Errorf("the link expires in %s, want 7 days", d)
		}
		if n != 0 {
			t.Error("the token is stored as is")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := db.ListUsers(admin, postgres.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list.Items {
		if x.Role == onboardiq.RoleAdmin {
			continue // the workspace's first admin, made without a password here
		}
		if x.Invited != (x.ID == u.ID) {
			t.Errorf("%s: invited = %v", x.Email, x.Invited)
		}
	}
	// Resent: the first link stops working.
	if _, again, err := db.ResendStaffInvitation(admin, u.ID, "https://app.test"); err != nil {
		t.Fatal(err)
	} else if _, _, err := db.ResetPassword(ctx, token, "a long enough password"); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Fatalf("the link resent over: %v", err)
	} else {
		token = inviteToken(t, again.URL)
	}
	session, p, err := db.ResetPassword(ctx, token, "a long enough password")
	if err != nil || session == "" || p.UserID != u.ID {
		t.Fatalf("joining: %v %+v", err, p)
	}
	if _, _, err := db.ResetPassword(ctx, token, "another long password"); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Fatalf("the link used twice: %v", err)
	}
	if got, err := db.GetUser(admin, u.ID); err != nil || got.Invited {
		t.Fatalf("after joining: %+v %v", got, err)
	}
	if _, _, err := db.SignIn(ctx, "invites", "sam@invites.test", "a long enough password"); err != nil {
		t.Fatalf("signing in with the chosen password: %v", err)
	}
	if _, _, err := db.ResendStaffInvitation(admin, u.ID, "https://app.test"); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
		t.Fatalf("resending to a joined user: %v", err)
	}
	// Another workspace's admin finds no such user.
	if _, _, err := db.ResendStaffInvitation(other, u.ID, "https://app.test"); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Fatalf("resending across workspaces: %v", err)
	}
}

// TestStaffInvitationExpires: a link past its 7 days opens nothing.
func TestStaffInvitationExpires(t *testing.T) {
	t.Parallel()
	db, tenant, admin, _ := newWorkspace(t, "expiry")
	u, sent, err := db.InviteStaff(admin, onboardiq.NewUser{Email: "late@expiry.test", Name: "Late", Role: onboardiq.RoleViewer}, "https://app.test")
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTenant(context.Background(), tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE login_tokens SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND user_id = $2`, tenant, u.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ResetPassword(context.Background(), inviteToken(t, sent.URL), "a long enough password"); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Fatalf("an expired invitation: %v", err)
	}
}

// TestInviteStaffRefusals: a contact's role, an unknown role, an email in
// use and a bad email are refused naming the field; only admins invite
// and resend.
func TestInviteStaffRefusals(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	for _, tc := range []struct {
		in    onboardiq.NewUser
		field string
	}{
		{onboardiq.NewUser{Email: "x@mailers.test", Name: "X", Role: onboardiq.RoleCustomer}, "role"},
		{onboardiq.NewUser{Email: "x@mailers.test", Name: "X", Role: "root"}, "role"},
		{onboardiq.NewUser{Email: "CSM@mailers.test", Name: "X", Role: onboardiq.RoleCSM}, "email"},
		{onboardiq.NewUser{Email: "dana@globex.test", Name: "X", Role: onboardiq.RoleViewer}, "email"},
		{onboardiq.NewUser{Email: "not an email", Name: "X", Role: onboardiq.RoleViewer}, "email"},
		{onboardiq.NewUser{Email: "y@mailers.test", Name: " ", Role: onboardiq.RoleViewer}, "name"},
	} {
		if _, _, err := e.db.InviteStaff(e.as["admin"], tc.in, "https://app.test"); onboardiq.ErrorField(err) != tc.field {
			t.Errorf("%+v: %v, want an error about %s", tc.in, err, tc.field)
		}
	}
	for _, role := range []string{"csm", "sales_leader", "viewer", "customer"} {
		if _, _, err := e.db.InviteStaff(e.as[role], onboardiq.NewUser{Email: "z@mailers.test", Name: "Z", Role: onboardiq.RoleViewer}, "https://app.test"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s invites: %v", role, err)
		}
	}
	u, _, err := e.db.InviteStaff(e.as["admin"], onboardiq.NewUser{Email: "z@mailers.test", Name: "Z", Role: onboardiq.RoleViewer}, "https://app.test")
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"csm", "sales_leader", "viewer", "customer"} {
		if _, _, err := e.db.ResendStaffInvitation(e.as[role], u.ID, "https://app.test"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s resends: %v", role, err)
		}
	}
	// A contact is not a member of staff: not found here.
	if _, _, err := e.db.ResendStaffInvitation(e.as["admin"], e.contact.ID, "https://app.test"); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("resending to a contact: %v", err)
	}
	if got := e.events(t, onboardiq.EventUserInvited); len(got) != 1 || got[0]["role"] != "viewer" {
		t.Errorf("user.invited events = %v", got)
	}
}

// TestSetupChecklist: each step flips from not done to done with the
// action that does it; hiding records when; only admins read it.
func TestSetupChecklist(t *testing.T) {
	t.Parallel()
	db, tenant, admin, other := newWorkspace(t, "checklist")
	done := func(ctx context.Context) map[string]bool {
		t.Helper()
		c, err := db.LoadSetupChecklist(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		n := 0
		for _, it := range c.Items {
			out[it.Key] = it.Done
			if it.Done {
				n++
			}
			if it.Title == "" || it.Why == "" || !strings.HasPrefix(it.Link, "/app/") {
				t.Errorf("item %+v: want a title, a why and a console link", it)
			}
		}
		if c.Total != 6 || c.Done != n || len(c.Items) != 6 {
			t.Errorf("checklist: %d of %d, %d items; counted %d", c.Done, c.Total, len(c.Items), n)
		}
		return out
	}
	want := map[string]bool{}
	check := func(step string) {
		t.Helper()
		if step != "" {
			want[step] = true
		}
		got := done(admin)
		for _, k := range []string{"branding", "team", "template", "emails", "integration", "customer"} {
			if got[k] != want[k] {
				t.Errorf("after %q: %s done = %v, want %v", step, k, got[k], want[k])
			}
		}
	}
	check("") // a new workspace has done nothing
	if _, err := db.SetBranding(admin, onboardiq.BrandingInput{PortalName: "Checklist portal"}); err != nil {
		t.Fatal(err)
	}
	check("branding")
	if _, _, err := db.InviteStaff(admin, onboardiq.NewUser{Email: "csm@checklist.test", Name: "Casey", Role: onboardiq.RoleCSM}, "https://app.test"); err != nil {
		t.Fatal(err)
	}
	check("team")
	tpls, err := db.ListTemplates(admin)
	if err != nil || len(tpls) != 1 {
		t.Fatalf("templates: %d %v", len(tpls), err)
	}
	time.Sleep(10 * time.Millisecond)
	edit := *tpls[0]
	edit.Description = "Our way"
	if _, err := db.UpdateTemplate(admin, edit.ID, edit); err != nil {
		t.Fatal(err)
	}
	check("template")
	if _, err := db.SetEmailTemplate(admin, mailtemplate.TaskDueSoon, "Due: {{task_title}}", "Hello"); err != nil {
		t.Fatal(err)
	}
	check("emails")
	// A playbook's webhook action without a URL is not a connection (the
	// default playbooks have two); an endpoint is.
	check("")
	err = db.InTenant(context.Background(), tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (tenant_id, url, secret) VALUES ($1, 'https://hooks.example.com/x', 'sealed')`, tenant)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	check("integration")
	if _, err := db.CreateCustomer(admin, onboardiq.NewCustomer{Name: "First customer"}); err != nil {
		t.Fatal(err)
	}
	check("customer")
	c, err := db.LoadSetupChecklist(admin)
	if err != nil || !c.Complete() || c.Show() {
		t.Fatalf("all done: %+v %v", c, err)
	}
	// Another workspace's checklist is its own.
	if got := done(other); got["branding"] || got["customer"] {
		t.Errorf("the other workspace's checklist: %v", got)
	}
}

// TestHideSetupChecklist: an admin hides it for the workspace; other
// roles neither read nor hide it.
func TestHideSetupChecklist(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	c, err := e.db.LoadSetupChecklist(e.as["admin"])
	if err != nil || !c.Show() || c.Dismissed != nil {
		t.Fatalf("before hiding: %+v %v", c, err)
	}
	for _, role := range []string{"csm", "sales_leader", "viewer", "customer"} {
		if _, err := e.db.LoadSetupChecklist(e.as[role]); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s reads the checklist: %v", role, err)
		}
		if err := e.db.HideSetupChecklist(e.as[role]); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s hides the checklist: %v", role, err)
		}
	}
	if err := e.db.HideSetupChecklist(e.as["admin"]); err != nil {
		t.Fatal(err)
	}
	if c, err = e.db.LoadSetupChecklist(e.as["admin"]); err != nil || c.Show() || c.Dismissed == nil {
		t.Fatalf("after hiding: %+v %v", c, err)
	}
	if c, err = e.db.LoadSetupChecklist(e.as["other"]); err != nil || c.Dismissed != nil {
		t.Fatalf("the other workspace's: %+v %v", c, err)
	}
	d, err := e.db.LoadDashboard(e.as["admin"], time.Now())
	if err != nil || d.Setup == nil || d.Setup.Show() {
		t.Fatalf("the admin's dashboard: %+v %v", d.Setup, err)
	}
	for _, role := range []string{"csm", "sales_leader", "viewer"} {
		if d, err := e.db.LoadDashboard(e.as[role], time.Now()); err != nil || d.Setup != nil {
			t.Errorf("%s's dashboard carries the checklist: %v", role, err)
		}
	}
}

// TestSetupChecklistPlaybookWebhook: a playbook whose webhook action has a
// URL connects the workspace as an endpoint does.
func TestSetupChecklistPlaybookWebhook(t *testing.T) {
	t.Parallel()
	db, tenant, admin, _ := newWorkspace(t, "pbhook")
	integration := func() bool {
		t.Helper()
		c, err := db.LoadSetupChecklist(admin)
		if err != nil {
			t.Fatal(err)
		}
		return c.Items[4].Key == "integration" && c.Items[4].Done
	}
	if integration() {
		t.Fatal("the default playbooks' webhook actions, without a URL, count")
	}
	err := db.InTenant(context.Background(), tenant, func(ctx context.Context, tx *postgres.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE playbooks SET definition = jsonb_set(definition, '{actions,0,url}', '"https://hooks.example.com/n8n"')
WHERE tenant_id = $1 AND definition->'actions'->0->>'type' = 'webhook'`, tenant)
		if err == nil && tag.RowsAffected() == 0 {
			t.Fatal("no default playbook with a webhook action")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !integration() {
		t.Error("a playbook's webhook with a URL does not count")
	}
}
