package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// usageBatch is n events of customer c, ids prefix-0…, spread over users
// u0…u2, all named name, at at.
func usageBatch(c uuid.UUID, prefix, name string, n int, at time.Time) []onboardiq.UsageEventInput {
	out := make([]onboardiq.UsageEventInput, n)
	for i := range out {
		out[i] = onboardiq.UsageEventInput{ID: fmt.Sprintf("%s-%d", prefix, i), CustomerID: c.String(), Name: name,
			UserEmail: fmt.Sprintf("u%d@globex.test", i%3), OccurredAt: rfc3339(at.Add(time.Duration(i) * time.Second))}
	}
	return out
}

func rfc3339(t time.Time) string { return t.Format(time.RFC3339Nano) }

// usageCounts reads what the tenant holds: stored events, and the roll-up's
// totals of events and distinct users.
func usageCounts(t *testing.T, f *pageFixture) (events, rolled, users int64) {
	t.Helper()
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `
SELECT (SELECT count(*) FROM usage_events WHERE tenant_id = $1),
       (SELECT coalesce(sum(events), 0) FROM usage_daily WHERE tenant_id = $1),
       (SELECT coalesce(sum(users), 0) FROM usage_daily WHERE tenant_id = $1)`, f.tenant).Scan(&events, &rolled, &users)
	})
	if err != nil {
		t.Fatal(err)
	}
	return events, rolled, users
}

