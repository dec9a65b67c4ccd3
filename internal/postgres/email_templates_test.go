package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// mailEnv is a workspace with staff of every role and a customer's
// contact, and another workspace's admin.
type mailEnv struct {
	db      *postgres.DB
	tenant  uuid.UUID
	as      map[string]context.Context // admin, csm, sales_leader, viewer, customer, other (another tenant's admin)
	adminID uuid.UUID
	contact *onboardiq.User
}

func newMailEnv(t *testing.T) *mailEnv {
	t.Helper()
	d := testdb.New(t)
	ctx := context.Background()
	res, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Mailers", Slug: "mailers", AdminEmail: "admin@mailers.test", AdminName: "Ada Admin"})
	if err != nil {
		t.Fatal(err)
	}
	e := &mailEnv{db: d.App, tenant: res.Tenant.ID, adminID: res.Admin.ID, as: map[string]context.Context{}}
	principal := func(tenant, user uuid.UUID, role onboardiq.Role, customer *uuid.UUID) context.Context {
		return onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: tenant, UserID: user, Role: role, CustomerID: customer, Name: string(role)})
	}
	e.as["admin"] = principal(e.tenant, res.Admin.ID, onboardiq.RoleAdmin, nil)
	for _, r := range []onboardiq.Role{onboardiq.RoleCSM, onboardiq.RoleSalesLeader, onboardiq.RoleViewer} {
		u, err := d.App.CreateUser(e.as["admin"], onboardiq.NewUser{Email: string(r) + "@mailers.test", Name: string(r), Role: r})
		if err != nil {
			t.Fatal(err)
		}
		e.as[string(r)] = principal(e.tenant, u.ID, r, nil)
	}
	c, err := d.App.CreateCustomer(e.as["admin"], onboardiq.NewCustomer{Name: "Globex"})
	if err != nil {
		t.Fatal(err)
	}
	if e.contact, err = d.App.CreateUser(e.as["admin"], onboardiq.NewUser{Email: "dana@globex.test", Name: "Dana Reyes", Role: onboardiq.RoleCustomer, CustomerID: &c.ID}); err != nil {
		t.Fatal(err)
	}
	e.as["customer"] = principal(e.tenant, e.contact.ID, onboardiq.RoleCustomer, &c.ID)
	other, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Other", Slug: "other-mailers", AdminEmail: "admin@other.test", AdminName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	e.as["other"] = principal(other.Tenant.ID, other.Admin.ID, onboardiq.RoleAdmin, nil)
	return e
}

