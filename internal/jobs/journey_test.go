package jobs

import (
	"context"
	"slices"
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestJourneyStages: the demo's customers enter Onboarding when a project
// starts and Adoption when one completes (the default rules, run by the
// fan-out, once however often it runs); a CSM moves one by hand with a
// reason; the history sums the time in each stage; a stage the workspace
// lacks is refused naming the field, and contacts neither move nor read it.
func TestJourneyStages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.fanOut(t)
	f.fanOut(t) // the stage changes' own events
	db := f.db.App
	count := func() (n int) {
		t.Helper()
		if err := db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM customer_stages`).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	f.fanOutAgain(t)
	if after := count(); after != before || before == 0 {
		t.Fatalf("the fan-out run again moved customers: %d moves, then %d", before, after)
	}
	marco := f.as(t, "marco.rossi@acme.example")
	customers, err := db.ListCustomers(f.admin, postgres.CustomerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string]*postgres.CustomerJourney{}
	for _, c := range customers.Items {
		j, err := db.CustomerStages(marco, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		stages[c.Name] = j
	}
	// Initech's project is in progress: Onboarding; then its health is
	// Critical (the demo's usage has all but stopped): At risk. Globex
	// completed a project (Adoption) and then started another (Onboarding
	// again).
	if j := stages["Initech Health"]; j.Stage != "at_risk" || len(j.Transitions) != 2 ||
		j.Transitions[0].Rule != "health.level" || j.Transitions[1].Stage != "onboarding" || j.Transitions[1].Rule != "project.started" {
		t.Errorf("Initech: %+v", j)
	}
	var globex []string
	for _, m := range stages["Globex Logistics"].Transitions {
		globex = append(globex, m.Stage+" by "+m.Rule)
	}
	if !slices.Contains(globex, "adoption by project.completed") {
		t.Errorf("Globex's moves: %v", globex)
	}
	initech := stages["Initech Health"].CustomerID

	j, err := db.SetCustomerStage(marco, initech, "adoption", "Sponsor back")
	if err != nil {
		t.Fatal(err)
	}
	if j.Stage != "adoption" || j.StageName != "Adoption" || j.Transitions[0].Reason != "Sponsor back" || j.Transitions[0].By == nil {
		t.Errorf("after the move: %+v", j)
	}
	if len(j.Stages) != 3 || j.Stages[0].Stage != "onboarding" || j.Stages[0].Current || !j.Stages[2].Current || j.Stages[2].Visits != 1 {
		t.Errorf("time in stages: %+v", j.Stages)
	}
	if again, err := db.SetCustomerStage(marco, initech, "adoption", ""); err != nil || len(again.Transitions) != 3 {
		t.Errorf("the same stage again: %v, %d moves", err, len(again.Transitions))
	}
	if _, err := db.SetCustomerStage(marco, initech, "limbo", ""); onboardiq.ErrorCode(err) != onboardiq.EINVALID || err.(*onboardiq.Error).Field != "stage" {
		t.Errorf("an unknown stage: %v", err)
	}
	lena := f.as(t, "lena.park@initech.example")
	if _, err := db.SetCustomerStage(lena, initech, "adoption", ""); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact moving their company: %v", err)
	}
	if _, err := db.CustomerStages(lena, initech); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact reading their company's stage: %v", err)
	}
	var moved int
	if err := db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = 'customer.stage_changed' AND customer_id = $1`, initech).Scan(&moved)
	}); err != nil || moved != 3 {
		t.Errorf("%d customer.stage_changed events for Initech, want 3 (%v)", moved, err)
	}
}
