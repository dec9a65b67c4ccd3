package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestHealthRecompute: health recompute rescores every customer of the
// tenant, keeps each score and the day's history, shows its progress, and
// refuses an unknown tenant.
func TestHealthRecompute(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	seed := seedDemo(t, d)
	ctx := context.Background()
	count := func(q string) (n int) {
		t.Helper()
		if err := d.App.InTenant(ctx, seed.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, q).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	customers := count(`SELECT count(*) FROM customers WHERE archived_at IS NULL`)
	if err := d.App.InTenant(ctx, seed.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM customer_health`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, ctx, appEnv(d), nil, "health", "recompute", "--tenant", seed.Slug, "--json")
	var out struct{ Tenants, Customers, Scored int }
	if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil {
		t.Fatalf("health recompute: exit %d, %q %s (%v)", r.code, r.stdout, r.stderr, err)
	}
	if out.Tenants != 1 || out.Customers != customers || out.Scored == 0 {
		t.Errorf("recompute: %+v, want %d customers, some scored", out, customers)
	}
	if n := count(`SELECT count(*) FROM customer_health`); n != customers {
		t.Errorf("%d scores kept, want %d", n, customers)
	}
	if n := count(`SELECT count(*) FROM health_history WHERE day = (now() AT TIME ZONE 'UTC')::date`); n != out.Scored {
		t.Errorf("%d history points today, want %d", n, out.Scored)
	}
	if !strings.Contains(r.stderr, "/") || !strings.Contains(r.stderr, "\r") {
		t.Errorf("no progress shown: %q", r.stderr)
	}
	if r := runCLI(t, ctx, appEnv(d), nil, "health", "recompute", "--tenant", "nope"); r.code == 0 {
		t.Errorf("an unknown tenant: exit 0 %s", r.stdout)
	}
}
