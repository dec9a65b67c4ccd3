package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq"
)

// IngestUsage stores a batch of usage events (at most
// onboardiq.MaxUsageBatch) as the caller (admins: API tokens carry their
// user's role and have no scopes), and rolls them up per customer per day in
// the same transaction. Each event is checked on its own: a bad one is named
// in the result's Rejected (by field, as events[3].name) and the valid ones
// are stored all the same. An event whose id was received before (or
// repeats one earlier in the batch) is counted as a duplicate and changes
// nothing, also when two batches race: the uniqueness key decides, and only
// the rows an insert really added reach the roll-up. One usage.ingested
// event records the call when it stored anything.
func (db *DB) IngestUsage(ctx context.Context, events []onboardiq.UsageEventInput) (*onboardiq.UsageResult, error) {
	return db.ingestUsage(ctx, events, time.Now())
}

func (db *DB) ingestUsage(ctx context.Context, events []onboardiq.UsageEventInput, now time.Time) (*onboardiq.UsageResult, error) {
	if len(events) > onboardiq.MaxUsageBatch {
		return nil, onboardiq.Invalid("events", "at most %d events per call; send the rest in another", onboardiq.MaxUsageBatch)
	}
	var res *onboardiq.UsageResult
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.IngestUsage); err != nil {
			return err
		}
		var err error
		res, err = ingestUsage(ctx, tx, events, now)
		return err
	})
	return res, err
}

// usageRow is a valid event of a batch, ready to insert.
type usageRow struct {
	index    int
	key      string
	customer uuid.UUID
	email    string
	name     string
	props    string
	at       time.Time
}

