package jobs

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/health"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// evidenceOf returns the ids a score cites for one signal of a component.
func evidenceOf(h *postgres.CustomerHealth, component, signal string) ([]string, bool) {
	for _, c := range h.Components {
		if c.Name != component {
			continue
		}
		for _, e := range c.Evidence {
			if e.Signal == signal {
				return e.EventIDs, true
			}
		}
	}
	return nil, false
}

// TestHealthFromUsage: a customer nothing is known of has no score (not
// 0); usage events, once the fan-out hands them to the health consumer,
// score it with the events cited as evidence, and a later batch moves the
// score; each rescoring keeps the day's history; a change of level is an
// event that moves the customer along the journey (Critical → At risk by
// the default rules), and a fall of more than the drop points is an event
// too; the overview lists the customer by level; the nightly recompute
// runs once a night.
func TestHealthFromUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.fanOut(t)
	db := f.db.App
	c, err := db.CreateCustomer(f.admin, onboardiq.NewCustomer{Name: "Signal Co"})
	if err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	h, err := db.CustomerHealth(f.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Score != nil || h.Level != nil || len(h.Components) != 0 {
		t.Fatalf("a customer nothing is known of: %+v, want no score", h)
	}

	now := time.Now().UTC()
	at := func(days int) string { return now.AddDate(0, 0, -days).Format(time.RFC3339) }
	ingest := func(events ...onboardiq.UsageEventInput) {
		t.Helper()
		res, err := db.IngestUsage(f.admin, events)
		if err != nil || res.Accepted != len(events) {
			t.Fatalf("ingest: %+v %v", res, err)
		}
		f.fanOut(t)
	}
	ev := func(id, user string, days int) onboardiq.UsageEventInput {
		return onboardiq.UsageEventInput{ID: id, CustomerID: c.ID.String(), UserEmail: user, Name: "report_exported", OccurredAt: at(days)}
	}
	// First seen 40 days ago, and active today.
	ingest(ev("evt-old", "ana@signal.test", 40), ev("evt-1", "ana@signal.test", 0))
	first, err := db.CustomerHealth(f.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if first.Score == nil {
		t.Fatalf("usage did not score the customer: %+v", first)
	}
	if ids, ok := evidenceOf(first, health.Usage, "daily_active_users"); !ok || !slices.Contains(ids, "evt-1") {
		t.Errorf("usage evidence cites %v (found %v), want evt-1", ids, ok)
	}
	if ids, _ := evidenceOf(first, health.Engagement, "active_days"); !slices.Contains(ids, "evt-1") {
		t.Errorf("engagement evidence cites %v, want evt-1", ids)
	}

	// Two more active days: engagement, and the score, go up; the new
	// events are cited.
	ingest(ev("evt-2", "ben@signal.test", 1), ev("evt-3", "ana@signal.test", 2))
	second, err := db.CustomerHealth(f.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *second.Score <= *first.Score {
		t.Errorf("more active days moved the score from %d to %d, want up", *first.Score, *second.Score)
	}
	if ids, _ := evidenceOf(second, health.Engagement, "active_days"); !slices.Contains(ids, "evt-2") || !slices.Contains(ids, "evt-3") {
		t.Errorf("engagement evidence cites %v, want evt-2 and evt-3", ids)
	}
	if !second.ComputedAt.After(first.ComputedAt) || second.Explanation == "" {
		t.Errorf("computed_at %v after %v, explanation %q", second.ComputedAt, first.ComputedAt, second.Explanation)
	}
	// The customer's roll-up carries its health (no children: its own).
	if got, err := db.GetCustomer(f.admin, c.ID); err != nil || got.Rollup == nil || got.Rollup.Health == nil || *got.Rollup.Health != *second.Score {
		t.Errorf("the roll-up's health: %+v, %v; want %d", got.Rollup, err, *second.Score)
	}
	hist, err := db.HealthHistory(f.admin, c.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Score != *second.Score || hist[0].Day != now.Format(time.DateOnly) {
		t.Errorf("history %+v, want today's last score %d", hist, *second.Score)
	}

	// Levels under which this score is Critical: a level change, which
	// the journey rules turn into a move to At risk.
	cfg := health.DefaultConfig()
	cfg.Levels = []health.Level{{Key: health.Healthy, Name: "Healthy", Min: 100}, {Key: health.Critical, Name: "Critical", Min: 0}}
	if _, err := db.SetHealthSettings(f.admin, cfg); err != nil {
		t.Fatal(err)
	}
	f.fanOut(t) // the level change: the journey moves the customer
	f.fanOut(t) // the stage change's own event
	third, err := db.CustomerHealth(f.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if third.Level == nil || *third.Level != health.Critical || third.LevelName != "Critical" {
		t.Fatalf("level after the new levels: %+v", third)
	}
	if n := f.count(t, `SELECT count(*) FROM events WHERE kind = 'customer.health_level_changed' AND customer_id = $1 AND data->>'level' = 'critical' AND data->>'previous_level' <> 'critical'`, c.ID); n != 1 {
		t.Errorf("%d level-change events, want 1", n)
	}
	j, err := db.CustomerStages(f.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Stage != "at_risk" || len(j.Transitions) == 0 || j.Transitions[0].Rule != "health.level" {
		t.Errorf("journey after Critical: %+v", j)
	}
	rows, err := db.HealthOverview(f.admin, postgres.HealthFilter{Level: health.Critical})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rows, func(r postgres.HealthRow) bool {
		return r.CustomerID == c.ID && r.Stage == "at_risk" && r.StageName == "At risk" && r.LevelName == "Critical"
	}) {
		t.Errorf("the overview of Critical customers lacks Signal Co: %+v", rows)
	}
	for _, r := range rows {
		if r.Level == nil || *r.Level != health.Critical {
			t.Errorf("the Critical overview lists %s at %v", r.CustomerName, r.Level)
		}
	}
	if _, err := db.HealthOverview(f.admin, postgres.HealthFilter{Sort: "mood"}); onboardiq.ErrorField(err) != "sort" {
		t.Errorf("an unknown sort: %v, want 422 naming sort", err)
	}

	// A score that stood at 100: rescoring it is a drop.
	f.exec(t, `UPDATE customer_health SET score = 100 WHERE customer_id = $1`, c.ID)
	var run postgres.HealthRun
	if err := db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		run, err = tx.RecomputeHealth(ctx, []uuid.UUID{c.ID}, time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if run.Drops != 1 || run.Customers != 1 {
		t.Errorf("rescoring after a fall: %+v, want one drop", run)
	}
	if n := f.count(t, `SELECT count(*) FROM events WHERE kind = 'customer.health_dropped' AND customer_id = $1 AND (data->>'previous_score')::int = 100`, c.ID); n != 1 {
		t.Errorf("%d drop events, want 1", n)
	}

	// A CSAT of 1: support sentiment counts it, citing the signal.
	f.exec(t, `INSERT INTO survey_responses (tenant_id, kind, customer_id, user_id, score, answered_at)
SELECT tenant_id, 'csat', $1, user_id, 1, now() - interval '1 hour' FROM tenant_users WHERE role = 'admin' LIMIT 1 RETURNING 1`, c.ID)
	if err := db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.RecomputeHealth(ctx, []uuid.UUID{c.ID}, time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	withSurvey, err := db.CustomerHealth(f.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := evidenceOf(withSurvey, health.Support, "negative_csat"); !ok {
		t.Errorf("a CSAT of 1 is not in support sentiment: %+v", withSurvey.Components)
	}

	// The nightly recompute: not due after the settings' rescoring; due
	// once a day has passed since, then not again.
	var ran bool
	if err := db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		ran, _, err = tx.RecomputeHealthIfDue(ctx, time.Now())
		return err
	}); err != nil || ran {
		t.Errorf("the nightly run right after a full rescoring: ran %v, %v", ran, err)
	}
	f.exec(t, `UPDATE tenants SET health_recomputed_at = now() - interval '25 hours'`)
	for i, want := range []bool{true, false} {
		if err := db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
			ran, run, err = tx.RecomputeHealthIfDue(ctx, time.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if ran != want {
			t.Errorf("nightly run %d: ran %v, want %v", i+1, ran, want)
		}
		if ran && run.Customers < 2 {
			t.Errorf("the nightly run rescored %d customers, want every one", run.Customers)
		}
	}
}
