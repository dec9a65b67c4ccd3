package postgres

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// TestContactReopensWhatTheyCompleted: a contact may reopen a task they
// marked done, not one a colleague or the vendor did; the store agrees
// with onboardiq.CanChangeTaskStatus, and who completed a task is
// forgotten once it is open again.
func TestContactReopensWhatTheyCompleted(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	colleague, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "k@globex.test", Name: "Colleague", Role: onboardiq.RoleCustomer, CustomerID: &f.customer.ID})
	if err != nil {
		t.Fatal(err)
	}
	asColleague := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleCustomer, colleague.ID))
	pr := f.project(t, f.customer, "Rollout", 3) // each assigned to the contact
	tasks, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	mine, theirs, vendors := tasks.Items[0].ID, tasks.Items[1].ID, tasks.Items[2].ID
	set := func(ctx context.Context, id uuid.UUID, s onboardiq.Status) (*onboardiq.Task, error) {
		return f.db.UpdateTask(ctx, id, onboardiq.TaskPatch{Status: onboardiq.Set(s)})
	}
	for _, step := range []struct {
		who *context.Context
		id  uuid.UUID
	}{{&f.asContact, mine}, {&asColleague, theirs}, {&f.as, vendors}} {
		done, err := set(*step.who, step.id, onboardiq.StatusCompleted)
		if err != nil {
			t.Fatal(err)
		}
		if want := onboardiq.PrincipalFromContext(*step.who).UserID; done.CompletedBy == nil || *done.CompletedBy != want {
			t.Errorf("task %s completed by %v, want %s", done.Description, done.CompletedBy, want)
		}
	}
	me := onboardiq.PrincipalFromContext(f.asContact)
	for _, tc := range []struct {
		name string
		id   uuid.UUID
		want string
	}{
		{"their own", mine, ""},
		{"a colleague's", theirs, onboardiq.EFORBIDDEN},
		{"the vendor's", vendors, onboardiq.EFORBIDDEN},
	} {
		before, err := f.db.GetTask(f.asContact, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if shown := onboardiq.CanChangeTaskStatus(me, before); shown != (tc.want == "") {
			t.Errorf("%s: the predicate says %v", tc.name, shown)
		}
		after, err := set(f.asContact, tc.id, onboardiq.StatusInProgress)
		if onboardiq.ErrorCode(err) != tc.want {
			t.Errorf("reopening %s: %v, want code %q", tc.name, err, tc.want)
			continue
		}
		if err == nil && (after.Status != onboardiq.StatusInProgress || after.CompletedBy != nil || after.CompletedAt != nil) {
			t.Errorf("reopened %s: %s, completed by %v at %v", tc.name, after.Status, after.CompletedBy, after.CompletedAt)
		}
	}
	// Reopened, it is an open task of their company: they may complete it
	// again, and the vendor's staff reopen anything.
	if _, err := set(f.asContact, mine, onboardiq.StatusCompleted); err != nil {
		t.Errorf("complete it again: %v", err)
	}
	if _, err := set(f.as, theirs, onboardiq.StatusInProgress); err != nil {
		t.Errorf("an admin reopening a contact's task: %v", err)
	}
	// Cancelling is the team's: a contact may neither cancel an open task
	// of their company nor revive one the team cancelled.
	if _, err := set(f.asContact, theirs, onboardiq.StatusCancelled); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact cancelling a task: %v, want forbidden", err)
	}
	if _, err := set(f.as, theirs, onboardiq.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	if _, err := set(f.asContact, theirs, onboardiq.StatusInProgress); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact reviving a cancelled task: %v, want forbidden", err)
	}
}