func (e *mailEnv) events(t *testing.T, kind onboardiq.EventKind) []map[string]any {
	t.Helper()
	var out []map[string]any
	err := e.db.InTenant(context.Background(), e.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT data FROM events WHERE tenant_id = $1 AND kind = $2 ORDER BY event_id`, e.tenant, kind)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d map[string]any
			if err := rows.Scan(&d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEmailTemplatesByRole: staff read every kind, in mailtemplate's
// order, with its variables; only admins change one; a contact reads none.
func TestEmailTemplatesByRole(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	for _, role := range []string{"admin", "csm", "sales_leader", "viewer"} {
		list, err := e.db.ListEmailTemplates(e.as[role])
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		var kinds []string
		for _, tpl := range list {
			kinds = append(kinds, tpl.Kind)
			k, _ := mailtemplate.Find(tpl.Kind)
			if tpl.Customised || tpl.Subject != k.Subject || tpl.Body != k.Body || tpl.Label != k.Label || tpl.Optional != k.Optional || len(tpl.Variables) != len(k.AllVars()) {
				t.Errorf("%s: %s is not its default: %+v", role, tpl.Kind, tpl)
			}
		}
		var want []string
		for _, k := range mailtemplate.Kinds {
			want = append(want, k.Name)
		}
		if !slices.Equal(kinds, want) {
			t.Errorf("%s: kinds %v, want %v", role, kinds, want)
		}
	}
	if _, err := e.db.ListEmailTemplates(e.as["customer"]); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact lists the templates: %v", err)
	}
	if _, err := e.db.LoadEmailTemplatesPage(e.as["customer"]); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact reads the templates' page: %v", err)
	}
	if _, err := e.db.LoadEmailTemplatePage(e.as["customer"], mailtemplate.Welcome, nil, nil, true); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact reads a template's page: %v", err)
	}
	if pg, err := e.db.LoadEmailTemplatePage(e.as["viewer"], mailtemplate.Welcome, nil, nil, true); err != nil || pg.Template.Kind != mailtemplate.Welcome ||
		pg.Preview == nil || pg.Preview.Subject != "Welcome to Globex onboarding" {
		t.Errorf("a viewer reads a template's page: %+v %v", pg, err)
	}
	for _, role := range []string{"csm", "sales_leader", "viewer", "customer"} {
		if _, err := e.db.SetEmailTemplate(e.as[role], mailtemplate.TaskDueSoon, "Due: {{task_title}}", "Hello"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s saves a template: %v", role, err)
		}
		if _, err := e.db.ResetEmailTemplate(e.as[role], mailtemplate.TaskDueSoon); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s resets a template: %v", role, err)
		}
		if _, err := e.db.SendTestEmail(e.as[role], mailtemplate.TaskDueSoon, nil, nil); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s sends a test: %v", role, err)
		}
	}
	got, err := e.db.SetEmailTemplate(e.as["admin"], mailtemplate.TaskDueSoon, "Due {{ task_due }}: {{task_title}}", "Hi {{contact_first_name}},\n\n**{{task_title}}** waits.")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Customised || got.Subject != "Due {{ task_due }}: {{task_title}}" || got.UpdatedAt == nil || got.UpdatedBy == nil || *got.UpdatedBy != e.adminID || got.UpdatedByName != "Ada Admin" {
		t.Errorf("saved: %+v", got)
	}
	// Every member of staff reads the saved version; another workspace
	// still has the default.
	for _, role := range []string{"csm", "viewer"} {
		if tpl, err := e.db.GetEmailTemplate(e.as[role], mailtemplate.TaskDueSoon); err != nil || !tpl.Customised || tpl.Body != got.Body {
			t.Errorf("%s reads %+v %v", role, tpl, err)
		}
	}
	if tpl, err := e.db.GetEmailTemplate(e.as["other"], mailtemplate.TaskDueSoon); err != nil || tpl.Customised || tpl.Subject != tpl.DefaultSubject {
		t.Errorf("another workspace reads %+v %v", tpl, err)
	}
	if ev := e.events(t, onboardiq.EventEmailTemplateChanged); len(ev) != 1 || ev[0]["kind"] != mailtemplate.TaskDueSoon {
		t.Errorf("events: %v", ev)
	}
}

// TestEmailTemplateRefusals: text the kind cannot send is refused naming
// the field, and the saved version stays; an unknown kind is not found.
func TestEmailTemplateRefusals(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	admin := e.as["admin"]
	saved, err := e.db.SetEmailTemplate(admin, mailtemplate.Milestone, "{{milestone}} reached", "Well done, {{contact_first_name}}.")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ subject, body, field string }{
		{"", "Body", "subject"},
		{"Two\nlines", "Body", "subject"},
		{strings.Repeat("s", mailtemplate.MaxSubject+1), "Body", "subject"},
		{"{{next_steps}}", "Body", "subject"}, // a list
		{"Subject", " ", "body"},
		{"Subject", "Hello {{contact_nmae}}", "body"},
		{"Hi {{task_title}}", "Body", "subject"}, // not a variable of a milestone
		{"Subject", strings.Repeat("b", mailtemplate.MaxBody+1), "body"},
	}
	for _, c := range cases {
		_, err := e.db.SetEmailTemplate(admin, mailtemplate.Milestone, c.subject, c.body)
		if onboardiq.ErrorCode(err) != onboardiq.EINVALID || onboardiq.ErrorField(err) != c.field {
			t.Errorf("%q / %q: %v, want invalid %s", c.subject, c.body, err, c.field)
		}
		if _, err := e.db.PreviewEmailTemplate(admin, mailtemplate.Milestone, &c.subject, &c.body); onboardiq.ErrorField(err) != c.field {
			t.Errorf("preview of %q / %q: %v, want invalid %s", c.subject, c.body, err, c.field)
		}
	}
	now, err := e.db.GetEmailTemplate(admin, mailtemplate.Milestone)
	if err != nil || now.Subject != saved.Subject || now.Body != saved.Body || !now.UpdatedAt.Equal(*saved.UpdatedAt) {
		t.Errorf("after the refusals: %+v %v, want %+v", now, err, saved)
	}
	if ev := e.events(t, onboardiq.EventEmailTemplateChanged); len(ev) != 1 {
		t.Errorf("%d events, want the one save", len(ev))
	}
	s := "Subject"
	for name, err := range map[string]error{
		"get":     func() error { _, err := e.db.GetEmailTemplate(admin, "nope"); return err }(),
		"set":     func() error { _, err := e.db.SetEmailTemplate(admin, "nope", "S", "B"); return err }(),
		"reset":   func() error { _, err := e.db.ResetEmailTemplate(admin, "nope"); return err }(),
		"preview": func() error { _, err := e.db.PreviewEmailTemplate(admin, "nope", &s, &s); return err }(),
		"test":    func() error { _, err := e.db.SendTestEmail(admin, "nope", nil, nil); return err }(),
	} {
		if onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
			t.Errorf("%s of an unknown kind: %v", name, err)
		}
	}
}

// TestResetEmailTemplate: a reset sends the default again and says so in
// the activity log; resetting a default records nothing.
func TestResetEmailTemplate(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	admin := e.as["admin"]
	if _, err := e.db.SetEmailTemplate(admin, mailtemplate.Welcome, "Welcome!", "Hello {{contact_name}}"); err != nil {
		t.Fatal(err)
	}
	got, err := e.db.ResetEmailTemplate(admin, mailtemplate.Welcome)
	k, _ := mailtemplate.Find(mailtemplate.Welcome)
	if err != nil || got.Customised || got.Subject != k.Subject || got.Body != k.Body || got.UpdatedAt != nil {
		t.Fatalf("reset: %+v %v", got, err)
	}
	if _, err := e.db.ResetEmailTemplate(admin, mailtemplate.Welcome); err != nil {
		t.Fatal(err)
	}
	ev := e.events(t, onboardiq.EventEmailTemplateChanged)
	if len(ev) != 2 || ev[1]["reset"] != true || ev[1]["label"] != "Welcome" {
		t.Errorf("events: %v", ev)
	}
}

// TestPreviewEmailTemplate: a preview fills the kind's example values and
// the workspace's name and colour into the text given, or the saved one.
func TestPreviewEmailTemplate(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	admin := e.as["admin"]
	if _, err := e.db.SetBranding(admin, onboardiq.BrandingInput{PortalName: "Mailers Hub", AccentColor: "#aa3300"}); err != nil {
		t.Fatal(err)
	}
	pv, err := e.db.PreviewEmailTemplate(e.as["viewer"], mailtemplate.TaskDueSoon, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Subject != "Due Tue 8 Dec 2026: Send the SSO metadata" || !strings.Contains(pv.Markdown, "**Send the SSO metadata** in Globex onboarding") ||
		!strings.Contains(pv.Text, "Hello Dana,") || pv.Workspace != "Mailers Hub" || pv.Accent != "#aa3300" || pv.Portal != "/portal/mailers" ||
		pv.Unsubscribe == "" {
		t.Errorf("the default's preview: %+v", pv)
	}
	subject, body := "{{workspace_name}}: {{task_title}}", "Dear {{contact_name}} of {{customer_name}}, see [the task]({{link}})."
	pv, err = e.db.PreviewEmailTemplate(admin, mailtemplate.TaskDueSoon, &subject, &body)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Subject != "Mailers Hub: Send the SSO metadata" || !strings.Contains(pv.Text, "Dear Dana Reyes of Globex, see the task: https://onboarding.acme.example/") {
		t.Errorf("the typed text's preview: %+v", pv)
	}
	if _, err := e.db.SetEmailTemplate(admin, mailtemplate.TaskDueSoon, subject, body); err != nil {
		t.Fatal(err)
	}
	if saved, err := e.db.PreviewEmailTemplate(admin, mailtemplate.TaskDueSoon, nil, nil); err != nil || saved.Subject != pv.Subject || saved.Markdown != pv.Markdown {
		t.Errorf("the saved one's preview: %+v %v", saved, err)
	}
	// Sign-in mail has no unsubscribe link.
	if inv, err := e.db.PreviewEmailTemplate(admin, mailtemplate.Invitation, nil, nil); err != nil || inv.Unsubscribe != "" {
		t.Errorf("the invitation's preview: %+v %v", inv, err)
	}
	if _, err := e.db.PreviewEmailTemplate(e.as["customer"], mailtemplate.TaskDueSoon, nil, nil); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact previews: %v", err)
	}
}

// TestSendTestEmail: a test email is a delivery to the admin who asked,
// queued at once, with the text they typed rendered.
func TestSendTestEmail(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	admin := e.as["admin"]
	subject := "Test of {{task_title}}"
	id, err := e.db.SendTestEmail(admin, mailtemplate.TaskAssigned, &subject, nil)
	if err != nil {
		t.Fatal(err)
	}
	var o *postgres.Outbound
	if err := e.db.InTenantReadOnly(context.Background(), e.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		o, err = tx.LoadOutbound(ctx, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if o.Recipient != "admin@mailers.test" || o.EventType != postgres.TestEmailEvent || o.Status != "pending" || o.UserID == nil || *o.UserID != e.adminID ||
		o.Payload["subject"] != "Test of Send the SSO metadata" || !strings.Contains(o.Payload["markdown"].(string), "is now yours") {
		t.Errorf("the delivery: %+v %v", o.Delivery, o.Payload)
	}
	// In the delivery log.
	log, err := e.db.ListDeliveries(admin, postgres.DeliveryFilter{})
	if err != nil || !slices.ContainsFunc(log.Items, func(d *onboardiq.Delivery) bool { return d.ID == id }) {
		t.Errorf("the delivery log: %v %v", log.Items, err)
	}
	bad := "{{nope}}"
	if _, err := e.db.SendTestEmail(admin, mailtemplate.TaskAssigned, &bad, nil); onboardiq.ErrorField(err) != "subject" {
		t.Errorf("a test of a bad subject: %v", err)
	}
}

// TestContactEmailPreferences: a contact turns kinds off and on and sets
// their time zone; sign-in mail stays on; staff have none of it; bad input
// changes nothing.
func TestContactEmailPreferences(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t)
	contact := e.as["customer"]
	got, err := e.db.GetContactEmailPreferences(contact)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "dana@globex.test" || got.TimeZone != "" || got.WorkspaceTimeZone == "" || len(got.Preferences) != len(mailtemplate.Kinds) {
		t.Fatalf("preferences: %+v", got)
	}
	for _, p := range got.Preferences {
		if !p.On {
			t.Errorf("%s is off by default", p.Kind)
		}
	}
	tz := "Europe/Berlin"
	got, err = e.db.SetContactEmailPreferences(contact, []postgres.ContactEmailChoice{{Kind: mailtemplate.TaskDueSoon}, {Kind: mailtemplate.WeeklyDigest}}, &tz)
	if err != nil {
		t.Fatal(err)
	}
	off := func(c *postgres.ContactEmailPreferences) []string {
		var out []string
		for _, p := range c.Preferences {
			if !p.On {
				out = append(out, p.Kind)
			}
		}
		return out
	}
	if !slices.Equal(off(got), []string{mailtemplate.TaskDueSoon, mailtemplate.WeeklyDigest}) || got.TimeZone != "Europe/Berlin" {
		t.Errorf("after turning two off: %v %q", off(got), got.TimeZone)
	}
	if _, err := e.db.SetContactEmailPreferences(contact, []postgres.ContactEmailChoice{{Kind: mailtemplate.TaskDueSoon, On: true}}, nil); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		choices []postgres.ContactEmailChoice
		tz      string
		field   string
	}{
		{[]postgres.ContactEmailChoice{{Kind: mailtemplate.Invitation}}, "", "preferences[0].on"},
		{[]postgres.ContactEmailChoice{{Kind: mailtemplate.Welcome}, {Kind: "project_overdue"}}, "", "preferences[1].kind"},
		{[]postgres.ContactEmailChoice{{Kind: mailtemplate.Welcome}}, "Mars/Olympus", "time_zone"},
		{nil, "Local", "time_zone"},
	}
	for _, b := range bad {
		tz := b.tz
		if _, err := e.db.SetContactEmailPreferences(contact, b.choices, &tz); onboardiq.ErrorField(err) != b.field {
			t.Errorf("%+v %q: %v, want invalid %s", b.choices, b.tz, err, b.field)
		}
	}
	if err := e.db.SetMyTimeZone(contact, "Nowhere/Special"); onboardiq.ErrorField(err) != "time_zone" {
		t.Errorf("a bad time zone: %v", err)
	}
	got, err = e.db.GetContactEmailPreferences(contact)
	if err != nil || !slices.Equal(off(got), []string{mailtemplate.WeeklyDigest}) || got.TimeZone != "Europe/Berlin" {
		t.Errorf("after the refusals: %v %q %v", off(got), got.TimeZone, err)
	}
	if err := e.db.SetMyTimeZone(contact, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.db.GetContactEmailPreferences(contact); got.TimeZone != "" {
		t.Errorf("the time zone after clearing it: %q", got.TimeZone)
	}
	for _, role := range []string{"admin", "csm", "viewer", "other"} {
		if _, err := e.db.GetContactEmailPreferences(e.as[role]); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s reads contact preferences: %v", role, err)
		}
		if _, err := e.db.SetContactEmailPreferences(e.as[role], []postgres.ContactEmailChoice{{Kind: mailtemplate.Welcome}}, nil); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s sets contact preferences: %v", role, err)
		}
		if err := e.db.SetMyTimeZone(e.as[role], "UTC"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s sets a contact time zone: %v", role, err)
		}
	}
}