func ingestUsage(ctx context.Context, tx *Tx, events []onboardiq.UsageEventInput, now time.Time) (*onboardiq.UsageResult, error) {
	res := &onboardiq.UsageResult{Rejected: []onboardiq.UsageRejection{}}
	reject := func(i int, err error) {
		res.Rejected = append(res.Rejected, onboardiq.UsageRejection{Index: i, ID: events[i].ID,
			Field: onboardiq.ErrorField(err), Message: onboardiq.ErrorMessage(err)})
	}
	retention, err := usageRetention(ctx, tx)
	if err != nil {
		return nil, err
	}
	// Check each event on its own, and gather the customers they name.
	valid := make([]int, 0, len(events))
	parsed := make([]onboardiq.UsageEvent, len(events))
	ids := map[uuid.UUID]bool{}
	external := map[string]bool{}
	for i := range events {
		e, err := onboardiq.CheckUsageEvent(events[i], i, now, retention)
		if err != nil {
			reject(i, err)
			continue
		}
		parsed[i] = e
		if e.CustomerID != nil {
			ids[*e.CustomerID] = true
		} else {
			external[e.CustomerExternalID] = true
		}
		valid = append(valid, i)
	}
	known, err := knownCustomers(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	byExternal, err := customersByExternalID(ctx, tx, external)
	if err != nil {
		return nil, err
	}
	rows := make([]usageRow, 0, len(valid))
	seen := make(map[string]bool, len(valid))
	for _, i := range valid {
		e := &parsed[i]
		var customer uuid.UUID
		switch {
		case e.CustomerID != nil && known[*e.CustomerID]:
			customer = *e.CustomerID
		case e.CustomerID != nil:
			reject(i, onboardiq.Invalid(fmt.Sprintf("events[%d].customer_id", i), "customer not found"))
			continue
		default:
			id, ok := byExternal[e.CustomerExternalID]
			if !ok {
				reject(i, onboardiq.Invalid(fmt.Sprintf("events[%d].customer_external_id", i), "no customer has this external id"))
				continue
			}
			customer = id
		}
		if seen[e.ID] {
			res.Duplicates++ // repeated within the batch
			continue
		}
		seen[e.ID] = true
		rows = append(rows, usageRow{index: i, key: e.ID, customer: customer, email: e.UserEmail, name: e.Name,
			props: string(e.Properties), at: e.OccurredAt})
	}
	slices.SortFunc(res.Rejected, func(a, b onboardiq.UsageRejection) int { return a.Index - b.Index })

	stored, err := insertUsage(ctx, tx, rows, now)
	if err != nil {
		return nil, err
	}
	res.Accepted = len(stored)
	res.Duplicates += len(rows) - len(stored)
	if len(stored) == 0 {
		return res, nil
	}
	if err := rollUpUsage(ctx, tx, stored); err != nil {
		return nil, err
	}
	customers := map[uuid.UUID]bool{}
	for _, r := range stored {
		customers[r.customer] = true
	}
	list := make([]string, 0, len(customers))
	for c := range customers {
		list = append(list, c.String())
	}
	slices.Sort(list)
	ev := onboardiq.Event{Kind: onboardiq.EventUsageIngested, Data: map[string]any{
		"accepted": res.Accepted, "duplicates": res.Duplicates, "rejected": len(res.Rejected), "customer_ids": list}}
	if len(list) == 1 {
		id := uuid.MustParse(list[0])
		ev.CustomerID = &id
	}
	return res, tx.Emit(ctx, ev)
}

// usageRetention is how many days of usage the tenant tx runs in keeps.
func usageRetention(ctx context.Context, tx *Tx) (int, error) {
	var days int
	err := tx.QueryRow(ctx, `SELECT usage_retention_days FROM tenants WHERE tenant_id = $1`, tx.TenantID()).Scan(&days)
	if err != nil {
		return 0, fmt.Errorf("read usage retention: %w", err)
	}
	return days, nil
}

// knownCustomers returns which of ids are customers of the tenant tx runs in.
func knownCustomers(ctx context.Context, tx *Tx, ids map[uuid.UUID]bool) (map[uuid.UUID]bool, error) {
	known := map[uuid.UUID]bool{}
	if len(ids) == 0 {
		return known, nil
	}
	list := make([]uuid.UUID, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	rows, err := tx.Query(ctx, `SELECT customer_id FROM customers WHERE tenant_id = $1 AND customer_id = ANY ($2)`, tx.TenantID(), list)
	if err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	var id uuid.UUID
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error { known[id] = true; return nil })
	return known, err
}

// customersByExternalID resolves the vendor's own customer ids
// (customer_external_id) to customers of the tenant tx runs in.
func customersByExternalID(ctx context.Context, tx *Tx, ids map[string]bool) (map[string]uuid.UUID, error) {
	found := map[string]uuid.UUID{}
	if len(ids) == 0 {
		return found, nil
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	rows, err := tx.Query(ctx, `SELECT external_id, customer_id FROM customers WHERE tenant_id = $1 AND external_id = ANY ($2)`, tx.TenantID(), list)
	if err != nil {
		return nil, fmt.Errorf("customers by external id: %w", err)
	}
	var ext string
	var id uuid.UUID
	_, err = pgx.ForEachRow(rows, []any{&ext, &id}, func() error { found[ext] = id; return nil })
	return found, err
}

// insertUsage inserts rows in one statement, in key order (so two batches
// that share ids take their locks in the same order and cannot deadlock),
// and returns the rows it added: an id already stored, or being stored by
// a concurrent transaction that then commits, is skipped.
func insertUsage(ctx context.Context, tx *Tx, rows []usageRow, now time.Time) ([]usageRow, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	slices.SortFunc(rows, func(a, b usageRow) int { return strings.Compare(a.key, b.key) })
	n := len(rows)
	keys, customers, emails, names, props, ats := make([]string, n), make([]uuid.UUID, n), make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	byKey := make(map[string]int, n)
	for i, r := range rows {
		keys[i], customers[i], emails[i], names[i], props[i], ats[i] = r.key, r.customer, r.email, r.name, r.props, r.at
		byKey[r.key] = i
	}
	result, err := tx.Query(ctx, `
INSERT INTO usage_events (tenant_id, event_key, customer_id, user_email, name, properties, occurred_at, received_at)
SELECT $1, u.k, u.c, NULLIF(u.e, ''), u.n, u.p::jsonb, u.o, $8
FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) WITH ORDINALITY AS u(k, c, e, n, p, o, i)
ORDER BY u.i
ON CONFLICT (tenant_id, event_key) DO NOTHING
RETURNING event_key`, tx.TenantID(), keys, customers, emails, names, props, ats, now)
	if err != nil {
		return nil, fmt.Errorf("insert usage events: %w", err)
	}
	stored := make([]usageRow, 0, n)
	var key string
	_, err = pgx.ForEachRow(result, []any{&key}, func() error {
		stored = append(stored, rows[byKey[key]])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert usage events: %w", err)
	}
	return stored, nil
}

// usageGroup is one row of the roll-up: a customer's events of one name on
// one UTC day.
type usageGroup struct {
	customer uuid.UUID
	day      string
	name     string
}

func compareGroups(a, b usageGroup) int {
	if c := strings.Compare(a.customer.String(), b.customer.String()); c != 0 {
		return c
	}
	if c := strings.Compare(a.day, b.day); c != 0 {
		return c
	}
	return strings.Compare(a.name, b.name)
}

// rollUpUsage adds the stored rows to usage_daily_users and usage_daily, set
// based: one statement each, whatever the batch's size. A user new to a
// customer's day and event name (a row the first statement added) adds one
// to that day's distinct users.
func rollUpUsage(ctx context.Context, tx *Tx, stored []usageRow) error {
	counts := map[usageGroup]int64{}
	latest := map[usageGroup]usageRow{} // the group's latest event, cited as evidence
	type userKey struct {
		g     usageGroup
		email string
	}
	users := map[userKey]bool{}
	for _, r := range stored {
		g := usageGroup{r.customer, r.at.UTC().Format(time.DateOnly), r.name}
		counts[g]++
		if l, ok := latest[g]; !ok || r.at.After(l.at) || r.at.Equal(l.at) && r.key > l.key {
			latest[g] = r
		}
		if r.email != "" {
			users[userKey{g, r.email}] = true
		}
	}
	newUsers := map[usageGroup]int{}
	if len(users) > 0 {
		list := make([]userKey, 0, len(users))
		for u := range users {
			list = append(list, u)
		}
		slices.SortFunc(list, func(a, b userKey) int {
			if c := compareGroups(a.g, b.g); c != 0 {
				return c
			}
			return strings.Compare(a.email, b.email)
		})
		cs, ds, ns, es := make([]uuid.UUID, len(list)), make([]string, len(list)), make([]string, len(list)), make([]string, len(list))
		for i, u := range list {
			cs[i], ds[i], ns[i], es[i] = u.g.customer, u.g.day, u.g.name, u.email
		}
		rows, err := tx.Query(ctx, `
INSERT INTO usage_daily_users (tenant_id, customer_id, day, name, user_email)
SELECT $1, u.c, u.d, u.n, u.e FROM unnest($2::uuid[], $3::date[], $4::text[], $5::text[]) WITH ORDINALITY AS u(c, d, n, e, i)
ORDER BY u.i
ON CONFLICT DO NOTHING
RETURNING customer_id, to_char(day, 'YYYY-MM-DD'), name`, tx.TenantID(), cs, ds, ns, es)
		if err != nil {
			return fmt.Errorf("roll up usage users: %w", err)
		}
		var g usageGroup
		_, err = pgx.ForEachRow(rows, []any{&g.customer, &g.day, &g.name}, func() error { newUsers[g]++; return nil })
		if err != nil {
			return fmt.Errorf("roll up usage users: %w", err)
		}
	}
	groups := make([]usageGroup, 0, len(counts))
	for g := range counts {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, compareGroups)
	n := len(groups)
	cs, ds, ns, evs, us := make([]uuid.UUID, n), make([]string, n), make([]string, n), make([]int64, n), make([]int32, n)
	lks, las := make([]string, n), make([]time.Time, n)
	for i, g := range groups {
		cs[i], ds[i], ns[i], evs[i], us[i] = g.customer, g.day, g.name, counts[g], int32(newUsers[g])
		lks[i], las[i] = latest[g].key, latest[g].at
	}
	// last_key and last_at keep the row's latest event (the later time; on
	// a tie the greater id, so the order batches arrive in does not matter).
	rows, err := tx.Query(ctx, `
INSERT INTO usage_daily AS d (tenant_id, customer_id, day, name, events, users, last_key, last_at)
SELECT $1, u.c, u.d, u.n, u.ev, u.us, u.lk, u.la
FROM unnest($2::uuid[], $3::date[], $4::text[], $5::bigint[], $6::int[], $7::text[], $8::timestamptz[]) WITH ORDINALITY AS u(c, d, n, ev, us, lk, la, i)
ORDER BY u.i
ON CONFLICT (tenant_id, customer_id, day, name) DO UPDATE SET events = d.events + excluded.events, users = d.users + excluded.users,
    last_key = CASE WHEN d.last_at IS NULL OR (excluded.last_at, excluded.last_key) > (d.last_at, d.last_key) THEN excluded.last_key ELSE d.last_key END,
    last_at = GREATEST(d.last_at, excluded.last_at)
RETURNING d.day`, tx.TenantID(), cs, ds, ns, evs, us, lks, las)
	if err != nil {
		return fmt.Errorf("roll up usage: %w", err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("roll up usage: %w", err)
	}
	return rollUpUsageDays(ctx, tx, stored)
}

// usageDay is one row of the per-day roll-up: a customer's UTC day.
type usageDay struct {
	customer uuid.UUID
	day      string
}

func compareDays(a, b usageDay) int {
	if c := strings.Compare(a.customer.String(), b.customer.String()); c != 0 {
		return c
	}
	return strings.Compare(a.day, b.day)
}

// rollUpUsageDays adds the stored rows to usage_day_users and usage_days:
// the health signals' roll-up, whatever the event name (a customer's daily
// active users and its latest event of the day).
func rollUpUsageDays(ctx context.Context, tx *Tx, stored []usageRow) error {
	type dayUser struct {
		d     usageDay
		email string
	}
	events := map[usageDay]int64{}
	latest := map[usageDay]usageRow{}
	users := map[dayUser]bool{}
	for _, r := range stored {
		d := usageDay{r.customer, r.at.UTC().Format(time.DateOnly)}
		events[d]++
		if l, ok := latest[d]; !ok || r.at.After(l.at) || r.at.Equal(l.at) && r.key > l.key {
			latest[d] = r
		}
		if r.email != "" {
			users[dayUser{d, r.email}] = true
		}
	}
	newUsers := map[usageDay]int{}
	if len(users) > 0 {
		list := make([]dayUser, 0, len(users))
		for u := range users {
			list = append(list, u)
		}
		slices.SortFunc(list, func(a, b dayUser) int {
			if c := compareDays(a.d, b.d); c != 0 {
				return c
			}
			return strings.Compare(a.email, b.email)
		})
		cs, ds, es := make([]uuid.UUID, len(list)), make([]string, len(list)), make([]string, len(list))
		for i, u := range list {
			cs[i], ds[i], es[i] = u.d.customer, u.d.day, u.email
		}
		rows, err := tx.Query(ctx, `
INSERT INTO usage_day_users (tenant_id, customer_id, day, user_email)
SELECT $1, u.c, u.d, u.e FROM unnest($2::uuid[], $3::date[], $4::text[]) WITH ORDINALITY AS u(c, d, e, i)
ORDER BY u.i
ON CONFLICT DO NOTHING
RETURNING customer_id, to_char(day, 'YYYY-MM-DD')`, tx.TenantID(), cs, ds, es)
		if err != nil {
			return fmt.Errorf("roll up usage day users: %w", err)
		}
		var d usageDay
		_, err = pgx.ForEachRow(rows, []any{&d.customer, &d.day}, func() error { newUsers[d]++; return nil })
		if err != nil {
			return fmt.Errorf("roll up usage day users: %w", err)
		}
	}
	days := make([]usageDay, 0, len(events))
	for d := range events {
		days = append(days, d)
	}
	slices.SortFunc(days, compareDays)
	n := len(days)
	cs, ds, evs, us, lks, las := make([]uuid.UUID, n), make([]string, n), make([]int64, n), make([]int32, n), make([]string, n), make([]time.Time, n)
	for i, d := range days {
		cs[i], ds[i], evs[i], us[i], lks[i], las[i] = d.customer, d.day, events[d], int32(newUsers[d]), latest[d].key, latest[d].at
	}
	rows, err := tx.Query(ctx, `
INSERT INTO usage_days AS d (tenant_id, customer_id, day, events, users, last_key, last_at)
SELECT $1, u.c, u.d, u.ev, u.us, u.lk, u.la
FROM unnest($2::uuid[], $3::date[], $4::bigint[], $5::int[], $6::text[], $7::timestamptz[]) WITH ORDINALITY AS u(c, d, ev, us, lk, la, i)
ORDER BY u.i
ON CONFLICT (tenant_id, customer_id, day) DO UPDATE SET events = d.events + excluded.events, users = d.users + excluded.users,
    last_key = CASE WHEN d.last_at IS NULL OR (excluded.last_at, excluded.last_key) > (d.last_at, d.last_key) THEN excluded.last_key ELSE d.last_key END,
    last_at = GREATEST(d.last_at, excluded.last_at)
RETURNING d.day`, tx.TenantID(), cs, ds, evs, us, lks, las)
	if err != nil {
		return fmt.Errorf("roll up usage days: %w", err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("roll up usage days: %w", err)
	}
	return nil
}

// UsageSummary is a customer's usage from one UTC day to another
// (inclusive; YYYY-MM-DD; empty: the 30 days to today), for staff.
func (db *DB) UsageSummary(ctx context.Context, customerID uuid.UUID, from, to string) (*onboardiq.UsageSummary, error) {
	return db.usageSummary(ctx, customerID, from, to, time.Now())
}

// MaxUsageSpan bounds the days one summary covers.
const MaxUsageSpan = 3660

func usageSpan(from, to string, now time.Time) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if to == "" {
		t = now.UTC().Truncate(24 * time.Hour)
	} else if t, err = time.Parse(time.DateOnly, to); err != nil {
		return f, t, onboardiq.Invalid("to", "must be a day such as 2026-03-31")
	}
	if from == "" {
		f = t.AddDate(0, 0, -29)
	} else if f, err = time.Parse(time.DateOnly, from); err != nil {
		return f, t, onboardiq.Invalid("from", "must be a day such as 2026-03-01")
	}
	switch {
	case t.Before(f):
		return f, t, onboardiq.Invalid("to", "must not be before from")
	case t.Sub(f) > MaxUsageSpan*24*time.Hour:
		return f, t, onboardiq.Invalid("from", "the span may cover at most %d days", MaxUsageSpan)
	}
	return f, t, nil
}

func (db *DB) usageSummary(ctx context.Context, customerID uuid.UUID, from, to string, now time.Time) (*onboardiq.UsageSummary, error) {
	f, t, err := usageSpan(from, to, now)
	if err != nil {
		return nil, err
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.UsageSummary, error) {
		if err := p.Check(onboardiq.ReadUsage); err != nil {
			return nil, err
		}
		if _, err := getCustomer(ctx, tx, p, customerID, false); err != nil {
			return nil, err
		}
		return usageSummary(ctx, tx, customerID, f, t)
	})
}

func usageSummary(ctx context.Context, tx *Tx, customerID uuid.UUID, f, t time.Time) (*onboardiq.UsageSummary, error) {
	s := &onboardiq.UsageSummary{CustomerID: customerID, From: f.Format(time.DateOnly), To: t.Format(time.DateOnly),
		Days: []onboardiq.UsageDay{}, CoreFeaturesUsed: []string{}}
	rows, err := tx.Query(ctx, `
SELECT to_char(e.day, 'YYYY-MM-DD'), e.events, coalesce(u.users, 0)
FROM (SELECT day, sum(events)::bigint AS events FROM usage_daily
      WHERE tenant_id = $1 AND customer_id = $2 AND day BETWEEN $3::date AND $4::date GROUP BY day) e
LEFT JOIN (SELECT day, count(DISTINCT user_email)::int AS users FROM usage_daily_users
           WHERE tenant_id = $1 AND customer_id = $2 AND day BETWEEN $3::date AND $4::date GROUP BY day) u ON u.day = e.day
ORDER BY e.day`, tx.TenantID(), customerID, f, t)
	if err != nil {
		return nil, fmt.Errorf("usage by day: %w", err)
	}
	var d onboardiq.UsageDay
	_, err = pgx.ForEachRow(rows, []any{&d.Day, &d.Events, &d.ActiveUsers}, func() error {
		if d.Events > 0 {
			s.ActiveDays++
		}
		s.Events += d.Events
		s.Days = append(s.Days, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("usage by day: %w", err)
	}
	err = tx.QueryRow(ctx, `
SELECT count(DISTINCT user_email)::int FROM usage_daily_users
WHERE tenant_id = $1 AND customer_id = $2 AND day BETWEEN $3::date AND $4::date`, tx.TenantID(), customerID, f, t).Scan(&s.ActiveUsers)
	if err != nil {
		return nil, fmt.Errorf("active users: %w", err)
	}
	err = tx.QueryRow(ctx, `
SELECT coalesce(array_agg(f.name ORDER BY f.name) FILTER (WHERE EXISTS (
           SELECT FROM usage_daily d WHERE d.tenant_id = f.tenant_id AND d.customer_id = $2 AND d.name = f.name
           AND d.day BETWEEN $3::date AND $4::date)), '{}'),
       count(*)::int
FROM core_features f WHERE f.tenant_id = $1`, tx.TenantID(), customerID, f, t).Scan(&s.CoreFeaturesUsed, &s.CoreFeaturesDefined)
	if err != nil {
		return nil, fmt.Errorf("core features used: %w", err)
	}
	return s, nil
}

// UsageSettings are what a workspace decides about usage events.
type UsageSettings struct {
	CoreFeatures  []string `json:"core_features" maxItems:"100" doc:"The event names that are the product's core features (feature adoption), in order."`
	RetentionDays int      `json:"retention_days" minimum:"7" maximum:"3650" doc:"Days of usage events and roll-ups kept; older ones are deleted by the periodic delay scan."`
}

// GetUsageSettings returns the core features and the retention, for staff.
func (db *DB) GetUsageSettings(ctx context.Context) (*UsageSettings, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*UsageSettings, error) {
		if err := p.Check(onboardiq.ReadUsage); err != nil {
			return nil, err
		}
		return usageSettings(ctx, tx)
	})
}

func usageSettings(ctx context.Context, tx *Tx) (*UsageSettings, error) {
	// Two queries: tenants is a reference table on Citus, where a
	// correlated subquery from it into a distributed table is refused.
	s := &UsageSettings{}
	var err error
	if s.RetentionDays, err = usageRetention(ctx, tx); err != nil {
		return nil, err
	}
	err = tx.QueryRow(ctx, `SELECT coalesce(array_agg(name ORDER BY name), '{}') FROM core_features WHERE tenant_id = $1`,
		tx.TenantID()).Scan(&s.CoreFeatures)
	if err != nil {
		return nil, fmt.Errorf("read core features: %w", err)
	}
	return s, nil
}

// SetUsageSettings replaces the core features and sets the retention
// (admins). A retention of 0 keeps the current one.
func (db *DB) SetUsageSettings(ctx context.Context, in UsageSettings) (*UsageSettings, error) {
	names := slices.Clone(in.CoreFeatures)
	if len(names) > onboardiq.MaxCoreFeatures {
		return nil, onboardiq.Invalid("core_features", "at most %d core features", onboardiq.MaxCoreFeatures)
	}
	seen := map[string]bool{}
	for i, n := range names {
		field := fmt.Sprintf("core_features[%d]", i)
		if err := onboardiq.CheckUsageName(field, n); err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, onboardiq.Invalid(field, "is listed twice")
		}
		seen[n] = true
	}
	if in.RetentionDays != 0 && (in.RetentionDays < 7 || in.RetentionDays > 3650) {
		return nil, onboardiq.Invalid("retention_days", "must be between 7 and 3650 days")
	}
	slices.Sort(names)
	var out *UsageSettings
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageUsage); err != nil {
			return err
		}
		before, err := usageSettings(ctx, tx)
		if err != nil {
			return err
		}
		changes := map[string]any{}
		if !slices.Equal(before.CoreFeatures, names) {
			changes["core_features"] = map[string]any{"from": before.CoreFeatures, "to": names}
			if _, err := tx.Exec(ctx, `DELETE FROM core_features WHERE tenant_id = $1 AND NOT (name = ANY ($2))`, tx.TenantID(), names); err != nil {
				return fmt.Errorf("core features: %w", err)
			}
			if _, err := tx.Exec(ctx, `
INSERT INTO core_features (tenant_id, name) SELECT $1, n FROM unnest($2::text[]) AS n
ON CONFLICT DO NOTHING RETURNING name`, tx.TenantID(), names); err != nil {
				return fmt.Errorf("core features: %w", err)
			}
		}
		if in.RetentionDays != 0 && in.RetentionDays != before.RetentionDays {
			changes["retention_days"] = map[string]any{"from": before.RetentionDays, "to": in.RetentionDays}
			if _, err := tx.Exec(ctx, `UPDATE tenants SET usage_retention_days = $2 WHERE tenant_id = $1`, tx.TenantID(), in.RetentionDays); err != nil {
				return fmt.Errorf("usage retention: %w", err)
			}
		}
		if out, err = usageSettings(ctx, tx); err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUsageSettingsChanged, Changes: changes,
			Data: map[string]any{"count": len(out.CoreFeatures), "retention_days": out.RetentionDays}})
	})
	return out, err
}

