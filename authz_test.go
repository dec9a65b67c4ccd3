package onboardiq_test

import (
	"strings"
	"testing"

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
