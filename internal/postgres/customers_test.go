package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// invalidField fails unless err is EINVALID about field.
func invalidField(t *testing.T, what string, err error, field string) {
	t.Helper()
	if onboardiq.ErrorCode(err) != onboardiq.EINVALID || onboardiq.ErrorField(err) != field {
		t.Errorf("%s: %v (field %q), want invalid %s", what, err, onboardiq.ErrorField(err), field)
	}
}

// TestCustomerDetailsAreChecked: a customer's contact details and segment
// are checked when created and changed, each error naming its field, and
// nothing is written; good values are normalised, other keys kept.
func TestCustomerDetailsAreChecked(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	long := strings.Repeat("x", 101)
	for _, tc := range []struct {
		info    map[string]any
		segment string
		field   string
	}{
		{map[string]any{"email": "not an address"}, "", "contact_info.email"},
		{map[string]any{"email": 42}, "", "contact_info.email"},
		{map[string]any{"phone": "call me maybe"}, "", "contact_info.phone"},
		{map[string]any{"phone": "12"}, "", "contact_info.phone"},
		{map[string]any{"address": strings.Repeat("a", 501)}, "", "contact_info.address"},
		{map[string]any{"website": "ftp://globex.example"}, "", "contact_info.website"},
		{map[string]any{"website": "https://"}, "", "contact_info.website"},
		{map[string]any{"website": "globex example"}, "", "contact_info.website"},
		{nil, long, "segment"},
	} {
		_, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Bad Co", ContactInfo: tc.info, Segment: tc.segment})
		invalidField(t, fmt.Sprintf("create with %v %q", tc.info, tc.segment), err, tc.field)
		_, err = f.db.UpdateCustomer(f.as, f.customer.ID, onboardiq.CustomerPatch{ContactInfo: onboardiq.Set(tc.info), Segment: onboardiq.Set(tc.segment)})
		if tc.info == nil {
			_, err = f.db.UpdateCustomer(f.as, f.customer.ID, onboardiq.CustomerPatch{Segment: onboardiq.Set(tc.segment)})
		}
		invalidField(t, fmt.Sprintf("change to %v %q", tc.info, tc.segment), err, tc.field)
	}
	list, err := f.db.ListCustomers(f.as, CustomerFilter{Archived: ArchivedAny})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("refused creations wrote customers: %d, %v", len(list.Items), err)
	}

	c, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "  Initech  ", Segment: " Enterprise ", ContactInfo: map[string]any{
		"email": " Ops@Initech.Example ", "phone": "+1 (555) 0142 ext. 7", "address": "1 Main St\nSpringfield", "website": "initech.example",
		"industry": "Healthcare", "employees": 450, "fax": ""}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Initech" || c.Segment != "Enterprise" || c.Contact("email") != "ops@initech.example" || c.Contact("website") != "https://initech.example" ||
		c.Contact("phone") != "+1 (555) 0142 ext. 7" || c.ContactInfo["industry"] != "Healthcare" || c.ContactInfo["employees"] != float64(450) || c.Archived() {
		t.Errorf("created: %+v", c)
	}
	// Clearing a detail drops its key; the segment can be cleared.
	c, err = f.db.UpdateCustomer(f.as, c.ID, onboardiq.CustomerPatch{ContactInfo: onboardiq.Set(map[string]any{"email": "", "phone": "555 0100", "industry": "Health"}),
		Segment: onboardiq.Patch[string]{Set: true, Null: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, has := c.ContactInfo["email"]; has || c.Contact("phone") != "555 0100" || c.Segment != "" || len(c.ContactInfo) != 2 {
		t.Errorf("changed: %+v", c)
	}
	// The change is recorded with what changed.
	act, err := f.db.ListActivity(f.as, ActivityFilter{CustomerID: &c.ID})
	if err != nil || len(act.Items) != 2 || act.Items[0].Kind != onboardiq.EventCustomerUpdated || act.Items[0].Changes["segment"] == nil {
		t.Errorf("activity: %v %+v", err, act.Items)
	}
	// A viewer may not.
	viewer := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleViewer, uuid.New()))
	if _, err := f.db.UpdateCustomer(viewer, c.ID, onboardiq.CustomerPatch{Segment: onboardiq.Set("SMB")}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a viewer's change: %v", err)
	}
}

