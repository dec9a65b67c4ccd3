package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// BenchmarkPointRead reads one row inside a tenant: through InTenant (BEGIN,
// SET LOCAL and the SELECT in one batch, then COMMIT) and the plain way
// (four round trips). Compare with benchstat; the ratio is the point.
func BenchmarkPointRead(b *testing.B) {
	ctx := context.Background()
	db := tracedDB(b, testAppURL(b), &tracer{})
	tenant := uuid.New()
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO tenants (tenant_id, name, slug) VALUES ($1, 'Bench', 'bench')", tenant)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	const q = "SELECT name FROM tenants WHERE tenant_id = $1"
	b.Run("batched", func(b *testing.B) {
		for b.Loop() {
			var name string
			err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
				return tx.QueryRow(ctx, q, tenant).Scan(&name)
			})
			if err != nil || name != "Bench" {
				b.Fatal(name, err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			var name string
			err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, setTenantSQL(tenant)); err != nil {
					return err
				}
				return tx.QueryRow(ctx, q, tenant).Scan(&name)
			})
			if err != nil || name != "Bench" {
				b.Fatal(name, err)
			}
		}
	})
}

// BenchmarkIngestUsage sends batches of 1,000 new usage events (10
// customers, 50 users, 8 event names, over the last day) through the
// store, as POST /api/v1/usage-events does, and reports events/s: each
// batch is stored, rolled up and recorded in one transaction.
func BenchmarkIngestUsage(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, testAppURL(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	ten, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Bench", Slug: "bench", AdminEmail: "a@bench.test"})
	if err != nil {
		b.Fatal(err)
	}
	admin, err := db.Authenticate(ctx, ten.Token)
	if err != nil {
		b.Fatal(err)
	}
	as := onboardiq.NewContextWithPrincipal(ctx, admin)
	customers := make([]string, 10)
	for i := range customers {
		c, err := db.CreateCustomer(as, onboardiq.NewCustomer{Name: fmt.Sprintf("Customer %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		customers[i] = c.ID.String()
	}
	names := []string{"login", "report_exported", "dashboard_viewed", "api_call", "sso_enabled", "invite_sent", "export.csv", "search"}
	start := time.Now().Add(-24 * time.Hour)
	batch := make([]onboardiq.UsageEventInput, onboardiq.MaxUsageBatch)
	n := 0
	for b.Loop() {
		for i := range batch {
			n++
			batch[i] = onboardiq.UsageEventInput{ID: fmt.Sprintf("evt_%09d", n), CustomerID: customers[n%len(customers)],
				UserEmail: fmt.Sprintf("user%d@customer.test", n%50), Name: names[n%len(names)],
				Properties: json.RawMessage(`{"plan":"pro","seats":12}`), OccurredAt: start.Add(time.Duration(n) * time.Millisecond).Format(time.RFC3339Nano)}
		}
		res, err := db.IngestUsage(as, batch)
		if err != nil || res.Accepted != len(batch) {
			b.Fatalf("%+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRecomputeHealth rescores a workspace of 10,000 customers, as the
// nightly recompute does, in one transaction: each with 60 days of usage
// roll-ups (two event names, three users a day on most days), core
// features, and one customer in ten onboarding a project with tasks. The
// goal is 10,000 customers in at most 10 s (docs/performance.md).
func BenchmarkRecomputeHealth(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, testAppURL(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	ten, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Health bench", Slug: "health-bench", AdminEmail: "a@health.test"})
	if err != nil {
		b.Fatal(err)
	}
	const customers = 10000
	err = db.InTenant(ctx, ten.Tenant.ID, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT INTO customers (tenant_id, name) SELECT $1, 'Customer ' || i FROM generate_series(1, 10000) i`,
			`INSERT INTO core_features (tenant_id, name) VALUES ($1, 'login'), ($1, 'report_exported'), ($1, 'sso_enabled')`,
			`INSERT INTO usage_daily (tenant_id, customer_id, day, name, events, users, last_key, last_at)
			 SELECT $1, c.customer_id, d::date, n, 5, 3, c.customer_id::text || d::date || n, d
			 FROM customers c, generate_series(current_date - 59, current_date, interval '1 day') d, unnest(ARRAY['login', 'report_exported']) n
			 WHERE c.tenant_id = $1 AND (extract(doy FROM d)::int + abs(hashtext(c.name))) % 7 <> 0`,
			`INSERT INTO usage_daily_users (tenant_id, customer_id, day, name, user_email)
			 SELECT $1, d.customer_id, d.day, d.name, 'user' || u || '@customer.test'
			 FROM usage_daily d, generate_series(1, 3) u WHERE d.tenant_id = $1`,
			`INSERT INTO usage_day_users (tenant_id, customer_id, day, user_email)
			 SELECT DISTINCT tenant_id, customer_id, day, user_email FROM usage_daily_users WHERE tenant_id = $1`,
			`INSERT INTO usage_days (tenant_id, customer_id, day, events, users, last_key, last_at)
			 SELECT $1, customer_id, day, sum(events), 3, max(last_key), max(last_at) FROM usage_daily WHERE tenant_id = $1 GROUP BY customer_id, day`,
			`INSERT INTO projects (tenant_id, customer_id, name, status, progress, deadline)
			 SELECT $1, customer_id, 'Onboarding', 'in_progress', 40, now() - interval '3 days'
			 FROM customers WHERE tenant_id = $1 AND abs(hashtext(name)) % 10 = 0`,
			`INSERT INTO tasks (tenant_id, project_id, description, status, blocked_reason, due_at, start_at)
			 SELECT $1, p.project_id, 'Task ' || i, CASE WHEN i = 1 THEN 'blocked' ELSE 'in_progress' END,
			        CASE WHEN i = 1 THEN 'Waiting on IT' END, now() - interval '10 days', now() - interval '20 days'
			 FROM projects p, generate_series(1, 8) i WHERE p.tenant_id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, tx.TenantID()); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var run HealthRun
	for b.Loop() {
		err := db.InTenant(ctx, ten.Tenant.ID, func(ctx context.Context, tx *Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
				return err
			}
			run, err = tx.RecomputeHealth(ctx, nil, time.Now())
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		if run.Customers != customers || run.Scored != customers {
			b.Fatalf("rescored %+v, want %d", run, customers)
		}
	}
	b.ReportMetric(float64(customers)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}
