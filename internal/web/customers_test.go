package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/onboardiq/onboardiq/internal/demo"
)

func cascadiaAll(n *html.Node, sel string) []*html.Node { return cascadia.MustCompile(sel).MatchAll(n) }

// nodeText is the text inside n, trimmed.
func nodeText(n *html.Node) string {
	return strings.TrimSpace(page{doc: n}.text("*"))
}

// The demo's people by role, for the visibility checks.
var roleEmails = map[string]string{
	"admin":        "alex.morgan@acme.example",
	"csm":          "priya.shah@acme.example",
	"sales_leader": "dana.whitfield@acme.example",
	"viewer":       "sam.lee@acme.example",
}

// labelled fails for a field of p without a label, and for a data table
// without class rows or a cell without a data-label.
func labelled(t *testing.T, what string, p page) {
	t.Helper()
	for _, in := range p.all("main input:not([type=hidden]), main select, main textarea") {
		id := attr(in, "id")
		if id == "" || len(p.all(`label[for="`+id+`"]`)) != 1 {
			t.Errorf("%s: a %s without a label (id %q)", what, in.Data, id)
		}
	}
	for _, tb := range p.all("main table") {
		if !strings.Contains(" "+attr(tb, "class")+" ", " rows ") {
			t.Errorf("%s: table %q is not class rows", what, attr(tb, "id"))
		}
	}
	for _, td := range p.all("main table td") {
		if attr(td, "data-label") == "" && attr(td, "colspan") == "" {
			t.Errorf("%s: a cell without data-label", what)
		}
	}
}

// customerID is the id of the demo customer named name.
func (a *app) customerID(t *testing.T, name string) string {
	t.Helper()
	var id string
	actScan(t, a, `SELECT customer_id::text FROM customers WHERE name = $1`, []any{name}, &id)
	return id
}

// refused fails unless a post was refused by the store (403) or, for a
// contact, sent to their portal (or, signed out, to sign in).
func refused(t *testing.T, what string, p page) {
	t.Helper()
	loc := p.header.Get("Location")
	if p.status != http.StatusForbidden && !(p.status == http.StatusSeeOther && (strings.HasPrefix(loc, "/portal/") || strings.HasPrefix(loc, "/signin"))) {
		t.Errorf("%s: %d %s, want refused", what, p.status, loc)
	}
}

