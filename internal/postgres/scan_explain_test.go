package postgres_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestCooldownCheckUsesTheIndex: the statement that raises a tenant's
// alerts checks each recipient's cooldown (and dedupe) by index, never by
// reading notifications whole, whatever the planner knows of the table —
// for the plan made with the values and for the generic plan of a
// prepared statement, which a connection caches and uses as the table
// grows: empty, never analyzed (autovacuum kept off, so the statistics
// stay empty) and grown, empty and analyzed, analyzed while empty and
// grown since, and analyzed, with notifications_cooldown_idx; analyzed
// while it held 10 rows and grown since, with an index.
func TestCooldownCheckUsesTheIndex(t *testing.T) {
	t.Parallel()
	if testdb.Citus() {
		t.Skip("the plans are PostgreSQL's; Citus plans the shards' queries")
	}
	ctx := context.Background()
	d := testdb.New(t)
	super, err := pgx.Connect(ctx, d.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := super.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []string{"notifications", "tenant_users", "notification_preferences", "project_alerts", "projects"} {
		exec(`ALTER TABLE ` + table + ` SET (autovacuum_enabled = off)`)
	}

	ten, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Acme", Slug: "acme", AdminEmail: "a@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	tenant := ten.Tenant.ID
	// 40 staff, 200 projects, and n notifications about them (as the
	// superuser: the set-up is not what is measured).
	grow := func(n int) {
		t.Helper()
		exec(`
INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, created_at)
SELECT $1, u.user_id, (ARRAY['project_overdue', 'project_at_risk', 'task_overdue'])[i % 3 + 1], p.project_id, 'Old news', now() - make_interval(hours => i % 100)
FROM generate_series(1, $2) AS i
JOIN LATERAL (SELECT user_id FROM tenant_users WHERE tenant_id = $1 ORDER BY user_id OFFSET i % 40 LIMIT 1) u ON true
JOIN LATERAL (SELECT project_id FROM projects WHERE tenant_id = $1 ORDER BY project_id OFFSET i % 200 LIMIT 1) p ON true`, tenant, n)
	}
	exec(`
WITH u AS (
    INSERT INTO tenant_users (tenant_id, email, name, role)
    SELECT $1, 'staff' || i || '@acme.test', 'Staff ' || i, 'sales_leader' FROM generate_series(1, 40) AS i RETURNING user_id
), c AS (
    INSERT INTO customers (tenant_id, name) VALUES ($1, 'Globex') RETURNING customer_id
)
INSERT INTO projects (tenant_id, customer_id, name, deadline)
SELECT $1, c.customer_id, 'Project ' || i, now() - interval '1 day' FROM c, generate_series(1, 200) AS i`, tenant)
	var (
		projects, users []uuid.UUID
	)
	err = d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT project_id FROM projects WHERE tenant_id = $1 ORDER BY name LIMIT 50`, tenant)
		if err != nil {
			return err
		}
		if projects, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = 'sales_leader' ORDER BY email LIMIT 5`, tenant)
		if err != nil {
			return err
		}
		users, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// 50 projects overdue, each to 5 people.
	alerts := make([]postgres.Alert, len(projects))
	for i, p := range projects {
		alerts[i] = postgres.Alert{ProjectID: p, Kind: postgres.KindProjectOverdue, Dedupe: "2026-01-01T00:00:00Z", Title: "Late", Body: "Late",
			Recipients: users, Event: &onboardiq.Event{Kind: onboardiq.EventProjectOverdue, Data: map[string]any{}}}
	}

	// check explains the statement in each way: never a sequential scan
	// of notifications, the dedupe check on its unique index, and the
	// cooldown check on notifications_cooldown_idx — or, when only is
	// false, on an index at least.
	check := func(state string, only bool) {
		t.Helper()
		for _, generic := range []bool{false, true} {
			var plan string
			err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
				var err error
				plan, err = tx.ExplainRaiseAlerts(ctx, alerts, time.Now().Add(-24*time.Hour), generic)
				return err
			})
			if err != nil {
				t.Fatalf("%s: explain: %v", state, err)
			}
			name := fmt.Sprintf("%s, generic plan %v", state, generic)
			if strings.Contains(plan, "Seq Scan on notifications") {
				t.Errorf("%s: the alert statement reads notifications whole:\n%s", name, plan)
			}
			cooldown := regexp.MustCompile(`(Index Scan|Index Only Scan|Bitmap Index Scan) (using|on) notifications_cooldown_idx`)
			if only && !cooldown.MatchString(plan) {
				t.Errorf("%s: the cooldown check does not use notifications_cooldown_idx:\n%s", name, plan)
			}
			if !cooldown.MatchString(plan) && !strings.Contains(plan, "Bitmap Index Scan on notifications_user_idx") {
				t.Errorf("%s: the cooldown check uses no index:\n%s", name, plan)
			}
			if !strings.Contains(plan, "Conflict Arbiter Indexes: notifications_dedupe_idx") {
				t.Errorf("%s: the dedupe check is not the dedupe index:\n%s", name, plan)
			}
		}
	}
	reltuples := func() float64 {
		t.Helper()
		var n float64
		if err := super.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'notifications'::regclass`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A plan made while the table is empty is cached and used as it
	// grows: it must be the index already.
	check("empty, never analyzed", true)
	grow(20000)
	if n := reltuples(); n >= 0 {
		t.Fatalf("notifications has statistics already (reltuples %v): the test needs a table never analyzed", n)
	}
	check("never analyzed", true)

	exec(`DELETE FROM notifications`)
	exec(`VACUUM ANALYZE notifications`)
	check("empty, analyzed", true)
	grow(20000)
	check("analyzed while empty, 20,000 rows now", true)

	exec(`DELETE FROM notifications`)
	grow(10)
	exec(`ANALYZE`)
	grow(20000)
	// Statistics that say the table is tiny: the planner may then prefer
	// a user's notifications since the cutoff (notifications_user_idx),
	// still an index probe.
	check("analyzed with 10 rows, 20,010 now", false)

	exec(`ANALYZE`)
	if n := reltuples(); n < 20000 {
		t.Fatalf("after ANALYZE reltuples is %v", n)
	}
	check("analyzed", true)
}

// TestScanReadsByIndex: every statement of a tenant's scan that reads (and
// the usage prune) uses the tenant's indexes, never a sequential scan, in
// the plan made for the tenant and in the generic plan a connection
// caches, even planned while the tables are empty — where a sequential
// scan costs nothing, and a cached plan that made one would read a whole
// table for every tenant (or every project) as it grows.
func TestScanReadsByIndex(t *testing.T) {
	t.Parallel()
	if testdb.Citus() {
		t.Skip("the plans are PostgreSQL's; Citus plans the shards' queries")
	}
	ctx := context.Background()
	d := testdb.New(t)
	super, err := pgx.Connect(ctx, d.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	ten, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Acme", Slug: "acme", AdminEmail: "a@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, state := range []string{"never analyzed", "analyzed"} {
		if state == "analyzed" {
			if _, err := super.Exec(ctx, `VACUUM ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		var plans map[string]string
		err := d.App.InTenant(ctx, ten.Tenant.ID, func(ctx context.Context, tx *postgres.Tx) error {
			var err error
			plans, err = tx.ExplainScanReads(ctx, time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(plans) != 2*(3+5) {
			t.Fatalf("%d plans, want the 3 reads and the 5 deletes of the prune, each twice", len(plans))
		}
		for name, plan := range plans {
			if strings.Contains(plan, "Seq Scan") {
				t.Errorf("%s, %s: a sequential scan:\n%s", state, name, plan)
			}
		}
	}
}
