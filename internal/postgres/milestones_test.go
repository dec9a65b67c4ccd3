package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/metrics"
)

// evaluate runs the milestones' evaluation for the customers, as the
// fan-out does.
func (f *pageFixture) evaluate(t *testing.T, customers ...uuid.UUID) []MilestoneHit {
	t.Helper()
	var hits []MilestoneHit
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		hits, err = tx.EvaluateMilestones(ctx, customers)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func (f *pageFixture) ingest(t *testing.T, events ...onboardiq.UsageEventInput) {
	t.Helper()
	res, err := f.db.IngestUsage(f.as, events)
	if err != nil || len(res.Rejected) != 0 {
		t.Fatalf("ingest: %+v, %v", res, err)
	}
}

func usageEvent(c uuid.UUID, id, name, user string, at time.Time) onboardiq.UsageEventInput {
	return onboardiq.UsageEventInput{ID: id, CustomerID: c.String(), Name: name, UserEmail: user, OccurredAt: rfc3339(at)}
}

// reachedEvents reads the milestone.reached events of the tenant.
func (f *pageFixture) reachedEvents(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT data FROM events WHERE tenant_id = $1 AND kind = 'milestone.reached' ORDER BY event_id`, f.tenant)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d map[string]any
			if err := rows.Scan(&d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMilestoneReachedOnceByUsage: the first first_api_call event reaches
// the milestone and is cited; evaluating again, or after more events,
// records nothing more; the customer's milestones show the hit to staff,
// not to its contact.
func TestMilestoneReachedOnceByUsage(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	m, err := f.db.CreateMilestone(f.as, MilestoneInput{Name: "First API call", Milestone: metrics.Milestone{Event: "first_api_call"}, FirstValue: true})
	if err != nil || m.Key != "first_api_call" || !m.FirstValue {
		t.Fatalf("create: %+v, %v", m, err)
	}
	if hits := f.evaluate(t, f.customer.ID); len(hits) != 0 {
		t.Fatalf("reached without usage: %+v", hits)
	}
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	f.ingest(t, usageEvent(f.customer.ID, "call-2", "first_api_call", "", at.Add(time.Minute)),
		usageEvent(f.customer.ID, "call-1", "first_api_call", "dev@globex.test", at),
		usageEvent(f.customer.ID, "login-1", "login", "dev@globex.test", at.Add(-time.Hour)))
	hits := f.evaluate(t, f.customer.ID)
	if len(hits) != 1 || !hits[0].ReachedAt.Equal(at) || !slices.Equal(hits[0].EventIDs, []string{"call-1"}) || hits[0].ProjectID != nil {
		t.Fatalf("hits: %+v, want call-1 at %s", hits, at)
	}
	f.ingest(t, usageEvent(f.customer.ID, "call-3", "first_api_call", "", at.Add(-time.Minute)))
	if again := f.evaluate(t, f.customer.ID); len(again) != 0 {
		t.Errorf("reached twice: %+v", again)
	}
	evs := f.reachedEvents(t)
	if len(evs) != 1 || evs[0]["key"] != "first_api_call" || !slices.Equal(evs[0]["event_ids"].([]any), []any{"call-1"}) {
		t.Errorf("milestone.reached events: %v", evs)
	}
	got, err := f.db.CustomerMilestones(f.as, f.customer.ID)
	if err != nil || len(got) != 1 || got[0].Name != "First API call" || !slices.Equal(got[0].EventIDs, []string{"call-1"}) {
		t.Errorf("customer milestones: %+v, %v", got, err)
	}
	if _, err := f.db.CustomerMilestones(f.asContact, f.customer.ID); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("the contact read the milestones: %v", err)
	}
}

// TestMilestoneUsersWithinAWeek: three users within 7 days. The first
// ingest has three users, but over 9 days; the second brings two of them
// back within a week of the third, which reaches it at the last event,
// citing each user's latest event.
func TestMilestoneUsersWithinAWeek(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	if _, err := f.db.CreateMilestone(f.as, MilestoneInput{Name: "3 users active in a week",
		Milestone: metrics.Milestone{Event: "user_active", DistinctUsers: 3, WithinDays: 7}, Activation: true}); err != nil {
		t.Fatal(err)
	}
	base := time.Now().UTC().Add(-20 * 24 * time.Hour).Truncate(time.Second)
	day := func(d float64) time.Time { return base.Add(time.Duration(d * 24 * float64(time.Hour))) }
	c := f.customer.ID
	f.ingest(t, usageEvent(c, "a-1", "user_active", "a@globex.test", day(0)),
		usageEvent(c, "b-1", "user_active", "b@globex.test", day(1)),
		usageEvent(c, "c-1", "user_active", "c@globex.test", day(9)),
		usageEvent(c, "x-1", "user_active", "", day(9.5)))
	if hits := f.evaluate(t, c); len(hits) != 0 {
		t.Fatalf("reached with three users over 9 days: %+v", hits)
	}
	f.ingest(t, usageEvent(c, "a-2", "user_active", "a@globex.test", day(10)),
		usageEvent(c, "a-3", "user_active", "a@globex.test", day(11)),
		usageEvent(c, "b-2", "user_active", "b@globex.test", day(12)),
		usageEvent(c, "b-3", "user_active", "b@globex.test", day(13)))
	hits := f.evaluate(t, c)
	if len(hits) != 1 || !hits[0].ReachedAt.Equal(day(12)) || !slices.Equal(hits[0].EventIDs, []string{"a-3", "b-2", "c-1"}) {
		t.Fatalf("hits: %+v, want at day 12 citing a-3, b-2, c-1", hits)
	}
}

// TestTaskMilestone: a task milestone is reached per project when the task
// of that name completes (case and spaces aside), with no events cited.
func TestTaskMilestone(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	if _, err := f.db.CreateMilestone(f.as, MilestoneInput{Name: "Live", Milestone: metrics.Milestone{Task: "Go live"}}); err != nil {
		t.Fatal(err)
	}
	pr, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "Rollout"})
	if err != nil {
		t.Fatal(err)
	}
	task, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set(" go LIVE ")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Go live rehearsal")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateTask(f.as, other.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)}); err != nil {
		t.Fatal(err)
	}
	if hits := f.evaluate(t, f.customer.ID); len(hits) != 0 {
		t.Fatalf("another task reached it: %+v", hits)
	}
	done, err := f.db.UpdateTask(f.as, task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)})
	if err != nil {
		t.Fatal(err)
	}
	hits := f.evaluate(t, f.customer.ID)
	if len(hits) != 1 || hits[0].ProjectID == nil || *hits[0].ProjectID != pr.ID || len(hits[0].EventIDs) != 0 ||
		done.CompletedAt == nil || !hits[0].ReachedAt.Equal(*done.CompletedAt) {
		t.Fatalf("hits: %+v", hits)
	}
	if again := f.evaluate(t, f.customer.ID); len(again) != 0 {
		t.Errorf("reached twice: %+v", again)
	}
}

// TestMilestoneSettings: bad input names the field, one milestone has each
// mark, only admins change milestones and staff read them.
func TestMilestoneSettings(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	for _, tc := range []struct {
		in    MilestoneInput
		field string
	}{
		{MilestoneInput{Name: "", Milestone: metrics.Milestone{Event: "login"}}, "name"},
		{MilestoneInput{Name: "Both", Milestone: metrics.Milestone{Event: "login", Task: "Go live"}}, "task"},
		{MilestoneInput{Name: "Neither"}, "event"},
		{MilestoneInput{Name: "Bad name", Milestone: metrics.Milestone{Event: "Log In"}}, "event"},
		{MilestoneInput{Name: "Crowd", Milestone: metrics.Milestone{Event: "login", DistinctUsers: 20000}}, "distinct_users"},
		{MilestoneInput{Name: "Long", Milestone: metrics.Milestone{Event: "login", DistinctUsers: 2, WithinDays: 400}}, "within_days"},
		{MilestoneInput{Name: "Key", Key: "Bad Key", Milestone: metrics.Milestone{Event: "login"}}, "key"},
	} {
		if _, err := f.db.CreateMilestone(f.as, tc.in); onboardiq.ErrorField(err) != tc.field {
			t.Errorf("%+v: %v, want field %s", tc.in, err, tc.field)
		}
	}
	a, err := f.db.CreateMilestone(f.as, MilestoneInput{Name: "First login", Milestone: metrics.Milestone{Event: "login"}, FirstValue: true, Activation: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.CreateMilestone(f.as, MilestoneInput{Name: "First login", Milestone: metrics.Milestone{Event: "login"}}); onboardiq.ErrorField(err) != "key" {
		t.Errorf("the same key twice: %v", err)
	}
	b, err := f.db.CreateMilestone(f.as, MilestoneInput{Name: "First export", Milestone: metrics.Milestone{Event: "report_exported"}, FirstValue: true})
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.db.ListMilestones(f.as)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[0].FirstValue || !list[0].Activation || !list[1].FirstValue || list[1].Position != 1 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	name, x := "First report", "x"
	if u, err := f.db.UpdateMilestone(f.as, b.ID, MilestonePatch{Name: &name, Task: &x}); onboardiq.ErrorField(err) != "task" {
		t.Errorf("update with both: %+v, %v", u, err)
	}
	yes := true
	if u, err := f.db.UpdateMilestone(f.as, b.ID, MilestonePatch{Name: &name, Activation: &yes}); err != nil || u.Name != name || !u.Activation {
		t.Errorf("update: %+v, %v", u, err)
	}
	if list, _ := f.db.ListMilestones(f.as); list[0].Activation {
		t.Error("two activation milestones")
	}
	csm, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: "csm@acme.test", Name: "Casey", Role: onboardiq.RoleCSM})
	if err != nil {
		t.Fatal(err)
	}
	asCSM := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleCSM, csm.ID))
	if _, err := f.db.ListMilestones(asCSM); err != nil {
		t.Errorf("a CSM cannot read the milestones: %v", err)
	}
	if _, err := f.db.CreateMilestone(asCSM, MilestoneInput{Name: "Mine", Milestone: metrics.Milestone{Event: "login"}}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a CSM created a milestone: %v", err)
	}
	if err := f.db.DeleteMilestone(asCSM, a.ID); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a CSM deleted a milestone: %v", err)
	}
	if _, err := f.db.ListMilestones(f.asContact); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact read the milestones: %v", err)
	}
	if err := f.db.DeleteMilestone(f.as, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.db.DeleteMilestone(f.as, a.ID); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("deleted twice: %v", err)
	}
}

// TestOnboardingMetricsTimeZones: periods and the span are counted in the
// workspace's time zone. In New York a project started at 02:00 UTC on 1
// March started on 28 February; a completion at 03:30 UTC on 10 March is
// on time for a deadline at 04:00 UTC that day (both 9 March there). Time to
// first value, activation and the CSM group come from the milestones and
// the customer.
func TestOnboardingMetricsTimeZones(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	f.exec(t, `UPDATE tenants SET time_zone = 'America/New_York' WHERE tenant_id = $1`, f.tenant)
	fv, err := f.db.CreateMilestone(f.as, MilestoneInput{Name: "First API call", Milestone: metrics.Milestone{Event: "first_api_call"}, FirstValue: true, Activation: true})
	if err != nil {
		t.Fatal(err)
	}
	feb, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "February"})
	if err != nil {
		t.Fatal(err)
	}
	mar, err := f.db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: "March"})
	if err != nil {
		t.Fatal(err)
	}
	f.exec(t, `UPDATE projects SET start_date = '2026-03-01T02:00:00Z' WHERE tenant_id = $1 AND project_id = $2`, f.tenant, feb.ID)
	f.exec(t, `UPDATE projects SET start_date = '2026-03-01T12:00:00Z', deadline = '2026-03-10T04:00:00Z', completed_at = '2026-03-10T03:30:00Z', status = 'completed'
WHERE tenant_id = $1 AND project_id = $2`, f.tenant, mar.ID)
	// Reached 3 days after the March project's start; the contact signed
	// in and sent the event, so is activated.
	f.exec(t, `INSERT INTO milestone_hits (tenant_id, milestone_id, customer_id, reached_at, event_ids) VALUES ($1, $2, $3, '2026-03-04T12:00:00Z', '{call-1}')`,
		f.tenant, fv.ID, f.customer.ID)
	f.exec(t, `INSERT INTO usage_daily_users (tenant_id, customer_id, day, name, user_email) VALUES ($1, $2, '2026-03-04', 'first_api_call', 'c@globex.test')`,
		f.tenant, f.customer.ID)
	f.exec(t, `INSERT INTO events (tenant_id, actor_user_id, kind) VALUES ($1, $2, 'auth.signed_in')`, f.tenant, f.contact.ID)

	got, err := f.db.OnboardingMetrics(f.as, MetricsQuery{Period: metrics.Month, From: "2026-02-01", To: "2026-03-31"})
	if err != nil {
		t.Fatal(err)
	}
	if got.TimeZone != "America/New_York" || len(got.Rows) != 2 || got.Rows[0].Period != "2026-02-01" || got.Rows[1].Period != "2026-03-01" {
		t.Fatalf("rows: %+v", got)
	}
	february, march := got.Rows[0], got.Rows[1]
	if february.Projects != 1 || february.TimeToFirstValue.N != 1 || *february.TimeToFirstValue.Median != 3.4 || february.OnTime.Of != 0 {
		t.Errorf("february: %+v", february)
	}
	if march.Projects != 1 || march.TimeToFirstValue.N != 1 || *march.TimeToFirstValue.Median != 3 ||
		march.OnTime.Count != 1 || march.OnTime.Of != 1 || march.Duration.N != 1 || *march.Duration.Median != 8.6 ||
		march.Activation.Count != 1 || march.Activation.Of != 1 {
		t.Errorf("march: %+v", march)
	}
	// From 1 March in New York leaves out the project that started on 28
	// February there (1 March in UTC).
	got, err = f.db.OnboardingMetrics(f.as, MetricsQuery{GroupBy: "csm", From: "2026-03-01", To: "2026-03-31"})
	if err != nil || len(got.Rows) != 1 || got.Rows[0].Projects != 1 || got.Rows[0].Group != noCSM || got.Rows[0].Period != "" {
		t.Errorf("from 1 March: %+v, %v", got, err)
	}
	for _, q := range []struct {
		q     MetricsQuery
		field string
	}{
		{MetricsQuery{GroupBy: "region"}, "group_by"}, {MetricsQuery{Period: "day"}, "period"},
		{MetricsQuery{From: "March"}, "from"}, {MetricsQuery{From: "2026-03-02", To: "2026-03-01"}, "to"},
	} {
		if _, err := f.db.OnboardingMetrics(f.as, q.q); onboardiq.ErrorField(err) != q.field {
			t.Errorf("%+v: %v, want field %s", q.q, err, q.field)
		}
	}
	if _, err := f.db.OnboardingMetrics(f.asContact, MetricsQuery{}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact read the metrics: %v", err)
	}
}

// TestMetricAnswersGrouping: survey answers name their customer, and their
// project when they are about one; they count under the project's keys,
// or the customer's, whichever the query groups by; an answer of a
// customer that is gone counts only in the trend (no group).
func TestMetricAnswersGrouping(t *testing.T) {
	t.Parallel()
	cust, proj, gone := uuid.New(), uuid.New(), uuid.New()
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	p := metricProject{id: proj, customer: cust, template: "Enterprise", csm: "Priya", segment: "Mid-market", custName: "Globex"}
	p.Start = at
	in := &metricInputs{
		projects:  []metricProject{p},
		byProject: map[uuid.UUID]metricProject{proj: p},
		customers: map[uuid.UUID]metricProject{cust: {customer: cust, template: "Starter", csm: "Priya", segment: "Mid-market", custName: "Globex"}},
		answers: []metrics.Answer{
			{Group: cust.String() + "/" + proj.String(), Kind: metrics.CSAT, Score: 5, At: at},
			{Group: cust.String(), Kind: metrics.NPS, Score: 10, At: at},
			{Group: gone.String(), Kind: metrics.CSAT, Score: 1, At: at},
		},
	}
	byTemplate := in.rows("template", "", time.UTC)
	if len(byTemplate) != 2 || byTemplate[0].Group != "Enterprise" || byTemplate[0].CSAT.N != 1 || byTemplate[0].Projects != 1 ||
		byTemplate[1].Group != "Starter" || byTemplate[1].NPS.N != 1 || byTemplate[1].Projects != 0 {
		t.Errorf("by template: %+v", byTemplate)
	}
	byCSM := in.rows("csm", "", time.UTC)
	if len(byCSM) != 1 || byCSM[0].CSAT.N != 1 || byCSM[0].NPS.N != 1 || *byCSM[0].NPS.Score != 100 {
		t.Errorf("by CSM: %+v", byCSM)
	}
	trend := in.rows("", metrics.Month, time.UTC)
	if len(trend) != 1 || trend[0].Period != "2026-03-01" || trend[0].CSAT.N != 2 || *trend[0].CSAT.Average != 3 {
		t.Errorf("the trend: %+v", trend)
	}
}
