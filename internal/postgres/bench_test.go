package postgres

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
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