// PruneUsage deletes the usage events and roll-ups of the tenant tx runs
// in that are older than its retention, as of now, in one round trip (the
// delay scan sends the same deletes with its reads). It returns how many
// events it deleted.
func (tx *Tx) PruneUsage(ctx context.Context, now time.Time) (int64, error) {
	b := &pgx.Batch{}
	deleted := queuePruneUsage(b, tx.TenantID(), now)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, fmt.Errorf("prune usage: %w", err)
	}
	return *deleted, nil
}

// usageCutoff is the moment (a UTC timestamp) before which tenant t's
// usage is past its retention as of $2: timestamp arithmetic, the same
// whatever the session's time zone. Roll-ups of the days before its day
// are past it too.
const usageCutoff = `(($2::timestamptz AT TIME ZONE 'UTC') - make_interval(days => t.usage_retention_days))`

// usagePastRetentionSQL is true when tenant $1 (its tenants row t) has
// usage past its retention as of $2: index probes, which the delay scan
// asks with its reads, so that it sends the deletes (queuePruneUsage) only
// when there is something to delete.
const usagePastRetentionSQL = `(
    EXISTS (SELECT FROM usage_events WHERE tenant_id = $1 AND occurred_at < (` + usageCutoff + ` AT TIME ZONE 'UTC'))
    OR EXISTS (SELECT FROM usage_daily WHERE tenant_id = $1 AND day < ` + usageCutoff + `::date)
    OR EXISTS (SELECT FROM usage_daily_users WHERE tenant_id = $1 AND day < ` + usageCutoff + `::date)
    OR EXISTS (SELECT FROM usage_days WHERE tenant_id = $1 AND day < ` + usageCutoff + `::date)
    OR EXISTS (SELECT FROM usage_day_users WHERE tenant_id = $1 AND day < ` + usageCutoff + `::date))`

