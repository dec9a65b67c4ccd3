package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// TestCustomerAccountForm: the customer forms take the account — lifecycle
// status, ARR, renewal date, external id —, each labelled; a bad value
// comes back beside its field with the input kept; the page shows them
// and the children with the ARR roll-up; the list filters by lifecycle
// status; a cross-origin post is refused, and roles that may not change
// customers see no form and are refused by the store.
func TestCustomerAccountForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["csm"])

	form := url.Values{"name": {"Hooli Group"}, "lifecycle_status": {"active"}, "arr": {"1,000,000"}, "renewal_date": {"2027-03-31"}, "external_id": {"acct_77"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("arr", "a lot")
	p := post(t, c, a.url+"/app/customers", bad, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-new-customer-arr"), "number") ||
		len(p.all(`#new-customer-arr[aria-invalid="true"][aria-describedby="error-new-customer-arr"]`)) != 1 {
		t.Fatalf("a bad ARR: %d %q", p.status, p.text("#error-new-customer-arr"))
	}
	labelled(t, "the refused form", p)
	for field, want := range map[string]string{"arr": "a lot", "renewal_date": "2027-03-31", "external_id": "acct_77"} {
		if in := p.all("#new-customer-" + field); len(in) != 1 || attr(in[0], "value") != want {
			t.Errorf("the %s typed was not kept", field)
		}
	}
	if sel := p.all(`#new-customer-lifecycle_status option[selected]`); len(sel) != 1 || attr(sel[0], "value") != "active" {
		t.Error("the lifecycle status chosen was not kept")
	}
	bad.Set("arr", "-5")
	if p := post(t, c, a.url+"/app/customers", bad, a.url); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-new-customer-arr"), "negative") {
		t.Errorf("a negative ARR: %d %q", p.status, p.text("#error-new-customer-arr"))
	}
	if p := post(t, c, a.url+"/app/customers", form, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin create: %d", p.status)
	}
	p = post(t, c, a.url+"/app/customers", form, a.url)
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", p.status, p.text(".error"))
	}
	id := strings.TrimPrefix(loc, "/app/customers/")
	page := get(t, c, a.url+loc)
	labelled(t, "the customer", page)
	if page.text("#detail-lifecycle_status") != "Active" || page.text("#detail-arr") != "1000000.00 USD" || page.text("#detail-renewal_date") != "2027-03-31" ||
		page.text("#detail-external_id") != "acct_77" {
		t.Errorf("the details: %q", page.text("#details dl"))
	}
	if sel := page.all(`#customer-lifecycle_status option[selected]`); len(sel) != 1 || attr(sel[0], "value") != "active" {
		t.Error("the edit form does not start from the status")
	}

	// Edit: a bad renewal date is refused beside it; an empty ARR clears it.
	edit := url.Values{"name": {"Hooli Group"}, "lifecycle_status": {"churned"}, "arr": {""}, "renewal_date": {"2027-02-30"}, "external_id": {"acct_77"}}
	p = post(t, c, a.url+"/app/customers/"+id, edit, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-customer-renewal_date"), "date") || len(p.all("details#edit-customer[open]")) != 1 {
		t.Errorf("a bad renewal date: %d %q", p.status, p.text("#error-customer-renewal_date"))
	}
	edit.Set("renewal_date", "")
	if p := post(t, c, a.url+"/app/customers/"+id, edit, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.text(".error"))
	}
	page = get(t, c, a.url+"/app/customers/"+id)
	if page.text("#detail-lifecycle_status") != "Churned" || page.text("#detail-arr") != "—" || page.text("#detail-renewal_date") != "—" {
		t.Errorf("edited: %q", page.text("#details dl"))
	}
	// A second customer cannot take the external id: refused on the form.
	p = post(t, c, a.url+"/app/customers", url.Values{"name": {"Copy"}, "external_id": {"acct_77"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("main"), "external id") {
		t.Errorf("a taken external id: %d", p.status)
	}

	// The list filters by lifecycle status.
	list := get(t, c, a.url+"/app/customers?lifecycle_status=churned")
	labelled(t, "customers", list)
	if rows := list.all("table#customers tbody tr"); len(rows) != 1 || !strings.Contains(list.text("#customers"), "Hooli Group") {
		t.Errorf("churned customers: %d rows", len(rows))
	}
	if strings.Contains(get(t, c, a.url+"/app/customers?lifecycle_status=active").text("#customers"), "Hooli Group") {
		t.Error("the churned customer is listed as active")
	}

	// Children: the parent's page lists them and sums the ARR.
	var child string
	actScan(t, a, `UPDATE customers SET parent_id = $1, arr = 250 WHERE name = 'Globex Logistics' RETURNING customer_id::text`, []any{id}, &child)
	var same string
	actScan(t, a, `UPDATE customers SET arr = 1000 WHERE customer_id = $1 RETURNING customer_id::text`, []any{id}, &same)
	page = get(t, c, a.url+"/app/customers/"+id)
	if !strings.Contains(page.text("#detail-children"), "Globex Logistics") || page.text("#detail-rollup") != "1250.00 USD over 2 customers" {
		t.Errorf("children %q, roll-up %q", page.text("#detail-children"), page.text("#detail-rollup"))
	}

	if got := get(t, c, a.url+"/app/customers/"+child).text("#detail-parent"); got != "Hooli Group" {
		t.Errorf("the child's parent: %q", got)
	}
	// Under its own child: a cycle, refused beside the select, the choice kept.
	edit.Set("parent_id", child)
	p = post(t, c, a.url+"/app/customers/"+id, edit, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-customer-parent_id"), "cycle") ||
		len(p.all(`#customer-parent_id[aria-invalid="true"] option[selected][value="`+child+`"]`)) != 1 {
		t.Errorf("a cycle: %d %q", p.status, p.text("#error-customer-parent_id"))
	}
	// The child moved to the top from its own form.
	cp := get(t, c, a.url+"/app/customers/"+child)
	if sel := cp.all(`#customer-parent_id option[selected]`); len(sel) != 1 || attr(sel[0], "value") != id {
		t.Error("the child's form does not start from its parent")
	}
	if p := post(t, c, a.url+"/app/customers/"+child, url.Values{"name": {"Globex Logistics"}, "parent_id": {""}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("move to the top: %d %s", p.status, p.text(".error"))
	}
	if got := get(t, c, a.url+"/app/customers/"+id); len(got.all("#detail-children, #detail-rollup")) != 0 {
		t.Error("the parent still lists its child")
	}

	// Viewers and sales leaders see the account, no form, and are refused.
	for _, role := range []string{"viewer", "sales_leader"} {
		rc := signIn(t, a, roleEmails[role])
		pg := get(t, rc, a.url+"/app/customers/"+id)
		if pg.text("#detail-lifecycle_status") != "Churned" || len(pg.all("#edit-customer-form, #customer-arr")) != 0 {
			t.Errorf("%s: the page shows the edit form", role)
		}
		refused(t, role+" edits", post(t, rc, a.url+"/app/customers/"+id, url.Values{"name": {"X"}, "lifecycle_status": {"active"}}, a.url))
	}
	contact := client(t)
	if p := post(t, contact, a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"hannah.becker@globex.example"}, "password": {demo.Password}}, a.url); p.status != http.StatusSeeOther {
		t.Fatal("the contact's sign-in")
	}
	refused(t, "a contact edits", post(t, contact, a.url+"/app/customers/"+id, url.Values{"name": {"X"}, "lifecycle_status": {"active"}}, a.url))
	var status string
	actScan(t, a, `SELECT lifecycle_status FROM customers WHERE customer_id = $1`, []any{id}, &status)
	if status != "churned" {
		t.Errorf("refused posts changed the status: %s", status)
	}
}