// TestIngestUsageCountsEachIDOnce: the same batch sent twice is stored and
// rolled up once; the second answer counts every event a duplicate; an id
// repeated within a batch counts once; one usage.ingested event per call
// that stored anything.
func TestIngestUsageCountsEachIDOnce(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	at := time.Now().UTC().Add(-2 * time.Hour)
	batch := usageBatch(f.customer.ID, "a", "report_exported", 50, at)
	batch = append(batch, batch[7]) // the same id twice in one batch
	res, err := f.db.IngestUsage(f.as, batch)
	if err != nil || res.Accepted != 50 || res.Duplicates != 1 || len(res.Rejected) != 0 {
		t.Fatalf("first: %+v, %v", res, err)
	}
	res, err = f.db.IngestUsage(f.as, batch)
	if err != nil || res.Accepted != 0 || res.Duplicates != 51 || len(res.Rejected) != 0 {
		t.Fatalf("again: %+v, %v", res, err)
	}
	if ev, rolled, users := usageCounts(t, f); ev != 50 || rolled != 50 || users > 6 || users < 3 {
		t.Errorf("stored %d events, rolled up %d with %d users; want 50, 50 and 3 (or 6 across a midnight)", ev, rolled, users)
	}
	var n int
	err = f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind = 'usage.ingested'`, f.tenant).Scan(&n)
	})
	if err != nil || n != 1 {
		t.Errorf("%d usage.ingested events, want 1 (%v)", n, err)
	}
}

// TestIngestUsageConcurrently: two ingests of the same batch at once store
// and roll up each event once in total, and their answers add up.
func TestIngestUsageConcurrently(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	batch := usageBatch(f.customer.ID, "c", "login", 500, time.Now().UTC().Add(-time.Hour))
	var wg sync.WaitGroup
	results := make([]*onboardiq.UsageResult, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = f.db.IngestUsage(f.as, batch) })
	}
	wg.Wait()
	accepted, dups := 0, 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		accepted += r.Accepted
		dups += r.Duplicates
	}
	if accepted != 500 || dups != 1500 {
		t.Errorf("accepted %d, duplicates %d; want 500 and 1500", accepted, dups)
	}
	if ev, rolled, _ := usageCounts(t, f); ev != 500 || rolled != 500 {
		t.Errorf("stored %d, rolled up %d; want 500 each", ev, rolled)
	}
}

// TestIngestUsageRejectsByField: each bad event is named by its index and
// field, and the valid ones of the same batch are stored.
func TestIngestUsageRejectsByField(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	now := time.Now().UTC()
	c := f.customer.ID.String()
	unknown := uuid.NewString()
	ok := onboardiq.UsageEventInput{ID: "ok-1", CustomerID: c, Name: "login", OccurredAt: rfc3339(now.Add(-time.Minute))}
	batch := []onboardiq.UsageEventInput{
		ok,
		{ID: "", CustomerID: c, Name: "login", OccurredAt: rfc3339(now)},
		{ID: "bad-name", CustomerID: c, Name: "Login!", OccurredAt: rfc3339(now)},
		{ID: "bad-email", CustomerID: c, Name: "login", UserEmail: "nobody", OccurredAt: rfc3339(now)},
		{ID: "no-customer", Name: "login", OccurredAt: rfc3339(now)},
		{ID: "unknown-customer", CustomerID: unknown, Name: "login", OccurredAt: rfc3339(now)},
		{ID: "future", CustomerID: c, Name: "login", OccurredAt: rfc3339(now.Add(49 * time.Hour))},
		{ID: "ancient", CustomerID: c, Name: "login", OccurredAt: rfc3339(now.AddDate(-2, 0, 0))},
		{ID: "no-time", CustomerID: c, Name: "login"},
		{ID: "bad-time", CustomerID: c, Name: "login", OccurredAt: "yesterday"},
		{ID: "bad-customer", CustomerID: "globex", Name: "login", OccurredAt: rfc3339(now)},
		{ID: "props", CustomerID: c, Name: "login", OccurredAt: rfc3339(now), Properties: json.RawMessage(`[1,2]`)},
		{ID: "big-props", CustomerID: c, Name: "login", OccurredAt: rfc3339(now), Properties: json.RawMessage(`{"x":"` + strings.Repeat("x", 5000) + `"}`)},
		{ID: strings.Repeat("i", 201), CustomerID: c, Name: "login", OccurredAt: rfc3339(now)},
		{ID: "external", CustomerExternalID: "cus_1", Name: "login", OccurredAt: rfc3339(now)},
		{ID: "ok-2", CustomerID: c, Name: "report.exported-v2", UserEmail: " Ana@Globex.Test ", OccurredAt: rfc3339(now), Properties: json.RawMessage(`{"rows": 12}`)},
	}
	res, err := f.db.IngestUsage(f.as, batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"events[1].id", "events[2].name", "events[3].user_email", "events[4].customer_id", "events[5].customer_id",
		"events[6].occurred_at", "events[7].occurred_at", "events[8].occurred_at", "events[9].occurred_at", "events[10].customer_id",
		"events[11].properties", "events[12].properties", "events[13].id", "events[14].customer_external_id"}
	var got []string
	for i, r := range res.Rejected {
		got = append(got, r.Field)
		if r.Message == "" || r.ID != batch[r.Index].ID || i+1 != r.Index {
			t.Errorf("rejection %d: %+v", i, r)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rejected fields\n got %v\nwant %v", got, want)
	}
	if res.Accepted != 2 || res.Duplicates != 0 {
		t.Errorf("accepted %d, duplicates %d; want 2 and 0", res.Accepted, res.Duplicates)
	}
	var email, props string
	err = f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT user_email, properties::text FROM usage_events WHERE tenant_id = $1 AND event_key = 'ok-2'`, f.tenant).Scan(&email, &props)
	})
	if err != nil || email != "ana@globex.test" || props != `{"rows": 12}` {
		t.Errorf("stored %q %q, %v", email, props, err)
	}

	// More than a batch is refused whole, naming events.
	_, err = f.db.IngestUsage(f.as, usageBatch(f.customer.ID, "big", "login", onboardiq.MaxUsageBatch+1, now))
	invalidField(t, "1,001 events", err, "events")
	// Only admins send usage.
	csm := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleCSM, uuid.New()))
	if _, err := f.db.IngestUsage(csm, []onboardiq.UsageEventInput{ok}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a csm ingested: %v", err)
	}
}

