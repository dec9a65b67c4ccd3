package postgres

import (
	"context"
	"testing"

	"github.com/onboardiq/onboardiq"
)

// BenchmarkAuthenticate times an API call's authentication with the API
// call metering (one UPSERT of the tenant's month counter in the same
// transaction) and without it (the same transaction and lookup only), one
// caller at a time and with every client of the pool calling for the same
// tenant at once (contending for the counter's row). docs/performance.md
// has the numbers.
func BenchmarkAuthenticate(b *testing.B) {
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
	tenant, hash, _ := parseToken(ten.Token)
	metered := func(b *testing.B) {
		if _, err := db.Authenticate(ctx, ten.Token); err != nil {
			b.Fatal(err)
		}
	}
	unmetered := func(b *testing.B) {
		var p onboardiq.Principal
		var suspended bool
		var q quotaSettings
		var overrides []byte
		var calls int64
		err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
			return tx.QueryRow(ctx, authenticateSQL, tenant, hash).Scan(&p.TokenID, &p.UserID, &p.Email, &p.Name, &p.Role, &p.CustomerID,
				&p.TenantSlug, &p.TenantName, &suspended, &q.tier, &overrides, &q.now, &calls)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for name, f := range map[string]func(*testing.B){"metered": metered, "unmetered": unmetered} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				f(b)
			}
		})
		b.Run(name+"-parallel", func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					f(b)
				}
			})
		})
	}
}
