package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/secret"
)

// pageFixture is a workspace with one customer and its contact, and a pool
// whose statements tr records, for the page-shaped reads.
type pageFixture struct {
	db, traced *DB
	tr         *tracer
	tenant     uuid.UUID
	as         context.Context // the admin
	asContact  context.Context
	customer   *onboardiq.Customer
	contact    *onboardiq.User
}

func newPageFixture(t *testing.T) *pageFixture {
	t.Helper()
	ctx := context.Background()
	url := testAppURL(t)
	ring, err := secret.NewKeyring([][]byte{make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, url, WithSecrets(ring))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	ten, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Acme", Slug: "acme", AdminEmail: "a@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := db.Authenticate(ctx, ten.Token)
	if err != nil {
		t.Fatal(err)
	}
	f := &pageFixture{db: db, tr: &tracer{}, tenant: ten.Tenant.ID, as: onboardiq.NewContextWithPrincipal(ctx, admin)}
	if f.customer, err = db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Globex"}); err != nil {
		t.Fatal(err)
	}
	if f.contact, err = db.CreateUser(f.as, onboardiq.NewUser{Email: "c@globex.test", Name: "Contact", Role: onboardiq.RoleCustomer, CustomerID: &f.customer.ID}); err != nil {
		t.Fatal(err)
	}
	f.asContact = onboardiq.NewContextWithPrincipal(ctx, f.principal(onboardiq.RoleCustomer, f.contact.ID))
	f.traced = tracedDB(t, url, f.tr)
	return f
}

func (f *pageFixture) principal(role onboardiq.Role, user uuid.UUID) *onboardiq.Principal {
	p := &onboardiq.Principal{TenantID: f.tenant, UserID: user, Role: role}
	if role == onboardiq.RoleCustomer {
		p.CustomerID = &f.customer.ID
	}
	return p
}

// project creates a project of customer c with n tasks, each commented on
// and, in the contact's customer, assigned to the contact.
func (f *pageFixture) project(t *testing.T, c *onboardiq.Customer, name string, n int) *onboardiq.Project {
	t.Helper()
	pr, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: c.ID, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		in := onboardiq.TaskPatch{Description: onboardiq.Set(fmt.Sprintf("Task %d", i))}
		if c.ID == f.customer.ID {
			in.AssignedTo = onboardiq.Set(f.contact.ID)
		}
		task, err := f.db.CreateTask(f.as, pr.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.AddComment(f.as, task.ID, "Noted."); err != nil {
			t.Fatal(err)
		}
	}
	return pr
}

// sameCost fails unless every run sent the same few round trips.
func sameCost(t *testing.T, what string, runs [][]string) {
	t.Helper()
	for _, r := range runs {
		t.Logf("%s: %d round trips: %v", what, len(r), r)
		if !slices.Equal(r, runs[0]) || len(r) < 2 || len(r) > 6 {
			t.Errorf("%s: %v, then %v; want the same few round trips", what, runs[0], r)
		}
	}
}