// TestIngestUsageOtherTenantsCustomer: an event naming another tenant's
// customer is rejected as not found, and nothing reaches either tenant.
func TestIngestUsageOtherTenantsCustomer(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	ctx := context.Background()
	other, err := f.db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Bolt", Slug: "bolt", AdminEmail: "a@bolt.test"})
	if err != nil {
		t.Fatal(err)
	}
	boltAdmin, err := f.db.Authenticate(ctx, other.Token)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.db.IngestUsage(onboardiq.NewContextWithPrincipal(ctx, boltAdmin), usageBatch(f.customer.ID, "x", "login", 2, time.Now().Add(-time.Hour)))
	if err != nil || res.Accepted != 0 || len(res.Rejected) != 2 || res.Rejected[0].Field != "events[0].customer_id" || res.Rejected[0].Message != "customer not found" {
		t.Fatalf("%+v, %v", res, err)
	}
	if ev, _, _ := usageCounts(t, f); ev != 0 {
		t.Errorf("acme holds %d events", ev)
	}
}

// TestUsageRollupAcrossMidnight: events either side of a UTC midnight land
// on their own days; the summary counts events, active users per day and
// over the span, active days and the core features used.
func TestUsageRollupAcrossMidnight(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	c := f.customer.ID
	midnight := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3)
	ev := func(id, name, email string, at time.Time) onboardiq.UsageEventInput {
		return onboardiq.UsageEventInput{ID: id, CustomerID: c.String(), Name: name, UserEmail: email, OccurredAt: rfc3339(at)}
	}
	batch := []onboardiq.UsageEventInput{
		ev("1", "login", "ana@globex.test", midnight.Add(-time.Second)),
		ev("2", "login", "bo@globex.test", midnight.Add(-time.Minute)),
		ev("3", "login", "ana@globex.test", midnight),
		ev("4", "report_exported", "ana@globex.test", midnight.Add(time.Hour)),
		ev("5", "report_exported", "", midnight.Add(2*time.Hour)),
	}
	if _, err := f.db.IngestUsage(f.as, batch[:3]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.IngestUsage(f.as, batch[3:]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SetUsageSettings(f.as, UsageSettings{CoreFeatures: []string{"report_exported", "dashboard_shared"}}); err != nil {
		t.Fatal(err)
	}
	before, on := midnight.AddDate(0, 0, -1).Format(time.DateOnly), midnight.Format(time.DateOnly)
	s, err := f.db.UsageSummary(f.as, c, before, midnight.AddDate(0, 0, 1).Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	want := []onboardiq.UsageDay{{Day: before, Events: 2, ActiveUsers: 2}, {Day: on, Events: 3, ActiveUsers: 1}}
	if fmt.Sprint(s.Days) != fmt.Sprint(want) {
		t.Errorf("days %v, want %v", s.Days, want)
	}
	if s.ActiveDays != 2 || s.Events != 5 || s.ActiveUsers != 2 || fmt.Sprint(s.CoreFeaturesUsed) != "[report_exported]" || s.CoreFeaturesDefined != 2 {
		t.Errorf("summary %+v", s)
	}
	// The roll-up's per-name rows: login on the first day had 2 users.
	var users int
	err = f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT users FROM usage_daily WHERE tenant_id = $1 AND day = $2::date AND name = 'login'`, f.tenant, on).Scan(&users)
	})
	if err != nil || users != 1 {
		t.Errorf("login users on %s: %d, %v", on, users, err)
	}
	// Only the day after midnight.
	s, err = f.db.UsageSummary(f.as, c, on, on)
	if err != nil || len(s.Days) != 1 || s.Events != 3 {
		t.Errorf("one day: %+v, %v", s, err)
	}
	// A contact may not read usage; another customer's id is not found.
	if _, err := f.db.UsageSummary(f.asContact, c, "", ""); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("contact: %v", err)
	}
	if _, err := f.db.UsageSummary(f.as, uuid.New(), "", ""); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("unknown customer: %v", err)
	}
	_, err = f.db.UsageSummary(f.as, c, on, before)
	invalidField(t, "to before from", err, "to")
}

// TestUsageSettings: core features are checked by name and replaced
// whole; the retention is bounded; changes are one event; only admins.
func TestUsageSettings(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	s, err := f.db.GetUsageSettings(f.as)
	if err != nil || len(s.CoreFeatures) != 0 || s.RetentionDays != onboardiq.DefaultUsageRetention {
		t.Fatalf("defaults: %+v, %v", s, err)
	}
	_, err = f.db.SetUsageSettings(f.as, UsageSettings{CoreFeatures: []string{"login", "Bad Name"}})
	invalidField(t, "bad name", err, "core_features[1]")
	_, err = f.db.SetUsageSettings(f.as, UsageSettings{CoreFeatures: []string{"login", "login"}})
	invalidField(t, "twice", err, "core_features[1]")
	_, err = f.db.SetUsageSettings(f.as, UsageSettings{RetentionDays: 3})
	invalidField(t, "retention", err, "retention_days")
	s, err = f.db.SetUsageSettings(f.as, UsageSettings{CoreFeatures: []string{"sso_enabled", "login"}, RetentionDays: 90})
	if err != nil || fmt.Sprint(s.CoreFeatures) != "[login sso_enabled]" || s.RetentionDays != 90 {
		t.Fatalf("%+v, %v", s, err)
	}
	s, err = f.db.SetUsageSettings(f.as, UsageSettings{CoreFeatures: []string{"login"}})
	if err != nil || fmt.Sprint(s.CoreFeatures) != "[login]" || s.RetentionDays != 90 {
		t.Fatalf("%+v, %v", s, err)
	}
	csm := onboardiq.NewContextWithPrincipal(context.Background(), f.principal(onboardiq.RoleCSM, uuid.New()))
	if _, err := f.db.SetUsageSettings(csm, UsageSettings{}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a csm changed the settings: %v", err)
	}
	if _, err := f.db.GetUsageSettings(csm); err != nil {
		t.Errorf("a csm may read them: %v", err)
	}
}

// TestUsageRetention: the delay scan deletes events and roll-ups older
// than the tenant's retention and keeps the rest; an event older than the
// retention is refused on arrival.
func TestUsageRetention(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	now := time.Now().UTC()
	old := usageBatch(f.customer.ID, "old", "login", 10, now.AddDate(0, 0, -100))
	recent := usageBatch(f.customer.ID, "new", "login", 5, now.AddDate(0, 0, -10))
	if _, err := f.db.IngestUsage(f.as, append(old, recent...)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SetUsageSettings(f.as, UsageSettings{CoreFeatures: []string{}, RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ScanOne(context.Background(), f.tenant, now); err != nil {
		t.Fatal(err)
	}
	ev, rolled, _ := usageCounts(t, f)
	if ev != 5 || rolled != 5 {
		t.Errorf("after the scan: %d events, %d rolled up; want 5 each", ev, rolled)
	}
	res, err := f.db.IngestUsage(f.as, usageBatch(f.customer.ID, "older", "login", 1, now.AddDate(0, 0, -31)))
	if err != nil || len(res.Rejected) != 1 || res.Rejected[0].Field != "events[0].occurred_at" {
		t.Errorf("an event past the retention: %+v, %v", res, err)
	}
}

// TestIngestUsageByExternalID: an event may name its customer by the
// vendor's own id (customers.external_id), in its tenant only.
func TestIngestUsageByExternalID(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	if _, err := f.db.UpdateCustomer(f.as, f.customer.ID, onboardiq.CustomerPatch{ExternalID: onboardiq.Set("acct_7")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	res, err := f.db.IngestUsage(f.as, []onboardiq.UsageEventInput{
		{ID: "by-ext", CustomerExternalID: "acct_7", Name: "login", OccurredAt: rfc3339(now.Add(-time.Minute))},
		{ID: "by-other", CustomerExternalID: "acct_8", Name: "login", OccurredAt: rfc3339(now.Add(-time.Minute))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 1 || len(res.Rejected) != 1 || res.Rejected[0].Field != "events[1].customer_external_id" {
		t.Fatalf("by external id: %+v", res)
	}
	var customer uuid.UUID
	err = f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT customer_id FROM usage_events WHERE tenant_id = $1 AND event_key = 'by-ext'`, f.tenant).Scan(&customer)
	})
	if err != nil || customer != f.customer.ID {
		t.Errorf("stored for %s (%v), want %s", customer, err, f.customer.ID)
	}
}
