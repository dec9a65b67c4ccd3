package onboardiq_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// TestWhoMayDoWhat is the policy, written out: every role × every action.
// A change to who may do what shows here first.
func TestWhoMayDoWhat(t *testing.T) {
	t.Parallel()
	// Per action: admin, csm, sales_leader, viewer, customer.
	want := map[onboardiq.Action]string{
		onboardiq.ReadActivity:     "yyyyn",
		onboardiq.ReadDashboard:    "yyyyn",
		onboardiq.ReadUsers:        "yyyyn",
		onboardiq.ReadTemplates:    "yyyyn",
		onboardiq.ReadSettings:     "yyyyn",
		onboardiq.UseStaffAI:       "yyyyn",
		onboardiq.EditCustomers:    "yynnn",
		onboardiq.EditProjects:     "yynnn",
		onboardiq.EditTasks:        "yynnn",
		onboardiq.CommentOnTasks:   "yynnn",
		onboardiq.EditArticles:     "yynnn",
		onboardiq.ManageUsers:      "ynnnn",
		onboardiq.ManageTemplates:  "ynnnn",
		onboardiq.ManageWebhooks:   "ynnnn",
		onboardiq.ManageSettings:   "ynnnn",
		onboardiq.ManageHolidays:   "ynnnn",
		onboardiq.ManageAI:         "ynnnn",
		onboardiq.ManageOthersKeys: "ynnnn",
		onboardiq.IngestUsage:      "ynnnn",
		onboardiq.ReadUsage:        "yyyyn",
		onboardiq.ManageUsage:      "ynnnn",
		onboardiq.ReadPlaybooks:    "yynnn",
		onboardiq.RunPlaybooks:     "yynnn",
		onboardiq.ManagePlaybooks:  "ynnnn",
		onboardiq.ExportWorkspace:  "ynnnn",
		onboardiq.ImportData:       "ynnnn",

		onboardiq.ManageIntegrations: "ynnnn",
	}
	roles := []onboardiq.Role{onboardiq.RoleAdmin, onboardiq.RoleCSM, onboardiq.RoleSalesLeader, onboardiq.RoleViewer, onboardiq.RoleCustomer}
	if len(want) != len(onboardiq.Actions()) {
		t.Errorf("the table has %d actions, the policy %d", len(want), len(onboardiq.Actions()))
	}
	for _, a := range onboardiq.Actions() {
		row, ok := want[a]
		if !ok {
			t.Errorf("%s is not in the table", a)
			continue
		}
		for i, r := range roles {
			p := &onboardiq.Principal{Role: r}
			can := p.Can(a)
			if can != (row[i] == 'y') {
				t.Errorf("%s may %s: %v, want %v", r, a, can, row[i] == 'y')
			}
			err := p.Check(a)
			if can != (err == nil) {
				t.Errorf("%s %s: Can %v but Check %v", r, a, can, err)
			}
			if err != nil && (onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN || !strings.Contains(err.Error(), "your role ("+string(r)+") may not")) {
				t.Errorf("%s %s: refusal %v", r, a, err)
			}
		}
	}
	var nobody *onboardiq.Principal
	if nobody.Can(onboardiq.ReadDashboard) || (&onboardiq.Principal{Role: onboardiq.RoleAdmin}).Can("no_such_action") {
		t.Error("nobody, or an unknown action, is allowed")
	}
}

// TestTaskPredicates: who may change a task's status and comment on it.
// Staff follow their role; a contact sees only their own customer's tasks
// that customers see: they comment on all of those, change the open ones
// assigned to their company, and reopen the ones they marked done.
func TestTaskPredicates(t *testing.T) {
	t.Parallel()
	customer, other := uuid.New(), uuid.New()
	contact, colleague := uuid.New(), uuid.New()
	staffUser := uuid.New()
	me := &onboardiq.Principal{Role: onboardiq.RoleCustomer, UserID: contact, CustomerID: &customer}
	stranger := &onboardiq.Principal{Role: onboardiq.RoleCustomer, UserID: uuid.New(), CustomerID: &other}
	task := func(edit func(*onboardiq.Task)) *onboardiq.Task {
		t := &onboardiq.Task{CustomerID: customer, Status: onboardiq.StatusInProgress, Visibility: onboardiq.VisibilityCustomer}
		edit(t)
		return t
	}
	done := func(by uuid.UUID) func(*onboardiq.Task) {
		return func(t *onboardiq.Task) {
			t.Status, t.CompletedBy, t.CustomerSide = onboardiq.StatusCompleted, &by, true
		}
	}
	ours := func(t *onboardiq.Task) { t.CustomerSide = true }
	theirs := func(t *onboardiq.Task) {}
	internal := func(t *onboardiq.Task) { t.CustomerSide, t.Visibility = true, onboardiq.VisibilityInternal }
	for _, tc := range []struct {
		name            string
		p               *onboardiq.Principal
		task            *onboardiq.Task
		status, comment bool
	}{
		{"an admin, any task", &onboardiq.Principal{Role: onboardiq.RoleAdmin}, task(internal), true, true},
		{"a CSM, a task someone else completed", &onboardiq.Principal{Role: onboardiq.RoleCSM}, task(done(contact)), true, true},
		{"a sales leader", &onboardiq.Principal{Role: onboardiq.RoleSalesLeader}, task(ours), false, false},
		{"a viewer", &onboardiq.Principal{Role: onboardiq.RoleViewer}, task(ours), false, false},
		{"a contact, an open task of their company", me, task(ours), true, true},
		{"a contact, an open task of the vendor's", me, task(theirs), false, true},
		{"a contact, a task they completed", me, task(done(contact)), true, true},
		{"a contact, a task a colleague completed", me, task(done(colleague)), false, true},
		{"a contact, a task staff completed", me, task(done(staffUser)), false, true},
		{"a contact, a completed task with no completer", me, task(func(t *onboardiq.Task) { t.Status, t.CustomerSide = onboardiq.StatusCompleted, true }), false, true},
		{"a contact, an internal task", me, task(internal), false, false},
		{"a contact, a cancelled task of their company", me, task(func(t *onboardiq.Task) { t.Status, t.CustomerSide = onboardiq.StatusCancelled, true }), false, true},
		{"a contact, another customer's task", stranger, task(ours), false, false},
		{"a contact, another customer's task they completed", &onboardiq.Principal{Role: onboardiq.RoleCustomer, UserID: contact, CustomerID: &other}, task(done(contact)), false, false},
		{"nobody", nil, task(ours), false, false},
		{"no task", me, nil, false, false},
	} {
		if got := onboardiq.CanChangeTaskStatus(tc.p, tc.task); got != tc.status {
			t.Errorf("%s: may change the status %v, want %v", tc.name, got, tc.status)
		}
		if got := onboardiq.CanCommentOnTask(tc.p, tc.task); got != tc.comment {
			t.Errorf("%s: may comment %v, want %v", tc.name, got, tc.comment)
		}
	}
}