// queuePruneUsage queues on b the deletes of tenant's usage older than its
// retention (usage_retention_days) as of now (usageCutoff): the events
// before the cutoff, and the roll-ups of the days before its day. Each
// statement reads the retention itself, so the deletes need no round trip
// of their own. The count of events deleted is written where it points once
// b has run.
func queuePruneUsage(b *pgx.Batch, tenant uuid.UUID, now time.Time) *int64 {
	deleted := new(int64)
	b.Queue(`DELETE FROM usage_events e USING tenants t
WHERE e.tenant_id = $1 AND t.tenant_id = $1 AND e.occurred_at < (`+usageCutoff+` AT TIME ZONE 'UTC')`, tenant, now).Exec(func(tag pgconn.CommandTag) error {
		*deleted = tag.RowsAffected()
		return nil
	})
	for _, table := range []string{"usage_daily", "usage_daily_users", "usage_days", "usage_day_users"} { // the roll-ups
		b.Queue(`DELETE FROM `+table+` r USING tenants t WHERE r.tenant_id = $1 AND t.tenant_id = $1 AND r.day < `+usageCutoff+`::date`, tenant, now)
	}
	return deleted
}

// IngestUsage stores usage events in tx as of now, as the batch endpoint
// does (for the demo workspace and imports run as the system).
func (tx *Tx) IngestUsage(ctx context.Context, events []onboardiq.UsageEventInput, now time.Time) (*onboardiq.UsageResult, error) {
	return ingestUsage(ctx, tx, events, now)
}