// TestCustomerForms: a CSM creates a customer (the list's form), edits its
// details and segment, assigns its CSM, archives and unarchives it. Every
// field has a label; a cross-origin post is refused; a bad value comes
// back on the same page beside its field with the input kept; roles that
// may not change customers see no forms and are refused by the store.
func TestCustomerForms(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["csm"])

	list := get(t, c, a.url+"/app/customers?new=1")
	labelled(t, "customers", list)
	if list.status != 200 || len(list.all("table#customers tbody tr")) != 3 || len(list.all("details#new-customer[open] form#new-customer-form")) != 1 {
		t.Fatalf("customers: %d, %d rows, the new-customer form open: %d", list.status, len(list.all("table#customers tbody tr")), len(list.all("details#new-customer[open]")))
	}
	if row := list.text("table#customers tbody tr:first-child"); !strings.Contains(row, "Globex Logistics") || !strings.Contains(row, "Priya Shah") {
		t.Errorf("the first row: %q", row)
	}

	// Refused: a bad email, kept with the rest; another origin.
	form := url.Values{"name": {"Hooli Health"}, "email": {"not an address"}, "phone": {"+1 555 0199"}, "website": {"hooli.example"}, "segment": {"Enterprise"}}
	p := post(t, c, a.url+"/app/customers", form, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != "Customers" || !strings.Contains(p.text("#error-new-customer-email"), "email address") ||
		len(p.all(`#new-customer-email[aria-invalid="true"][aria-describedby="error-new-customer-email"]`)) != 1 {
		t.Fatalf("a bad email: %d %q %q", p.status, p.text("h1"), p.text("#error-new-customer-email"))
	}
	for field, want := range map[string]string{"name": "Hooli Health", "email": "not an address", "phone": "+1 555 0199", "website": "hooli.example", "segment": "Enterprise"} {
		if in := p.all("#new-customer-" + field); len(in) != 1 || attr(in[0], "value") != want {
			t.Errorf("the %s typed was not kept", field)
		}
	}
	if len(p.all("details#new-customer[open]")) != 1 {
		t.Error("the refused form is not open")
	}
	if p := post(t, c, a.url+"/app/customers", url.Values{"name": {"Evil Corp"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin create: %d", p.status)
	}
	var n int
	actScan(t, a, `SELECT count(*) FROM customers`, nil, &n)
	if n != 3 {
		t.Fatalf("the refused posts made customers: %d", n)
	}

	form.Set("email", "ops@hooli.example")
	form.Set("address", "1 Hacker Way\nPalo Alto")
	p = post(t, c, a.url+"/app/customers", form, a.url)
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/app/customers/") {
		t.Fatalf("create: %d %q %s", p.status, loc, p.text(".error"))
	}
	id := strings.TrimPrefix(loc, "/app/customers/")
	page := get(t, c, a.url+loc)
	labelled(t, "customer", page)
	if page.text("h1") != "Hooli Health" || !strings.Contains(page.text(".flash"), "Hooli Health was added") || page.text("#detail-email") != "ops@hooli.example" ||
		page.text("#detail-website") != "https://hooli.example" || page.text("#detail-segment") != "Enterprise" || !strings.Contains(page.text("#detail-address"), "Palo Alto") {
		t.Errorf("the new customer's page: %q, details %q", page.text("h1"), page.text("#details dl"))
	}

	// Edit: a bad website is refused beside the field, the rest kept.
	edit := url.Values{"name": {"Hooli"}, "email": {"ops@hooli.example"}, "phone": {"+1 555 0199"}, "website": {"ftp://hooli.example"}, "segment": {"Mid-market"}}
	p = post(t, c, a.url+"/app/customers/"+id, edit, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-customer-website"), "web address") || len(p.all("details#edit-customer[open]")) != 1 ||
		attr(p.all("#customer-name")[0], "value") != "Hooli" || attr(p.all("#customer-segment")[0], "value") != "Mid-market" || p.text("#detail-segment") != "Enterprise" {
		t.Errorf("a bad website: %d %q", p.status, p.text("#error-customer-website"))
	}
	if p := post(t, c, a.url+"/app/customers/"+id, edit, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin edit: %d", p.status)
	}
	edit.Set("website", "https://hooli.example/about")
	if p := post(t, c, a.url+"/app/customers/"+id, edit, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.text(".error"))
	}
	page = get(t, c, a.url+"/app/customers/"+id)
	if page.text("h1") != "Hooli" || page.text("#detail-segment") != "Mid-market" || page.text("#detail-address") != "—" || page.text("#detail-website") != "https://hooli.example/about" {
		t.Errorf("edited: %q %q", page.text("h1"), page.text("#details dl"))
	}
	// The demo's other details (industry…) survive an edit.
	globex := a.customerID(t, "Globex Logistics")
	gp := get(t, c, a.url+"/app/customers/"+globex)
	gform := url.Values{}
	for _, f := range []string{"name", "email", "phone", "address", "website", "segment"} {
		if in := gp.all("#customer-" + f); len(in) == 1 {
			gform.Set(f, attr(in[0], "value"))
		}
	}
	gform.Set("name", strings.TrimSpace(gform.Get("name")))
	gform.Set("segment", "Enterprise")
	if p := post(t, c, a.url+"/app/customers/"+globex, gform, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("edit Globex: %d %s", p.status, p.text(".error"))
	}
	var industry string
	actScan(t, a, `SELECT contact_info->>'industry' FROM customers WHERE customer_id = $1`, []any{globex}, &industry)
	if industry != "Logistics" {
		t.Errorf("an edit lost the industry: %q", industry)
	}

	// The CSM: assigned from the page; a bad one is refused beside the select.
	var marco string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'marco.rossi@acme.example'`, nil, &marco)
	if p := post(t, c, a.url+"/app/customers/"+id+"/csm", url.Values{"support_member_id": {marco}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("assign: %d %s", p.status, p.text(".error"))
	}
	if got := get(t, c, a.url+"/app/customers/"+id).text("#csm-name"); got != "Marco Rossi" {
		t.Errorf("the CSM: %q", got)
	}
	var sam string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'sam.lee@acme.example'`, nil, &sam)
	p = post(t, c, a.url+"/app/customers/"+id+"/csm", url.Values{"support_member_id": {sam}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-support_member_id"), "not a support member") || p.text("#csm-name") != "Marco Rossi" {
		t.Errorf("a viewer as CSM: %d %q", p.status, p.text("#error-support_member_id"))
	}

	// Archived: off the default list, on the archived one; no new project.
	if p := post(t, c, a.url+"/app/customers/"+id+"/archive", nil, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("archive: %d", p.status)
	}
	if strings.Contains(get(t, c, a.url+"/app/customers").text("#customers"), "Hooli") ||
		!strings.Contains(get(t, c, a.url+"/app/customers?archived=true").text("#customers"), "Hooli") {
		t.Error("the archived customer is listed, or not under the filter")
	}
	page = get(t, c, a.url+"/app/customers/"+id)
	if len(page.all("#archived")) != 1 || len(page.all("#new-project-link")) != 0 || !strings.Contains(page.text("#archive-form"), "Unarchive") {
		t.Errorf("the archived customer's page: archived pill %d, new project link %d", len(page.all("#archived")), len(page.all("#new-project-link")))
	}
	p = post(t, c, a.url+"/app/projects", url.Values{"customer_id": {id}, "name": {"Expansion"}, "start_date": {"2026-03-02"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-project-customer_id"), "archived") {
		t.Errorf("a project for the archived customer: %d %q", p.status, p.text("#error-project-customer_id"))
	}
	if p := post(t, c, a.url+"/app/customers/"+id+"/archive", nil, a.url); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-archive"), "archived already") {
		t.Errorf("archive twice: %d %q", p.status, p.text("#error-archive"))
	}
	if p := post(t, c, a.url+"/app/customers/"+id+"/unarchive", nil, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("unarchive: %d", p.status)
	}
	if len(get(t, c, a.url+"/app/customers/"+id).all("#new-project-link")) != 1 {
		t.Error("no new-project link after unarchiving")
	}

	// Who sees the forms, and who is refused.
	for role, email := range roleEmails {
		rc := signIn(t, a, email)
		l, pg := get(t, rc, a.url+"/app/customers?new=1"), get(t, rc, a.url+"/app/customers/"+id)
		forms := len(l.all("#new-customer-form")) + len(pg.all("#edit-customer-form")) + len(pg.all("#csm-form")) + len(pg.all("#archive-form")) + len(pg.all("#add-contact"))
		may := role == "admin" || role == "csm"
		if (forms == 5) != may || (forms != 0 && !may) {
			t.Errorf("%s sees %d of the 5 customer forms", role, forms)
		}
		if !may {
			refused(t, role+" creates", post(t, rc, a.url+"/app/customers", url.Values{"name": {"Sneaky"}}, a.url))
			refused(t, role+" edits", post(t, rc, a.url+"/app/customers/"+id, edit, a.url))
			refused(t, role+" archives", post(t, rc, a.url+"/app/customers/"+id+"/archive", nil, a.url))
			refused(t, role+" assigns", post(t, rc, a.url+"/app/customers/"+id+"/csm", url.Values{"support_member_id": {""}}, a.url))
		}
	}
	contact := client(t)
	if p := post(t, contact, a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"hannah.becker@globex.example"}, "password": {demo.Password}}, a.url); p.status != http.StatusSeeOther {
		t.Fatal("the contact's sign-in")
	}
	refused(t, "a contact creates", post(t, contact, a.url+"/app/customers", url.Values{"name": {"Sneaky"}}, a.url))
	refused(t, "a contact archives", post(t, contact, a.url+"/app/customers/"+globex+"/archive", nil, a.url))
	actScan(t, a, `SELECT count(*) FROM customers WHERE name = 'Sneaky' OR archived_at IS NOT NULL OR (name = 'Hooli' AND support_member_id IS NULL)`, nil, &n)
	if n != 0 {
		t.Errorf("refused posts changed %d customers", n)
	}
}

