package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq"
)

// BenchmarkAuthenticate times an API call's authentication with its
// metering (the API calls counted in memory): the token known (kept from
// an earlier check, while the server listens for credential changes: no
// transaction) and looked up (the read-only transaction a token the server
// does not know costs, which every request paid before), one caller at a
// time and with four at once. docs/performance.md has the numbers.
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
	// Until the listener runs, nothing is kept.
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, err := db.Authenticate(ctx, ten.Token); err != nil {
			b.Fatal(err)
		}
		db.creds.mu.Lock()
		kept := db.creds.live && len(db.creds.entries) > 0
		db.creds.mu.Unlock()
		if kept {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the token was never kept")
		}
		time.Sleep(10 * time.Millisecond)
	}
	known := func(b *testing.B) {
		if _, err := db.Authenticate(ctx, ten.Token); err != nil {
			b.Fatal(err)
		}
	}
	lookedUp := func(b *testing.B) {
		if _, _, err := db.lookupToken(ctx, tenant, hash); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		f    func(*testing.B)
	}{{"known", known}, {"looked-up", lookedUp}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.f(b)
			}
		})
		b.Run(c.name+"-parallel", func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.f(b)
				}
			})
		})
	}
}
