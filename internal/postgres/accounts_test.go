package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

func (f *pageFixture) account(t *testing.T, in onboardiq.NewCustomer) *onboardiq.Customer {
	t.Helper()
	c, err := f.db.CreateCustomer(f.as, in)
	if err != nil {
		t.Fatalf("create %s: %v", in.Name, err)
	}
	return c
}

func conflictOn(t *testing.T, what string, err error, field string) {
	t.Helper()
	if onboardiq.ErrorCode(err) != onboardiq.ECONFLICT || !strings.Contains(onboardiq.ErrorMessage(err), field) {
		t.Errorf("%s: %v, want a conflict naming %s", what, err, field)
	}
}

// TestCustomerHierarchy: a parent must be a customer of the same tenant,
// not the customer itself nor one of its descendants, and the hierarchy at
// most five levels deep; the detail lists the children and sums the ARR of
// the customer and all its descendants; a customer with children cannot be
// deleted.
func TestCustomerHierarchy(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	ctx := context.Background()
	arr := func(v float64) *float64 { return &v }

	root := f.account(t, onboardiq.NewCustomer{Name: "Globex Holdings", ARR: arr(1000)})
	emea := f.account(t, onboardiq.NewCustomer{Name: "Globex EMEA", ParentID: &root.ID, ARR: arr(250.5)})
	paris := f.account(t, onboardiq.NewCustomer{Name: "Globex Paris", ParentID: &emea.ID, ARR: arr(100.25)})
	f.account(t, onboardiq.NewCustomer{Name: "Globex Berlin", ParentID: &emea.ID}) // no ARR: counts, adds nothing
	f.account(t, onboardiq.NewCustomer{Name: "Unrelated", ARR: arr(5000)})

	// Another tenant's customer is no customer here.
	other, err := f.db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Other", Slug: "other", AdminEmail: "a@other.test"})
	if err != nil {
		t.Fatal(err)
	}
	otherAdmin, err := f.db.Authenticate(ctx, other.Token)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := f.db.CreateCustomer(onboardiq.NewContextWithPrincipal(ctx, otherAdmin), onboardiq.NewCustomer{Name: "Foreign"})
	if err != nil {
		t.Fatal(err)
	}
	missing := uuid.New()
	_, err = f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "X", ParentID: &foreign.ID})
	invalidField(t, "create under another tenant's customer", err, "parent_id")
	_, err = f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "X", ParentID: &missing})
	invalidField(t, "create under no customer", err, "parent_id")
	_, err = f.db.UpdateCustomer(f.as, paris.ID, onboardiq.CustomerPatch{ParentID: onboardiq.Set(foreign.ID)})
	invalidField(t, "move under another tenant's customer", err, "parent_id")
	_, err = f.db.UpdateCustomer(f.as, root.ID, onboardiq.CustomerPatch{ParentID: onboardiq.Set(root.ID)})
	invalidField(t, "parent itself", err, "parent_id")
	_, err = f.db.UpdateCustomer(f.as, root.ID, onboardiq.CustomerPatch{ParentID: onboardiq.Set(paris.ID)})
	invalidField(t, "under its grandchild (a cycle)", err, "parent_id")
	_, err = f.db.UpdateCustomer(f.as, emea.ID, onboardiq.CustomerPatch{ParentID: onboardiq.Set(paris.ID)})
	invalidField(t, "under its child (a cycle)", err, "parent_id")

	// Depth: root (1) > EMEA (2) > Paris (3) > L4 > L5; a sixth level is refused,
	// and so is moving a two-level subtree under level 4.
	l4 := f.account(t, onboardiq.NewCustomer{Name: "Level 4", ParentID: &paris.ID})
	l5 := f.account(t, onboardiq.NewCustomer{Name: "Level 5", ParentID: &l4.ID})
	_, err = f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Level 6", ParentID: &l5.ID})
	invalidField(t, "a sixth level", err, "parent_id")
	top := f.account(t, onboardiq.NewCustomer{Name: "Top"})
	f.account(t, onboardiq.NewCustomer{Name: "Under top", ParentID: &top.ID})
	_, err = f.db.UpdateCustomer(f.as, top.ID, onboardiq.CustomerPatch{ParentID: onboardiq.Set(l4.ID)})
	invalidField(t, "a subtree moved too deep", err, "parent_id")
	if _, err = f.db.UpdateCustomer(f.as, top.ID, onboardiq.CustomerPatch{ParentID: onboardiq.Set(paris.ID)}); err != nil {
		t.Errorf("a subtree moved to level 4 and 5: %v", err)
	}

	// The roll-up: Holdings 1000 + EMEA 250.50 + Paris 100.25 (Berlin,
	// L4, L5, Top and Under top have none).
	got, err := f.db.GetCustomer(f.as, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rollup == nil || got.Rollup.ARR != 1350.75 || got.Rollup.Customers != 8 || got.Rollup.Currency != "USD" {
		t.Errorf("roll-up of the root: %+v", got.Rollup)
	}
	if len(got.Children) != 1 || got.Children[0].ID != emea.ID || got.Children[0].Name != "Globex EMEA" {
		t.Errorf("children of the root: %+v", got.Children)
	}
	got, err = f.db.GetCustomer(f.as, emea.ID)
	if err != nil || got.Rollup.ARR != 350.75 || len(got.Children) != 2 || got.Children[0].Name != "Globex Berlin" || *got.ParentID != root.ID {
		t.Errorf("EMEA: %v %+v %+v", err, got.Rollup, got.Children)
	}
	// A contact sees their customer without the hierarchy's detail.
	if c, err := f.db.GetCustomer(f.asContact, f.customer.ID); err != nil || c.Rollup != nil || c.Children != nil {
		t.Errorf("a contact's view: %v %+v", err, c)
	}

	// Deleting a customer with children is refused, naming them.
	err = f.db.DeleteCustomer(f.as, emea.ID)
	if onboardiq.ErrorCode(err) != onboardiq.ECONFLICT || !strings.Contains(err.Error(), "Globex Berlin") || !strings.Contains(err.Error(), "Globex Paris") {
		t.Errorf("delete with children: %v", err)
	}
	// Moved to the top (parent null), a child leaves its parent's roll-up.
	if _, err := f.db.UpdateCustomer(f.as, emea.ID, onboardiq.CustomerPatch{ParentID: onboardiq.Patch[uuid.UUID]{Set: true, Null: true}}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.db.GetCustomer(f.as, root.ID); err != nil || got.Rollup.ARR != 1000 || got.Rollup.Customers != 1 || len(got.Children) != 0 {
		t.Errorf("root after EMEA moved: %v %+v", err, got.Rollup)
	}
	if err := f.db.DeleteCustomer(f.as, root.ID); err != nil {
		t.Errorf("delete without children: %v", err)
	}
}

// TestAccountFieldsAreChecked: ARR, renewal date, lifecycle status and
// external id are checked on create and change, each error naming its
// field; an external id is unique in the tenant (409 naming it) and finds
// its customer.
func TestAccountFieldsAreChecked(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	ctx := context.Background()
	neg, huge, ok := -1.0, 1e13, 12000.456
	bad, long := "2026-02-30", strings.Repeat("x", 101)
	for _, tc := range []struct {
		in    onboardiq.NewCustomer
		patch onboardiq.CustomerPatch
		field string
	}{
		{onboardiq.NewCustomer{ARR: &neg}, onboardiq.CustomerPatch{ARR: onboardiq.Set(neg)}, "arr"},
		{onboardiq.NewCustomer{ARR: &huge}, onboardiq.CustomerPatch{ARR: onboardiq.Set(huge)}, "arr"},
		{onboardiq.NewCustomer{RenewalDate: &bad}, onboardiq.CustomerPatch{RenewalDate: onboardiq.Set(bad)}, "renewal_date"},
		{onboardiq.NewCustomer{LifecycleStatus: "lost"}, onboardiq.CustomerPatch{LifecycleStatus: onboardiq.Set(onboardiq.LifecycleStatus("lost"))}, "lifecycle_status"},
		{onboardiq.NewCustomer{ExternalID: &long}, onboardiq.CustomerPatch{ExternalID: onboardiq.Set(long)}, "external_id"},
	} {
		tc.in.Name = "Bad Co"
		_, err := f.db.CreateCustomer(f.as, tc.in)
		invalidField(t, "create "+tc.field, err, tc.field)
		_, err = f.db.UpdateCustomer(f.as, f.customer.ID, tc.patch)
		invalidField(t, "change "+tc.field, err, tc.field)
	}
	ext, date := " acct_42 ", "2027-03-31"
	c, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech", ARR: &ok, RenewalDate: &date, ExternalID: &ext})
	if err != nil {
		t.Fatal(err)
	}
	if *c.ARR != 12000.46 || *c.RenewalDate != date || c.LifecycleStatus != onboardiq.LifecycleOnboarding || *c.ExternalID != "acct_42" {
		t.Errorf("created: arr %v renewal %v status %v external %v", *c.ARR, *c.RenewalDate, c.LifecycleStatus, *c.ExternalID)
	}
	_, err = f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Copy", ExternalID: &ext})
	conflictOn(t, "create with a taken external id", err, "external_id")
	_, err = f.db.UpdateCustomer(f.as, f.customer.ID, onboardiq.CustomerPatch{ExternalID: onboardiq.Set("acct_42")})
	conflictOn(t, "change to a taken external id", err, "external_id")
	// Its own id again is no conflict; the change is recorded.
	c, err = f.db.UpdateCustomer(f.as, c.ID, onboardiq.CustomerPatch{ExternalID: onboardiq.Set("acct_42"), LifecycleStatus: onboardiq.Set(onboardiq.LifecycleActive)})
	if err != nil || c.LifecycleStatus != onboardiq.LifecycleActive {
		t.Fatalf("change: %v", err)
	}
	act, err := f.db.ListActivity(f.as, ActivityFilter{CustomerID: &c.ID})
	if err != nil || act.Items[0].Kind != onboardiq.EventCustomerUpdated || act.Items[0].Changes["lifecycle_status"] == nil || act.Items[0].Changes["external_id"] != nil {
		t.Errorf("activity: %v %+v", err, act.Items[0])
	}
	err = f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
		id, err := customerByExternalID(ctx, tx, "acct_42")
		if err != nil || id != c.ID {
			t.Errorf("by external id: %v %v", id, err)
		}
		if _, err := customerByExternalID(ctx, tx, "acct_43"); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
			t.Errorf("an unknown external id: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Cleared, the id is free again.
	if _, err = f.db.UpdateCustomer(f.as, c.ID, onboardiq.CustomerPatch{ExternalID: onboardiq.Patch[string]{Set: true, Null: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err = f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Copy", ExternalID: &ext}); err != nil {
		t.Errorf("a freed external id: %v", err)
	}
}

// TestAccountListFilters: the customers list filters by parent, lifecycle
// status, renewal window and external id, in the API's list and the page.
func TestAccountListFilters(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	d := func(s string) *string { return &s }
	parent := f.account(t, onboardiq.NewCustomer{Name: "Parent", LifecycleStatus: onboardiq.LifecycleActive, RenewalDate: d("2027-01-15")})
	f.account(t, onboardiq.NewCustomer{Name: "Child A", ParentID: &parent.ID, RenewalDate: d("2027-02-01"), ExternalID: d("a")})
	f.account(t, onboardiq.NewCustomer{Name: "Child B", ParentID: &parent.ID, LifecycleStatus: onboardiq.LifecycleChurned})
	f.account(t, onboardiq.NewCustomer{Name: "Prospect", LifecycleStatus: onboardiq.LifecycleProspect, RenewalDate: d("2027-06-30")})
	for _, tc := range []struct {
		f    CustomerFilter
		want string
	}{
		{CustomerFilter{ParentID: &parent.ID}, "Child A,Child B"},
		{CustomerFilter{LifecycleStatus: "onboarding"}, "Child A,Globex"},
		{CustomerFilter{LifecycleStatus: "churned"}, "Child B"},
		{CustomerFilter{RenewalBefore: "2027-02-01"}, "Child A,Parent"},
		{CustomerFilter{RenewalAfter: "2027-02-01"}, "Child A,Prospect"},
		{CustomerFilter{RenewalAfter: "2027-01-16", RenewalBefore: "2027-06-29"}, "Child A"},
		{CustomerFilter{ExternalID: "a"}, "Child A"},
	} {
		list, err := f.db.ListCustomers(f.as, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range list.Items {
			names = append(names, c.Name)
		}
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("list %+v: %s, want %s", tc.f, got, tc.want)
		}
		pg, err := f.db.LoadCustomersPage(f.as, tc.f)
		if err != nil || len(pg.Customers.Items) != len(names) {
			t.Errorf("page %+v: %v %d", tc.f, err, len(pg.Customers.Items))
		}
	}
	_, err := f.db.ListCustomers(f.as, CustomerFilter{LifecycleStatus: "lost"})
	invalidField(t, "an unknown lifecycle status", err, "lifecycle_status")
	_, err = f.db.ListCustomers(f.as, CustomerFilter{RenewalBefore: "soon"})
	invalidField(t, "a bad renewal date", err, "renewal_before")
}

// TestCustomFields: admins define typed fields per entity; values on
// customers and projects are checked against them (an unknown key or a
// value of the wrong type names custom_fields.<key>), merged by a patch,
// filtered by cf.<key>, and removed with their definition.
func TestCustomFields(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	def := func(in onboardiq.NewCustomField) *onboardiq.CustomField {
		t.Helper()
		d, err := f.db.CreateCustomField(f.as, in)
		if err != nil {
			t.Fatalf("define %s: %v", in.Key, err)
		}
		return d
	}
	plan := def(onboardiq.NewCustomField{Entity: "customer", Key: "plan", Label: "Plan", Type: "one_of", Options: []string{"Basic", "Pro"}})
	def(onboardiq.NewCustomField{Entity: "customer", Key: "seats", Label: "Seats", Type: "number", Position: 1})
	def(onboardiq.NewCustomField{Entity: "customer", Key: "signed_on", Label: "Signed on", Type: "date", Position: 2})
	def(onboardiq.NewCustomField{Entity: "customer", Key: "notes", Label: "Notes", Type: "text", Position: 3})
	def(onboardiq.NewCustomField{Entity: "project", Key: "region", Label: "Region", Type: "text"})

	// Definitions are checked.
	for _, tc := range []struct {
		in    onboardiq.NewCustomField
		field string
	}{
		{onboardiq.NewCustomField{Entity: "task", Key: "x", Label: "X", Type: "text"}, "entity"},
		{onboardiq.NewCustomField{Entity: "customer", Key: "Bad Key", Label: "X", Type: "text"}, "key"},
		{onboardiq.NewCustomField{Entity: "customer", Key: strings.Repeat("k", 41), Label: "X", Type: "text"}, "key"},
		{onboardiq.NewCustomField{Entity: "customer", Key: "x", Label: " ", Type: "text"}, "label"},
		{onboardiq.NewCustomField{Entity: "customer", Key: "x", Label: "X", Type: "bool"}, "type"},
		{onboardiq.NewCustomField{Entity: "customer", Key: "x", Label: "X", Type: "one_of"}, "options"},
		{onboardiq.NewCustomField{Entity: "customer", Key: "x", Label: "X", Type: "one_of", Options: []string{"a", "a"}}, "options"},
		{onboardiq.NewCustomField{Entity: "customer", Key: "x", Label: "X", Type: "text", Options: []string{"a"}}, "options"},
	} {
		_, err := f.db.CreateCustomField(f.as, tc.in)
		invalidField(t, fmt.Sprintf("define %+v", tc.in), err, tc.field)
	}
	_, err := f.db.CreateCustomField(f.as, onboardiq.NewCustomField{Entity: "customer", Key: "plan", Label: "Plan again", Type: "text"})
	conflictOn(t, "a key defined twice", err, "key")
	// The same key on the other entity is another field.
	def(onboardiq.NewCustomField{Entity: "project", Key: "plan", Label: "Plan", Type: "text"})
	// Only admins define them.
	csm := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleCSM, uuid.New()))
	if _, err := f.db.CreateCustomField(csm, onboardiq.NewCustomField{Entity: "customer", Key: "y", Label: "Y", Type: "text"}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a csm defines a field: %v", err)
	}
	if _, err := f.db.ListCustomFields(f.asContact, ""); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact lists the fields: %v", err)
	}

	// Values are checked.
	for _, tc := range []struct {
		values map[string]any
		field  string
	}{
		{map[string]any{"tier": "Gold"}, "custom_fields.tier"},
		{map[string]any{"plan": "Enterprise"}, "custom_fields.plan"},
		{map[string]any{"seats": "twelve"}, "custom_fields.seats"},
		{map[string]any{"seats": "12"}, "custom_fields.seats"},
		{map[string]any{"signed_on": "31/12/2026"}, "custom_fields.signed_on"},
		{map[string]any{"signed_on": 20261231}, "custom_fields.signed_on"},
		{map[string]any{"notes": 42}, "custom_fields.notes"},
		{map[string]any{"region": "EU"}, "custom_fields.region"}, // a project field
	} {
		_, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Bad Co", CustomFields: tc.values})
		invalidField(t, fmt.Sprintf("create with %v", tc.values), err, tc.field)
		_, err = f.db.UpdateCustomer(f.as, f.customer.ID, onboardiq.CustomerPatch{CustomFields: onboardiq.Set(tc.values)})
		invalidField(t, fmt.Sprintf("change to %v", tc.values), err, tc.field)
	}
	a, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Alpha", CustomFields: map[string]any{"plan": "Pro", "seats": 40, "signed_on": "2026-10-01", "notes": " VIP "}})
	if err != nil {
		t.Fatal(err)
	}
	if a.CustomFields["plan"] != "Pro" || a.CustomFields["seats"] != float64(40) || a.CustomFields["notes"] != "VIP" {
		t.Errorf("created values: %v", a.CustomFields)
	}
	f.account(t, onboardiq.NewCustomer{Name: "Beta", CustomFields: map[string]any{"plan": "Basic", "seats": 5.5, "signed_on": "2026-12-24"}})
	// A patch merges: a key sent replaces, null removes, the rest stays.
	a, err = f.db.UpdateCustomer(f.as, a.ID, onboardiq.CustomerPatch{CustomFields: onboardiq.Set(map[string]any{"seats": 45, "notes": nil})})
	if err != nil || a.CustomFields["seats"] != float64(45) || a.CustomFields["plan"] != "Pro" || a.CustomFields["notes"] != nil || len(a.CustomFields) != 3 {
		t.Errorf("merged: %v %v", err, a.CustomFields)
	}

	// The filters.
	for _, tc := range []struct {
		filters []CustomFieldFilter
		want    string
	}{
		{[]CustomFieldFilter{{Key: "plan", Op: "eq", Value: "Pro"}}, "Alpha"},
		{[]CustomFieldFilter{{Key: "seats", Op: "eq", Value: "5.5"}}, "Beta"},
		{[]CustomFieldFilter{{Key: "seats", Op: "gte", Value: "6"}}, "Alpha"},
		{[]CustomFieldFilter{{Key: "seats", Op: "lte", Value: "45"}}, "Alpha,Beta"},
		{[]CustomFieldFilter{{Key: "signed_on", Op: "gte", Value: "2026-11-01"}}, "Beta"},
		{[]CustomFieldFilter{{Key: "signed_on", Op: "lte", Value: "2026-11-01"}, {Key: "plan", Op: "eq", Value: "Pro"}}, "Alpha"},
	} {
		list, err := f.db.ListCustomers(f.as, CustomerFilter{CustomFields: tc.filters})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range list.Items {
			names = append(names, c.Name)
		}
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("filter %+v: %s, want %s", tc.filters, got, tc.want)
		}
	}
	for _, tc := range []struct {
		filter CustomFieldFilter
		field  string
	}{
		{CustomFieldFilter{Key: "tier", Op: "eq", Value: "x"}, "cf.tier"},
		{CustomFieldFilter{Key: "seats", Op: "gte", Value: "many"}, "cf.seats.gte"},
		{CustomFieldFilter{Key: "plan", Op: "gte", Value: "Pro"}, "cf.plan.gte"},
		{CustomFieldFilter{Key: "plan", Op: "eq", Value: "Gold"}, "cf.plan"},
	} {
		_, err := f.db.ListCustomers(f.as, CustomerFilter{CustomFields: []CustomFieldFilter{tc.filter}})
		invalidField(t, fmt.Sprintf("filter %+v", tc.filter), err, tc.field)
	}
	got := ParseCustomFieldFilters(map[string][]string{"cf.seats.gte": {"3"}, "q": {"x"}})
	if len(got) != 1 || got[0] != (CustomFieldFilter{Key: "seats", Op: "gte", Value: "3"}) {
		t.Errorf("parsed filters: %+v", got)
	}

	// Projects carry their own fields, filtered alike.
	pr, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: a.ID, Name: "Rollout", CustomFields: map[string]any{"region": "EU"}})
	if err != nil || pr.CustomFields["region"] != "EU" {
		t.Fatalf("project: %v %+v", err, pr)
	}
	_, err = f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: a.ID, Name: "Bad", CustomFields: map[string]any{"seats": 3}})
	invalidField(t, "a customer field on a project", err, "custom_fields.seats")
	_, err = f.db.UpdateProject(f.as, pr.ID, onboardiq.ProjectPatch{CustomFields: onboardiq.Set(map[string]any{"region": 3})})
	invalidField(t, "a project field of the wrong type", err, "custom_fields.region")
	f.project(t, a, "Other", 0)
	plist, err := f.db.ListProjects(f.as, ProjectFilter{CustomFields: []CustomFieldFilter{{Key: "region", Op: "eq", Value: "EU"}}})
	if err != nil || len(plist.Items) != 1 || plist.Items[0].ID != pr.ID {
		t.Errorf("projects by region: %v %d", err, len(plist.Items))
	}
	if _, err := f.db.LoadProjectsPage(f.as, ProjectFilter{CustomFields: []CustomFieldFilter{{Key: "nope", Op: "eq", Value: "x"}}}); onboardiq.ErrorField(err) != "cf.nope" {
		t.Errorf("projects page with an unknown field: %v", err)
	}

	// A definition changes its label and options, not its type; deleted,
	// its values go with it. Each change is a settings event.
	plan, err = f.db.UpdateCustomField(f.as, plan.ID, onboardiq.CustomFieldPatch{Label: onboardiq.Set("Subscription"), Options: onboardiq.Set([]string{"Basic", "Pro", "Enterprise"})})
	if err != nil || plan.Label != "Subscription" || len(plan.Options) != 3 {
		t.Fatalf("update field: %v %+v", err, plan)
	}
	_, err = f.db.UpdateCustomField(f.as, plan.ID, onboardiq.CustomFieldPatch{Options: onboardiq.Set([]string{})})
	invalidField(t, "a one_of field without options", err, "options")
	if _, err := f.db.UpdateCustomer(f.as, a.ID, onboardiq.CustomerPatch{CustomFields: onboardiq.Set(map[string]any{"plan": "Enterprise"})}); err != nil {
		t.Errorf("a new option: %v", err)
	}
	if err := f.db.DeleteCustomField(f.as, plan.ID); err != nil {
		t.Fatal(err)
	}
	a, err = f.db.GetCustomer(f.as, a.ID)
	if err != nil || a.CustomFields["plan"] != nil || a.CustomFields["seats"] != float64(45) {
		t.Errorf("after the field was deleted: %v %v", err, a.CustomFields)
	}
	defs, err := f.db.ListCustomFields(f.as, "customer")
	if err != nil || len(defs) != 3 || defs[0].Key != "seats" {
		t.Errorf("customer fields: %v %+v", err, defs)
	}
	var n int
	f.scalar(t, &n, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind = 'settings.custom_fields_changed'`, f.tenant)
	if n != 8 { // 6 created, 1 changed, 1 deleted
		t.Errorf("%d custom field events, want 8", n)
	}
}