// TestContactCommentsOnWhatTheySee: a contact comments on every task of
// their company's projects that customers see, whoever it is assigned to,
// and on no internal task (not found: they cannot see it) or another
// customer's.
func TestContactCommentsOnWhatTheySee(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr := f.project(t, f.customer, "Rollout", 0)
	other, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	theirProject := f.project(t, other, "Initech rollout", 1)
	admin := onboardiq.PrincipalFromContext(f.as).UserID
	task := func(in onboardiq.TaskPatch) uuid.UUID {
		t.Helper()
		tk, err := f.db.CreateTask(f.as, pr.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		return tk.ID
	}
	theirs, err := f.db.ListTasks(f.as, theirProject.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   uuid.UUID
		want string
	}{
		{"their company's", task(onboardiq.TaskPatch{Description: onboardiq.Set("Send the logo"), AssignedTo: onboardiq.Set(f.contact.ID)}), ""},
		{"the vendor's", task(onboardiq.TaskPatch{Description: onboardiq.Set("Configure SSO"), AssignedTo: onboardiq.Set(admin)}), ""},
		{"nobody's", task(onboardiq.TaskPatch{Description: onboardiq.Set("Pick a date")}), ""},
		{"a completed one", task(onboardiq.TaskPatch{Description: onboardiq.Set("Kickoff"), Status: onboardiq.Set(onboardiq.StatusCompleted)}), ""},
		{"an internal one", task(onboardiq.TaskPatch{Description: onboardiq.Set("Margin review"), Visibility: onboardiq.Set(onboardiq.VisibilityInternal)}), onboardiq.ENOTFOUND},
		{"another customer's", theirs.Items[0].ID, onboardiq.ENOTFOUND},
	} {
		if _, err := f.db.AddComment(f.asContact, tc.id, "A question."); onboardiq.ErrorCode(err) != tc.want {
			t.Errorf("a comment on %s task: %v, want code %q", tc.name, err, tc.want)
		}
	}
}

// TestPortalHomeShowsTheContactsTasksAndCSM: "Your tasks" are the
// contact's own open tasks of projects going on, overdue first, then by due
// date, across projects, with the projects' names; the card names their
// support member.
func TestPortalHomeShowsTheContactsTasksAndCSM(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	now := time.Now()
	csm, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "priya@acme.test", Name: "Priya", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AssignSupportMember(f.as, f.customer.ID, &csm.ID); err != nil {
		t.Fatal(err)
	}
	a := f.project(t, f.customer, "Alpha", 0)
	b := f.project(t, f.customer, "Beta", 0)
	held := f.project(t, f.customer, "Held", 0)
	add := func(pr *onboardiq.Project, desc string, dueDays int, edit func(*onboardiq.TaskPatch)) {
		t.Helper()
		in := onboardiq.TaskPatch{Description: onboardiq.Set(desc), AssignedTo: onboardiq.Set(f.contact.ID), DueAt: onboardiq.Set(now.AddDate(0, 0, dueDays))}
		if edit != nil {
			edit(&in)
		}
		if _, err := f.db.CreateTask(f.as, pr.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	add(a, "Later", 9, nil)
	add(b, "Late by two", -2, nil)
	add(a, "Soon", 1, nil)
	add(b, "Late by five", -5, nil)
	add(a, "Done", -3, func(in *onboardiq.TaskPatch) { in.Status = onboardiq.Set(onboardiq.StatusCompleted) })
	add(a, "The vendor's", -3, func(in *onboardiq.TaskPatch) { in.AssignedTo = onboardiq.Set(csm.ID) })
	add(a, "Internal", -3, func(in *onboardiq.TaskPatch) { in.Visibility = onboardiq.Set(onboardiq.VisibilityInternal) })
	add(held, "Paused", -3, nil)
	f.change(t, held.ID, onboardiq.LifecycleHold, "Budget freeze")

	home, err := f.db.LoadPortalHome(f.asContact, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range home.Mine {
		got = append(got, tk.Description+" ("+home.Names[tk.ProjectID]+")")
	}
	want := []string{"Late by five (Beta)", "Late by two (Beta)", "Soon (Alpha)", "Later (Alpha)"}
	if !slices.Equal(got, want) {
		t.Errorf("your tasks: %v, want %v", got, want)
	}
	if home.CSM == nil || home.CSM.Name != "Priya" || home.CSM.Email != "priya@acme.test" {
		t.Errorf("the support contact: %+v", home.CSM)
	}
	if home.Brand == nil || home.Brand.Title() != "Acme onboarding" || home.Brand.Slug != "acme" {
		t.Errorf("the brand: %+v", home.Brand)
	}
}

// TestPortalProjectPageReadsInFixedRoundTrips: a project's portal page
// costs the same statements with 5 tasks as with 50 (each commented on),
// brings the branding, and shows the contact no internal task.
func TestPortalProjectPageReadsInFixedRoundTrips(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	if _, err := f.db.SetBranding(f.as, onboardiq.BrandingInput{PortalName: "Acme hub", AccentColor: "#aa3300"}); err != nil {
		t.Fatal(err)
	}
	var sent [][]string
	for _, n := range []int{5, 50} {
		pr := f.project(t, f.customer, fmt.Sprintf("%d tasks", n), n)
		if _, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Internal"), Visibility: onboardiq.Set(onboardiq.VisibilityInternal)}); err != nil {
			t.Fatal(err)
		}
		f.tr.take()
		page, err := f.traced.LoadPortalProjectPage(f.asContact, pr.ID)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, f.tr.take())
		if len(page.Tasks) != n || len(page.Comments) != n || page.Contacts[f.contact.ID] != "Contact" || page.Brand.Title() != "Acme hub" ||
			page.Brand.AccentColor != "#aa3300" {
			t.Errorf("%d tasks: %d tasks, %d commented, contacts %v, brand %+v", n, len(page.Tasks), len(page.Comments), page.Contacts, page.Brand)
		}
	}
	sameCost(t, "portal project page", sent)
	other, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	theirs := f.project(t, other, "Initech rollout", 1)
	if _, err := f.db.LoadPortalProjectPage(f.asContact, theirs.ID); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("another customer's project: %v", err)
	}
}

// TestBrandingIsTheAdmins: admins set the branding, which is recorded;
// other staff read it; contacts neither; anyone sees a workspace's portal
// branding by its slug, and an unknown slug is not found.
func TestBrandingIsTheAdmins(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	csm, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "csm@acme.test", Name: "CSM", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	asCSM := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleCSM, csm.ID))
	in := onboardiq.BrandingInput{PortalName: "Acme hub", AccentColor: "#AA3300"}
	for who, ctx := range map[string]context.Context{"a CSM": asCSM, "a contact": f.asContact} {
		if _, err := f.db.SetBranding(ctx, in); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s setting the branding: %v", who, err)
		}
	}
	if _, err := f.db.GetBranding(f.asContact); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact reading the branding: %v", err)
	}
	b, err := f.db.SetBranding(f.as, in)
	if err != nil || b.AccentColor != "#aa3300" || b.PortalName != "Acme hub" {
		t.Fatalf("set: %+v %v", b, err)
	}
	if read, err := f.db.GetBranding(asCSM); err != nil || read.PortalName != "Acme hub" {
		t.Errorf("a CSM reads %+v %v", read, err)
	}
	public, err := f.db.GetPublicBranding(context.Background(), "acme")
	if err != nil || public.Title() != "Acme hub" || public.Workspace != "Acme" || public.Logo != nil {
		t.Errorf("by slug: %+v %v", public, err)
	}
	if _, err := f.db.GetPublicBranding(context.Background(), "nope"); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("an unknown slug: %v", err)
	}
	// Saving the same again records nothing more.
	if _, err := f.db.SetBranding(f.as, in); err != nil {
		t.Fatal(err)
	}
	var events int
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = $1`, onboardiq.EventBrandingChanged).Scan(&events)
	}); err != nil {
		t.Fatal(err)
	}
	if events != 1 {
		t.Errorf("%d branding events, want 1", events)
	}
}

// TestOpenNotification: opening a notification marks it read, once (the
// first reading's time stays), and another user's is not found.
func TestOpenNotification(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	admin := onboardiq.PrincipalFromContext(f.as).UserID
	var mine, theirs uuid.UUID
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `WITH n AS (INSERT INTO notifications (tenant_id, user_id, kind, title) VALUES ($1, $2, 'project_overdue', 'Mine'), ($1, $3, 'project_overdue', 'Theirs')
RETURNING notification_id, user_id) SELECT (SELECT notification_id FROM n WHERE user_id = $2), (SELECT notification_id FROM n WHERE user_id = $3)`,
			f.tenant, admin, f.contact.ID).Scan(&mine, &theirs)
	}); err != nil {
		t.Fatal(err)
	}
	readAt := func() time.Time {
		var at time.Time
		if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
			return tx.QueryRow(ctx, `SELECT read_at FROM notifications WHERE notification_id = $1`, mine).Scan(&at)
		}); err != nil {
			t.Fatal(err)
		}
		return at
	}
	n, err := f.db.OpenNotification(f.as, mine)
	if err != nil || !n.Read || n.Title != "Mine" {
		t.Fatalf("open: %+v %v", n, err)
	}
	first := readAt()
	if _, err := f.db.OpenNotification(f.as, mine); err != nil {
		t.Fatal(err)
	}
	if again := readAt(); !again.Equal(first) {
		t.Errorf("opened again, read at %v, was %v", again, first)
	}
	if unread, err := f.db.CountUnread(f.as); err != nil || unread != 0 {
		t.Errorf("unread after opening: %d %v", unread, err)
	}
	if _, err := f.db.OpenNotification(f.as, theirs); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("another user's: %v", err)
	}
}

// TestActivityNamesTheTask: the activity log reads each event back with
// the names of its task and project, so it can say what happened to what.
func TestActivityNamesTheTask(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	pr := f.project(t, f.customer, "Rollout", 1)
	tasks, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	task := tasks.Items[0]
	due := time.Date(2031, 3, 4, 17, 0, 0, 0, time.UTC)
	if _, err := f.db.UpdateTask(f.as, task.ID, onboardiq.TaskPatch{DueAt: onboardiq.Set(due)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateTask(f.asContact, task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)}); err != nil {
		t.Fatal(err)
	}
	log, err := f.db.ListActivity(f.as, ActivityFilter{ProjectID: &pr.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log.Items {
		got = append(got, e.Actor+" "+e.Describe())
	}
	for _, want := range []string{
		"Contact completed “Task 0”",
		"a moved the due date of “Task 0” to 4 Mar", // the fixture's admin is named "a"
		"Contact completed the project “Rollout”",
		"a commented on “Task 0”",
		"a created the project “Rollout”",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("the log %q lacks %q", got, want)
		}
	}
}