// TestArchivedCustomerTakesNoProject: an archived customer leaves the
// default list (a filter shows it), keeps its projects and takes no new
// one until it is unarchived; each change is an event of its own kind.
func TestArchivedCustomerTakesNoProject(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	other, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Hooli"})
	if err != nil {
		t.Fatal(err)
	}
	running := f.project(t, f.customer, "Running", 2)
	names := func(archived string) string {
		t.Helper()
		l, err := f.db.ListCustomers(f.as, CustomerFilter{Archived: archived})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range l.Items {
			out = append(out, c.Name)
		}
		return strings.Join(out, ",")
	}
	viewer := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleViewer, uuid.New()))
	if _, err := f.db.ArchiveCustomer(viewer, f.customer.ID); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a viewer archives: %v", err)
	}
	c, err := f.db.ArchiveCustomer(f.as, f.customer.ID)
	if err != nil || !c.Archived() {
		t.Fatalf("archive: %v %+v", err, c)
	}
	if _, err := f.db.ArchiveCustomer(f.as, f.customer.ID); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
		t.Errorf("archive twice: %v", err)
	}
	if got := names(""); got != "Hooli" {
		t.Errorf("the default list: %q", got)
	}
	if got := names(ArchivedOnly); got != "Globex" {
		t.Errorf("the archived: %q", got)
	}
	if got := names(ArchivedAny); got != "Globex,Hooli" {
		t.Errorf("all: %q", got)
	}
	if _, err := f.db.ListCustomers(f.as, CustomerFilter{Archived: "maybe"}); onboardiq.ErrorField(err) != "archived" {
		t.Errorf("a bad archived filter: %v", err)
	}
	_, err = f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "Another"})
	invalidField(t, "a project for an archived customer", err, "customer_id")
	if !strings.Contains(onboardiq.ErrorMessage(err), "archived") {
		t.Errorf("the refusal does not say why: %v", err)
	}
	if pr, err := f.db.GetProject(f.as, running.ID); err != nil || pr.Status != onboardiq.StatusNotStarted {
		t.Errorf("the running project: %v", err)
	}
	// Its tasks still change, and it can still be edited.
	if _, err := f.db.UpdateCustomer(f.as, f.customer.ID, onboardiq.CustomerPatch{Segment: onboardiq.Set("SMB")}); err != nil {
		t.Errorf("edit an archived customer: %v", err)
	}
	if _, err := f.db.UnarchiveCustomer(f.as, other.ID); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
		t.Errorf("unarchive an active customer: %v", err)
	}
	if c, err = f.db.UnarchiveCustomer(f.as, f.customer.ID); err != nil || c.Archived() {
		t.Fatalf("unarchive: %v", err)
	}
	if _, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "Another"}); err != nil {
		t.Errorf("a project after unarchiving: %v", err)
	}
	_, err = f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: uuid.New(), Name: "Nobody's"})
	invalidField(t, "a project for no customer", err, "customer_id")
	act, err := f.db.ListActivity(f.as, ActivityFilter{CustomerID: &f.customer.ID, ListOptions: onboardiq.ListOptions{Limit: 200}})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[onboardiq.EventKind]int{}
	for _, e := range act.Items {
		kinds[e.Kind]++
	}
	if kinds[onboardiq.EventCustomerArchived] != 1 || kinds[onboardiq.EventCustomerUnarchived] != 1 {
		t.Errorf("events: %v", kinds)
	}
}

