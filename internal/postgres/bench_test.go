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