// TestStaffProjectPageReadsInFixedRoundTrips: the console's project page
// costs the same statements with 5 tasks as with 50, whichever view of the
// tasks it shows, and holds everything the page shows: the tasks, the
// view's and the counts of every view, and who may be assigned.
func TestStaffProjectPageReadsInFixedRoundTrips(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	var sent [][]string
	for _, run := range []struct {
		n    int
		view TaskView
	}{{5, ViewAll}, {50, ViewAll}, {50, ViewOverdue}} {
		n := run.n
		pr := f.project(t, f.customer, fmt.Sprintf("%d tasks, %q", n, run.view), n)
		// Every fifth task is past its due date.
		f.exec(t, `UPDATE tasks SET due_at = now() - interval '1 day' WHERE tenant_id = $1 AND project_id = $2 AND position % 5 = 0`, f.tenant, pr.ID)
		f.tr.take()
		page, err := f.traced.LoadStaffProjectPage(f.as, pr.ID, run.view)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, f.tr.take())
		// The activity: the project's creation, and each task's creation
		// and comment, the latest 20.
		if page.Project.ID != pr.ID || page.Customer != "Globex" || len(page.Tasks) != n || page.Assignees[f.contact.ID] != "Contact" ||
			len(page.Assignees) != 1 || len(page.Activity) != min(20, 1+2*n) || page.Similar == nil {
			t.Errorf("%d tasks: the page is %q of %q, %d tasks, assignees %v, %d events, similar %v",
				n, page.Project.Name, page.Customer, len(page.Tasks), page.Assignees, len(page.Activity), page.Similar)
		}
		shown := n
		if run.view == ViewOverdue {
			shown = n / 5
		}
		want := map[TaskView]int{ViewAll: n, ViewCustomer: n, ViewOverdue: n / 5}
		if len(page.Shown) != shown || !maps.Equal(page.Counts, want) || len(page.Overdue) != n/5 {
			t.Errorf("%d tasks, view %q: %d shown, counts %v, %d overdue; want %d shown, counts %v", n, run.view, len(page.Shown), page.Counts, len(page.Overdue), shown, want)
		}
		if len(page.Assignable) != 2 || page.Assignable[0].Contact || !page.Assignable[1].Contact || page.Assignable[1].ID != f.contact.ID {
			t.Errorf("assignable: %+v; want the admin (a support member), then the contact", page.Assignable)
		}
	}
	sameCost(t, "staff project page", sent)
}

// TestStaffProjectPageChecksTheCaller: the console's project page is
// staff's, and another workspace's project, or none, is not found.
func TestStaffProjectPageChecksTheCaller(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr := f.project(t, f.customer, "Rollout", 1)
	other, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	theirs := f.project(t, other, "Initech rollout", 1)
	viewer := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleViewer, uuid.New()))
	for _, tc := range []struct {
		who  string
		ctx  context.Context
		id   uuid.UUID
		want string
	}{
		{"a viewer", viewer, pr.ID, ""},
		{"the contact, their own project", f.asContact, pr.ID, onboardiq.EFORBIDDEN},
		{"the contact, another customer's", f.asContact, theirs.ID, onboardiq.ENOTFOUND},
		{"staff, no such project", f.as, uuid.New(), onboardiq.ENOTFOUND},
		{"nobody", context.Background(), pr.ID, onboardiq.EUNAUTHORIZED},
	} {
		if _, err := f.db.LoadStaffProjectPage(tc.ctx, tc.id, ViewAll); onboardiq.ErrorCode(err) != tc.want {
			t.Errorf("%s: %v, want code %q", tc.who, err, tc.want)
		}
	}
}