// TestCustomersPageCountsOpenProjects: the customers list brings each
// customer's CSM and its open projects' count and mean progress, filtered
// by name, CSM and archiving, in the same statements for 2 customers as
// for 12.
func TestCustomersPageCountsOpenProjects(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	csm, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "csm@acme.test", Name: "Casey CSM", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AssignSupportMember(f.as, f.customer.ID, &csm.ID); err != nil {
		t.Fatal(err)
	}
	// Globex: two open projects (0% and 50%), one completed, one cancelled.
	f.project(t, f.customer, "Empty", 0)
	half := f.project(t, f.customer, "Half", 2)
	done := f.project(t, f.customer, "Done", 1)
	gone := f.project(t, f.customer, "Gone", 1)
	complete := func(pr *onboardiq.Project, n int) {
		t.Helper()
		tasks, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks.Items[:n] {
			if _, err := f.db.UpdateTask(f.as, task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	complete(half, 1)
	complete(done, 1)
	if _, err := f.db.ChangeProjectLifecycle(f.as, gone.ID, onboardiq.LifecycleCancel, "Churned"); err != nil {
		t.Fatal(err)
	}
	var sent [][]string
	for _, n := range []int{1, 11} {
		for i := len(sent)*1 + 1; i <= n; i++ {
			if _, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: fmt.Sprintf("Zeta %02d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		f.tr.take()
		pg, err := f.traced.LoadCustomersPage(f.as, CustomerFilter{ListOptions: onboardiq.ListOptions{Limit: 200}})
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, f.tr.take())
		if len(pg.Customers.Items) != n+1 {
			t.Fatalf("%d customers listed, want %d", len(pg.Customers.Items), n+1)
		}
		g := pg.Customers.Items[0]
		if g.Name != "Globex" || g.CSM != "Casey CSM" || g.OpenProjects != 2 || g.Progress == nil || *g.Progress != 25 {
			t.Errorf("Globex: %+v (progress %v)", g, g.Progress)
		}
		if z := pg.Customers.Items[1]; z.OpenProjects != 0 || z.Progress != nil || z.CSM != "" {
			t.Errorf("a customer without projects: %+v", z)
		}
		if len(pg.SupportMembers) != 2 { // the admin and the CSM
			t.Errorf("support members: %+v", pg.SupportMembers)
		}
	}
	sameCost(t, "customers page", sent)

	// Filters and paging.
	pg, err := f.db.LoadCustomersPage(f.as, CustomerFilter{SupportMemberID: &csm.ID})
	if err != nil || len(pg.Customers.Items) != 1 || pg.Customers.Items[0].Name != "Globex" {
		t.Errorf("by CSM: %v %+v", err, pg)
	}
	pg, err = f.db.LoadCustomersPage(f.as, CustomerFilter{Q: "zeta 1"})
	if err != nil || len(pg.Customers.Items) != 2 {
		t.Errorf("search: %v, %d", err, len(pg.Customers.Items))
	}
	first, err := f.db.LoadCustomersPage(f.as, CustomerFilter{ListOptions: onboardiq.ListOptions{Limit: 5}})
	if err != nil || len(first.Customers.Items) != 5 || first.Customers.NextCursor == "" {
		t.Fatalf("page 1: %v", err)
	}
	second, err := f.db.LoadCustomersPage(f.as, CustomerFilter{ListOptions: onboardiq.ListOptions{Limit: 5, Cursor: first.Customers.NextCursor}})
	if err != nil || len(second.Customers.Items) != 5 || second.Customers.Items[0].Name != "Zeta 05" {
		t.Errorf("page 2: %v %+v", err, second)
	}
	if _, err := f.db.ArchiveCustomer(f.as, f.customer.ID); err != nil {
		t.Fatal(err)
	}
	if pg, err := f.db.LoadCustomersPage(f.as, CustomerFilter{Archived: ArchivedOnly}); err != nil || len(pg.Customers.Items) != 1 || !pg.Customers.Items[0].Archived() {
		t.Errorf("archived: %v %+v", err, pg)
	}
	if _, err := f.db.LoadCustomersPage(f.asContact, CustomerFilter{}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact's customers page: %v", err)
	}
}

// TestCustomerPageReadsInFixedRoundTrips: a customer's page costs the same
// statements with 1 project as with 6, and holds what the page shows.
func TestCustomerPageReadsInFixedRoundTrips(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	var sent [][]string
	for _, n := range []int{1, 6} {
		for i := len(sent) * 1; i < n; i++ {
			f.project(t, f.customer, fmt.Sprintf("Project %d", i), 1)
		}
		f.tr.take()
		pg, err := f.traced.LoadCustomerPage(f.as, f.customer.ID)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, f.tr.take())
		if pg.Customer.ID != f.customer.ID || len(pg.Projects) != n || len(pg.Contacts) != 1 || pg.Contacts[0].Name != "Contact" ||
			len(pg.Activity) == 0 || len(pg.SupportMembers) != 1 || pg.CSM != "" {
			t.Errorf("%d projects: %+v", n, pg)
		}
	}
	sameCost(t, "customer page", sent)
	if _, err := f.db.LoadCustomerPage(f.asContact, f.customer.ID); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact's customer page: %v", err)
	}
	if _, err := f.db.LoadCustomerPage(f.as, uuid.New()); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("no such customer: %v", err)
	}
}

// TestProjectFilters: the projects list filters by CSM, customer, status,
// overdue and at risk, searches by name, sorts and pages; the projects
// page brings each project's customer and CSM.
func TestProjectFilters(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	csm, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "csm@acme.test", Name: "Casey CSM", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AssignSupportMember(f.as, f.customer.ID, &csm.ID); err != nil {
		t.Fatal(err)
	}
	hooli, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Hooli"})
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().AddDate(0, 0, -10)
	late, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "Late rollout", StartDate: past.AddDate(0, 0, -30), Deadline: &past})
	if err != nil {
		t.Fatal(err)
	}
	risky := f.project(t, hooli, "Risky rollout", 0)
	calm := f.project(t, hooli, "Calm pilot", 0)
	held := f.project(t, f.customer, "Held pilot", 0)
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE projects SET at_risk = true, risk_reason = 'Slow' WHERE project_id = ANY ($1)`, []uuid.UUID{risky.ID, held.ID})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ChangeProjectLifecycle(f.as, held.ID, onboardiq.LifecycleHold, "Budget"); err != nil {
		t.Fatal(err)
	}
	list := func(pf ProjectFilter) string {
		t.Helper()
		pg, err := f.db.ListProjects(f.as, pf)
		if err != nil {
			t.Fatalf("%+v: %v", pf, err)
		}
		var out []string
		for _, p := range pg.Items {
			out = append(out, p.Name)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		f    ProjectFilter
		want string
	}{
		{ProjectFilter{Sort: "name"}, "Calm pilot,Held pilot,Late rollout,Risky rollout"},
		{ProjectFilter{Sort: "-name", SupportMemberID: &csm.ID}, "Late rollout,Held pilot"},
		{ProjectFilter{Sort: "name", CustomerID: &hooli.ID}, "Calm pilot,Risky rollout"},
		{ProjectFilter{Overdue: true}, "Late rollout"},
		{ProjectFilter{AtRisk: true}, "Risky rollout"}, // the held one is paused
		{ProjectFilter{Status: onboardiq.StatusOnHold}, "Held pilot"},
		{ProjectFilter{Q: "ROLLOUT", Sort: "deadline"}, "Late rollout,Risky rollout"},
		{ProjectFilter{Q: "pilot", AtRisk: true}, ""},
	} {
		if got := list(tc.f); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
		}
	}
	_ = calm
	_ = late
	// Paging keeps the filter.
	first, err := f.db.ListProjects(f.as, ProjectFilter{Sort: "name", ListOptions: onboardiq.ListOptions{Limit: 1}, CustomerID: &hooli.ID})
	if err != nil || first.NextCursor == "" {
		t.Fatal(err)
	}
	second, err := f.db.ListProjects(f.as, ProjectFilter{Sort: "name", ListOptions: onboardiq.ListOptions{Limit: 1, Cursor: first.NextCursor}, CustomerID: &hooli.ID})
	if err != nil || len(second.Items) != 1 || second.Items[0].Name != "Risky rollout" || second.NextCursor != "" {
		t.Errorf("page 2: %v %+v", err, second)
	}
	if _, err := f.db.ListProjects(f.as, ProjectFilter{Sort: "risk"}); onboardiq.ErrorField(err) != "sort" {
		t.Errorf("a bad sort: %v", err)
	}
	// The page: customer and CSM names, the filters' choices.
	pg, err := f.db.LoadProjectsPage(f.as, ProjectFilter{Sort: "name"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Projects.Items) != 4 || pg.Projects.Items[2].Customer != "Globex" || pg.Projects.Items[2].CSM != "Casey CSM" ||
		pg.Projects.Items[0].CSM != "" || len(pg.Customers) != 2 || len(pg.SupportMembers) != 2 {
		t.Errorf("projects page: %+v", pg)
	}
	// A contact lists only their customer's projects, whatever they ask.
	if got, err := f.db.ListProjects(f.asContact, ProjectFilter{CustomerID: &hooli.ID}); err != nil || len(got.Items) != 0 {
		t.Errorf("a contact asking for another customer's projects: %v %d", err, len(got.Items))
	}
	if _, err := f.db.LoadProjectsPage(f.asContact, ProjectFilter{}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact's projects page: %v", err)
	}
}

// TestMyTasks: the caller's open tasks in open projects, overdue first
// (not those of a project on hold), then by due date, those without one
// last; paged with a cursor; staff only.
func TestMyTasks(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	me := onboardiq.PrincipalFromContext(f.as).UserID
	csm, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "csm@acme.test", Name: "Casey CSM", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	day := func(n int) time.Time { return now.AddDate(0, 0, n) }
	open := f.project(t, f.customer, "Open", 0)
	held := f.project(t, f.customer, "Held", 0)
	done := f.project(t, f.customer, "Cancelled", 0)
	add := func(pr *onboardiq.Project, name string, who uuid.UUID, due *time.Time, status onboardiq.Status) {
		t.Helper()
		in := onboardiq.TaskPatch{Description: onboardiq.Set(name), AssignedTo: onboardiq.Set(who)}
		if due != nil {
			in.DueAt = onboardiq.Set(*due)
		}
		task, err := f.db.CreateTask(f.as, pr.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if status != "" {
			patch := onboardiq.TaskPatch{Status: onboardiq.Set(status)}
			if status == onboardiq.StatusBlocked {
				patch.BlockedReason = onboardiq.Set("Waiting")
			}
			if _, err := f.db.UpdateTask(f.as, task.ID, patch); err != nil {
				t.Fatal(err)
			}
		}
	}
	ptr := func(t time.Time) *time.Time { return &t }
	add(open, "Soon", me, ptr(day(2)), "")
	add(open, "Undated", me, nil, "")
	add(open, "Late", me, ptr(day(-3)), onboardiq.StatusInProgress)
	add(open, "Later", me, ptr(day(9)), onboardiq.StatusBlocked)
	add(open, "Very late", me, ptr(day(-8)), "")
	add(open, "Finished", me, ptr(day(-1)), onboardiq.StatusCompleted)
	add(open, "Someone else's", csm.ID, ptr(day(-5)), "")
	add(held, "Paused", me, ptr(day(-20)), "")
	add(done, "Dropped", me, ptr(day(-2)), "")
	if _, err := f.db.ChangeProjectLifecycle(f.as, held.ID, onboardiq.LifecycleHold, "Budget"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ChangeProjectLifecycle(f.as, done.ID, onboardiq.LifecycleCancel, "Churned"); err != nil {
		t.Fatal(err)
	}
	var got []string
	cursor := ""
	for range 10 {
		pg, err := f.db.ListMyTasks(f.as, onboardiq.ListOptions{Limit: 2, Cursor: cursor}, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pg.Items {
			s := m.Description
			if m.Overdue {
				s += "!"
			}
			if m.Project == "" || m.Customer != "Globex" {
				t.Errorf("%s: project %q, customer %q", m.Description, m.Project, m.Customer)
			}
			got = append(got, s)
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	want := "Very late!,Late!,Paused,Soon,Later,Undated"
	if strings.Join(got, ",") != want {
		t.Errorf("my tasks: %s, want %s", strings.Join(got, ","), want)
	}
	if _, err := f.db.ListMyTasks(f.asContact, onboardiq.ListOptions{}, now); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact's tasks: %v", err)
	}
	if _, err := f.db.ListMyTasks(f.as, onboardiq.ListOptions{Cursor: "bogus"}, now); onboardiq.ErrorField(err) != "cursor" {
		t.Errorf("a bad cursor: %v", err)
	}
}

// TestContacts: those who may change customers add a contact, which
// queues an invitation (a link of its own purpose, lasting 7 days, that
// signs the contact in); change their name and email (a taken email is a
// conflict naming it), disable them (their links stop), and send the
// invitation again (the earlier link stops). Staff users are no contacts
// here; viewers and contacts may not.
func TestContacts(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	ctx := context.Background()
	viewer := onboardiq.NewContextWithPrincipal(ctx, f.principal(onboardiq.RoleViewer, uuid.New()))
	in := onboardiq.NewContact{Name: "Hannah Becker", Email: "Hannah@Globex.Test"}
	if _, _, err := f.db.AddContact(viewer, f.customer.ID, in, "http://test"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a viewer adds a contact: %v", err)
	}
	if _, _, err := f.db.AddContact(f.asContact, f.customer.ID, in, "http://test"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact adds a contact: %v", err)
	}
	_, _, err := f.db.AddContact(f.as, f.customer.ID, onboardiq.NewContact{Name: "X", Email: "nope"}, "http://test")
	invalidField(t, "a bad email", err, "email")
	_, _, err = f.db.AddContact(f.as, f.customer.ID, onboardiq.NewContact{Email: "x@globex.test"}, "http://test")
	invalidField(t, "no name", err, "name")
	if _, _, err := f.db.AddContact(f.as, uuid.New(), in, "http://test"); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("a contact of no customer: %v", err)
	}
	u, link, err := f.db.AddContact(f.as, f.customer.ID, in, "http://test")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != onboardiq.RoleCustomer || *u.CustomerID != f.customer.ID || u.Email != "hannah@globex.test" ||
		!strings.HasPrefix(link.URL, "http://test/portal/acme/magic?token=oiql_") || link.Subject != "Acme invites you to the onboarding of Globex" {
		t.Fatalf("added %+v, link %+v", u, link)
	}
	if _, _, err := f.db.AddContact(f.as, f.customer.ID, in, "http://test"); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT || onboardiq.ErrorField(err) != "email" {
		t.Errorf("the same email again: %v", err)
	}
	var purpose string
	var days float64
	var subject, text string
	if err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
		if err := tx.QueryRow(ctx, `SELECT purpose, extract(epoch FROM expires_at - created_at) / 86400 FROM login_tokens WHERE user_id = $1`, u.ID).Scan(&purpose, &days); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT payload->>'subject', payload->>'text' FROM deliveries WHERE recipient = $1 AND event_type = 'invitation'`, u.Email).Scan(&subject, &text)
	}); err != nil {
		t.Fatal(err)
	}
	if purpose != LinkInvite || days < 6.99 || days > 7.01 || subject != link.Subject || !strings.Contains(text, "{link}") || strings.Contains(text, "oiql_") {
		t.Errorf("the invitation: %s for %.2f days, %q / %q", purpose, days, subject, text)
	}

	// Changed by a CSM: name and email; the old address's link stops.
	csmUser, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "csm@acme.test", Name: "Casey CSM", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	asCSM := onboardiq.NewContextWithPrincipal(ctx, f.principal(onboardiq.RoleCSM, csmUser.ID))
	_, err = f.db.UpdateContact(asCSM, u.ID, onboardiq.ContactPatch{Email: onboardiq.Set("c@globex.test")})
	if onboardiq.ErrorCode(err) != onboardiq.ECONFLICT || onboardiq.ErrorField(err) != "email" {
		t.Errorf("a taken email: %v", err)
	}
	_, err = f.db.UpdateContact(asCSM, u.ID, onboardiq.ContactPatch{Name: onboardiq.Set(" ")})
	invalidField(t, "a blank name", err, "name")
	if _, err := f.db.UpdateContact(asCSM, csmUser.ID, onboardiq.ContactPatch{Name: onboardiq.Set("Staff")}); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("a staff user changed as a contact: %v", err)
	}
	if _, err := f.db.UpdateContact(viewer, u.ID, onboardiq.ContactPatch{Name: onboardiq.Set("V")}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a viewer changes a contact: %v", err)
	}
	u, err = f.db.UpdateContact(asCSM, u.ID, onboardiq.ContactPatch{Name: onboardiq.Set("Hannah Becker-Ross"), Email: onboardiq.Set("hannah.ross@globex.test")})
	if err != nil || u.Name != "Hannah Becker-Ross" || u.Email != "hannah.ross@globex.test" {
		t.Fatalf("change: %v %+v", err, u)
	}
	token := func(l SentLink) string { return l.URL[strings.Index(l.URL, "token=")+len("token="):] }
	if _, _, err := f.db.SignInWithLink(ctx, "acme", token(link)); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Errorf("the link to the old address: %v", err)
	}
	// Invited again: the new link signs in, once.
	u, link, err = f.db.ResendInvitation(asCSM, u.ID, "http://test")
	if err != nil {
		t.Fatal(err)
	}
	again, second, err := f.db.ResendInvitation(asCSM, u.ID, "http://test")
	if err != nil || again.ID != u.ID {
		t.Fatal(err)
	}
	if _, _, err := f.db.SignInWithLink(ctx, "acme", token(link)); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Errorf("an invitation sent before the last: %v", err)
	}
	if _, p, err := f.db.SignInWithLink(ctx, "acme", token(second)); err != nil || p.UserID != u.ID || !p.IsCustomer() {
		t.Errorf("the invitation's link: %v", err)
	}
	if _, _, err := f.db.SignInWithLink(ctx, "acme", token(second)); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Errorf("the invitation twice: %v", err)
	}
	if _, _, err := f.db.ResendInvitation(viewer, u.ID, "http://test"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a viewer invites: %v", err)
	}
	// Disabled: no session, no invitation until enabled again.
	_, pending, err := f.db.ResendInvitation(asCSM, u.ID, "http://test")
	if err != nil {
		t.Fatal(err)
	}
	if u, err = f.db.UpdateContact(asCSM, u.ID, onboardiq.ContactPatch{Disabled: onboardiq.Set(true)}); err != nil || !u.Disabled {
		t.Fatalf("disable: %v", err)
	}
	if _, _, err := f.db.SignInWithLink(ctx, "acme", token(pending)); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Errorf("a disabled contact's invitation: %v", err)
	}
	if _, _, err := f.db.ResendInvitation(asCSM, u.ID, "http://test"); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
		t.Errorf("invite a disabled contact: %v", err)
	}
	if u, err = f.db.UpdateContact(asCSM, u.ID, onboardiq.ContactPatch{Disabled: onboardiq.Set(false)}); err != nil || u.Disabled {
		t.Fatalf("enable: %v", err)
	}
	if _, _, err := f.db.ResendInvitation(asCSM, u.ID, "http://test"); err != nil {
		t.Errorf("invite an enabled contact: %v", err)
	}
	act, err := f.db.ListActivity(f.as, ActivityFilter{CustomerID: &f.customer.ID, ListOptions: onboardiq.ListOptions{Limit: 200}})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[onboardiq.EventKind]int{}
	for _, e := range act.Items {
		kinds[e.Kind]++
	}
	if kinds[onboardiq.EventUserInvited] != 5 || kinds[onboardiq.EventUserUpdated] != 3 {
		t.Errorf("events: %v", kinds)
	}
}