// mailboxLinks lists the development mailbox's links to to, newest first,
// with their subjects.
func mailboxLinks(t *testing.T, c *http.Client, a *app, to string) (links, subjects []string) {
	t.Helper()
	box := get(t, c, a.url+"/dev/mailbox?workspace=acme")
	for _, tr := range box.all("tr.mail") {
		cells := cascadiaAll(tr, "td")
		if len(cells) < 3 || nodeText(cells[0]) != to {
			continue
		}
		subjects = append(subjects, nodeText(cells[1]))
		links = append(links, attr(cascadiaAll(tr, "a.link")[0], "href"))
	}
	return links, subjects
}

// TestContactForms: a CSM adds a contact from the customer's page; the
// invitation shows in the development mailbox and its link signs the
// contact in to the portal. A bad or taken email comes back beside the
// field with the input kept; the contact is edited, disabled (their link
// stops), enabled and invited again. Viewers and sales leaders see none of
// it and are refused.
func TestContactForms(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["csm"])
	globex := a.customerID(t, "Globex Logistics")
	base := a.url + "/app/customers/" + globex

	p := post(t, c, base+"/contacts", url.Values{"name": {"Nina Novak"}, "email": {"nina@"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-new-contact-email"), "email address") ||
		attr(p.all("#new-contact-name")[0], "value") != "Nina Novak" || attr(p.all("#new-contact-email")[0], "value") != "nina@" {
		t.Fatalf("a bad email: %d %q", p.status, p.text("#error-new-contact-email"))
	}
	p = post(t, c, base+"/contacts", url.Values{"name": {"Nina Novak"}, "email": {"omar.aziz@globex.example"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-new-contact-email"), "already exists") {
		t.Errorf("a taken email: %d %q", p.status, p.text("#error-new-contact-email"))
	}
	if p := post(t, c, base+"/contacts", url.Values{"name": {"Nina Novak"}, "email": {"nina@globex.example"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin add: %d", p.status)
	}
	if links, _ := mailboxLinks(t, c, a, "nina@globex.example"); len(links) != 0 {
		t.Fatal("a refused add sent an invitation")
	}
	p = post(t, c, base+"/contacts", url.Values{"name": {"Nina Novak"}, "email": {"Nina@Globex.example"}}, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/customers/"+globex+"#contacts" {
		t.Fatalf("add: %d %s", p.status, p.text(".error"))
	}
	page := get(t, c, base)
	labelled(t, "customer with contacts", page)
	if !strings.Contains(page.text(".flash"), "Nina Novak was added and sent an invitation") || !strings.Contains(page.text("#contact-list"), "nina@globex.example") {
		t.Errorf("after adding: %q", page.text(".flash"))
	}
	links, subjects := mailboxLinks(t, c, a, "nina@globex.example")
	if len(links) != 1 || subjects[0] != "Acme Software invites you to the onboarding of Globex Logistics" {
		t.Fatalf("the mailbox: %q %q", links, subjects)
	}
	nina := client(t)
	if p := openLink(t, nina, a, links[0]); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme" {
		t.Fatalf("the invitation's link: %d %s", p.status, p.header.Get("Location"))
	}
	if home := get(t, nina, a.url+"/portal/acme"); home.status != 200 || !strings.Contains(home.raw, "Globex platform rollout") {
		t.Errorf("the portal after the invitation: %d", home.status)
	}

	var id string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'nina@globex.example'`, nil, &id)
	cbase := base + "/contacts/" + id
	// Edit: a blank name is refused beside the field, the email kept.
	p = post(t, c, cbase, url.Values{"name": {""}, "email": {"nina.novak@globex.example"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-contact-"+id+"-name"), "required") ||
		attr(p.all("#contact-" + id + "-email")[0], "value") != "nina.novak@globex.example" || len(p.all("#contact-"+id+" details.contact-edit[open]")) != 1 {
		t.Errorf("a blank name: %d %q", p.status, p.text("#error-contact-"+id+"-name"))
	}
	if p := post(t, c, cbase, url.Values{"name": {"Nina Novak-Ross"}, "email": {"nina.novak@globex.example"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.text(".error"))
	}
	if row := get(t, c, base).text("#contact-" + id); !strings.Contains(row, "Nina Novak-Ross") || !strings.Contains(row, "nina.novak@globex.example") {
		t.Errorf("the edited contact: %q", row)
	}
	// Invited again, then disabled: the pending link stops, the session ends.
	if p := post(t, c, cbase+"/invite", nil, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("invite again: %d", p.status)
	}
	links, _ = mailboxLinks(t, c, a, "nina.novak@globex.example")
	if len(links) != 1 {
		t.Fatalf("%d invitations to the new address", len(links))
	}
	if p := post(t, c, cbase+"/disable", nil, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", p.status)
	}
	page = get(t, c, base)
	if !strings.Contains(page.text("#contact-"+id), "disabled") || len(page.all(`form[action="/app/customers/`+globex+`/contacts/`+id+`/invite"]`)) != 0 {
		t.Errorf("the disabled contact: %q", page.text("#contact-"+id))
	}
	if p := get(t, nina, a.url+"/portal/acme"); p.status != http.StatusSeeOther {
		t.Errorf("a disabled contact's session: %d", p.status)
	}
	if p := openLink(t, client(t), a, links[0]); p.status != http.StatusUnauthorized {
		t.Errorf("a disabled contact's invitation: %d", p.status)
	}
	p = post(t, c, cbase+"/invite", nil, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-contact-"+id), "disabled") {
		t.Errorf("invite a disabled contact: %d %q", p.status, p.text("main .error"))
	}
	if p := post(t, c, cbase+"/enable", nil, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("enable: %d", p.status)
	}
	if p := post(t, c, cbase+"/invite", nil, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("invite the enabled contact: %d", p.status)
	}
	links, _ = mailboxLinks(t, c, a, "nina.novak@globex.example")
	if p := openLink(t, client(t), a, links[0]); len(links) != 2 || p.status != http.StatusSeeOther {
		t.Errorf("the enabled contact's new invitation: %d links, %d", len(links), p.status)
	}

	// Viewers and sales leaders see the contacts, no controls, and are refused.
	for _, role := range []string{"viewer", "sales_leader"} {
		rc := signIn(t, a, roleEmails[role])
		pg := get(t, rc, base)
		if !strings.Contains(pg.text("#contact-list"), "Nina Novak-Ross") || len(pg.all("#contact-list form, #add-contact")) != 0 {
			t.Errorf("%s: %d contact forms", role, len(pg.all("#contact-list form, #add-contact")))
		}
		refused(t, role+" adds", post(t, rc, base+"/contacts", url.Values{"name": {"X"}, "email": {"x@globex.example"}}, a.url))
		refused(t, role+" edits", post(t, rc, cbase, url.Values{"name": {"X"}, "email": {"x@globex.example"}}, a.url))
		refused(t, role+" disables", post(t, rc, cbase+"/disable", nil, a.url))
		refused(t, role+" invites", post(t, rc, cbase+"/invite", nil, a.url))
	}
	hannah := client(t)
	if p := post(t, hannah, a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"hannah.becker@globex.example"}, "password": {demo.Password}}, a.url); p.status != http.StatusSeeOther {
		t.Fatal("the contact's sign-in")
	}
	refused(t, "a contact invites", post(t, hannah, cbase+"/invite", nil, a.url))
	refused(t, "a contact adds", post(t, hannah, base+"/contacts", url.Values{"name": {"X"}, "email": {"x@globex.example"}}, a.url))
	var n int
	actScan(t, a, `SELECT count(*) FROM tenant_users WHERE email = 'x@globex.example' OR name = 'X' OR disabled_at IS NOT NULL`, nil, &n)
	if n != 0 {
		t.Errorf("refused posts changed %d users", n)
	}
}
