package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestJourneyBoard: the board lists every active customer under its
// current stage with the days it has spent there, the customers in no
// stage apart; staff read it, a contact is sent to their portal.
func TestJourneyBoard(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	actExec(t, a, `INSERT INTO customer_stages (tenant_id, customer_id, stage, entered_at)
SELECT tenant_id, customer_id, 'onboarding', now() - interval '20 days' FROM customers WHERE name = 'Initech Health'`)
	actExec(t, a, `INSERT INTO customer_stages (tenant_id, customer_id, stage, entered_at)
SELECT tenant_id, customer_id, 'at_risk', now() - interval '3 days' FROM customers WHERE name = 'Initech Health'`)
	actExec(t, a, `INSERT INTO customer_stages (tenant_id, customer_id, stage, entered_at)
SELECT tenant_id, customer_id, 'adoption', now() - interval '1 day' FROM customers WHERE name = 'Globex Logistics'`)
	p := get(t, signIn(t, a, roleEmails["viewer"]), a.url+"/app/journey")
	if p.status != http.StatusOK {
		t.Fatalf("the journey board: %d", p.status)
	}
	for sel, want := range map[string]string{
		"#stage-at_risk":  "Initech Health 3 days in the stage",
		"#stage-adoption": "Globex Logistics 1 day in the stage",
		"#unstaged":       "Umbrella Retail",
	} {
		if got := strings.Join(strings.Fields(p.text(sel)), " "); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	if got := p.text("#stage-onboarding"); strings.Contains(got, "Initech") || !strings.Contains(got, "Nobody") {
		t.Errorf("Initech left Onboarding: %q", got)
	}
	if n := len(p.all("#journey-board section.journey-stage")); n != 7 {
		t.Errorf("%d stages, want the 7 defaults", n)
	}
	if p := get(t, signIn(t, a, "hannah.becker@globex.example"), a.url+"/app/journey"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/portal/") {
		t.Errorf("a contact on the journey board: %d %s", p.status, p.header.Get("Location"))
	}
}