// TestPortalHomeReadsInFixedRoundTrips: a contact's home costs the same
// statements with one project as with ten, and shows each project's next
// open steps, in plan order, among those customers see.
func TestPortalHomeReadsInFixedRoundTrips(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	first := f.project(t, f.customer, "Project 0", 5)
	// Its first task is done, its second internal: the next steps are
	// tasks 2, 3 and 4.
	var done, internal uuid.UUID
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT (array_agg(task_id ORDER BY position))[1], (array_agg(task_id ORDER BY position))[2] FROM tasks WHERE project_id = $1`, first.ID).Scan(&done, &internal)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateTask(f.as, done, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateTask(f.as, internal, onboardiq.TaskPatch{Visibility: onboardiq.Set(onboardiq.VisibilityInternal)}); err != nil {
		t.Fatal(err)
	}
	other, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	f.project(t, other, "Initech rollout", 1)

	f.tr.take()
	var sent [][]string
	for _, n := range []int{1, 10} {
		for i := range n - 1 {
			f.project(t, f.customer, fmt.Sprintf("Project %d", i+1), 4)
		}
		f.tr.take()
		home, err := f.traced.LoadPortalHome(f.asContact, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, f.tr.take())
		if len(home.Projects) != n {
			t.Fatalf("%d projects shown, want %d (their own only)", len(home.Projects), n)
		}
		for _, pr := range home.Projects {
			var steps []string
			for _, task := range home.Next[pr.ID] {
				steps = append(steps, task.Description)
			}
			want := []string{"Task 0", "Task 1", "Task 2"}
			if pr.ID == first.ID {
				want = []string{"Task 2", "Task 3", "Task 4"}
			}
			if !slices.Equal(steps, want) {
				t.Errorf("%s: next steps %v, want %v", pr.Name, steps, want)
			}
		}
		if home.Projects[n-1].ID != first.ID {
			t.Errorf("the oldest project is not last: %s", home.Projects[n-1].Name)
		}
	}
	sameCost(t, "portal home", sent)
}

// TestDashboardReadsInFixedRoundTrips: the dashboard costs the same
// statements with one project as with ten, and is staff's.
func TestDashboardReadsInFixedRoundTrips(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	now := time.Now()
	var sent [][]string
	for _, n := range []int{1, 10} {
		for i := range n - len(sent) {
			f.project(t, f.customer, fmt.Sprintf("Project %d", i), 2)
		}
		f.tr.take()
		d, err := f.traced.LoadDashboard(f.as, now)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, f.tr.take())
		if len(d.Active) != n || d.ByStatus["not_started"] != n || len(d.Weekly) != 26 || d.Customers[f.customer.ID.String()] != "Globex" || len(d.Customers) != 1 {
			t.Errorf("%d projects: %d active, by status %v, %d weeks, customers %v", n, len(d.Active), d.ByStatus, len(d.Weekly), d.Customers)
		}
	}
	sameCost(t, "dashboard", sent)
	if _, err := f.db.LoadDashboard(f.asContact, now); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact's dashboard: %v", err)
	}
}

// TestPagesCountTheUnread: the console pages bring the caller's unread
// notifications for the navigation's badge, so that rendering them asks
// nothing more.
func TestPagesCountTheUnread(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr := f.project(t, f.customer, "Rollout", 1)
	admin := onboardiq.PrincipalFromContext(f.as)
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO notifications (tenant_id, user_id, kind, title, read_at)
VALUES ($1, $2, 'project_overdue', 'Overdue', now()), ($1, $2, 'project_overdue', 'Overdue', NULL), ($1, $2, 'project_overdue', 'Overdue', NULL)`,
			f.tenant, admin.UserID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d, err := f.db.LoadDashboard(f.as, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pp, err := f.db.LoadStaffProjectPage(f.as, pr.ID, ViewAll)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := f.db.LoadSettingsPage(f.as, "local")
	if err != nil {
		t.Fatal(err)
	}
	if d.Unread != 2 || pp.Unread != 2 || sp.Unread != 2 {
		t.Errorf("unread: dashboard %d, project page %d, settings %d; want 2", d.Unread, pp.Unread, sp.Unread)
	}
}

// TestSettingsPageShowsWhatTheCallerManages: admins get the webhooks and
// the AI status; other staff the rest; a contact nothing. Each costs the
// same statements however many users and templates there are.
func TestSettingsPageShowsWhatTheCallerManages(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	csm, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "csm@acme.test", Name: "CSM", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	asCSM := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleCSM, csm.ID))
	var sent [][]string
	for range 2 {
		f.tr.take()
		admin, err := f.traced.LoadSettingsPage(f.as, "local")
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, f.tr.take())
		if len(admin.Preferences) != len(NotificationKinds) || admin.Settings.TimeZone == "" || len(admin.Users) < 3 ||
			admin.Webhooks == nil || admin.Deliveries == nil || admin.AI == nil {
			t.Errorf("the admin's page: %+v", admin)
		}
		// More of everything.
		if _, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: fmt.Sprintf("u%d@acme.test", len(sent)), Name: "User", Role: onboardiq.RoleViewer}); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(sent[0], sent[1]) {
		t.Errorf("settings: %v, then %v", sent[0], sent[1])
	}
	page, err := f.db.LoadSettingsPage(asCSM, "local")
	if err != nil {
		t.Fatal(err)
	}
	if page.Webhooks != nil || page.Deliveries != nil || page.AI != nil || len(page.Users) < 3 {
		t.Errorf("a CSM's page: webhooks %v, deliveries %v, AI %v, %d users", page.Webhooks, page.Deliveries, page.AI, len(page.Users))
	}
	if _, err := f.db.LoadSettingsPage(f.asContact, "local"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact's settings: %v", err)
	}
}
