package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestUsageImport: usage import sends a CSV's rows in batches of 1,000,
// reports each bad row by its line and field, stores the others, shows its
// progress on stderr, and adds nothing when the file is imported again.
func TestUsageImport(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	seed := seedDemo(t, d)
	ctx := context.Background()
	var customer uuid.UUID
	err := d.App.InTenant(ctx, seed.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT customer_id FROM customers WHERE tenant_id = $1 ORDER BY name LIMIT 1`, seed.TenantID).Scan(&customer)
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("id,customer_id,user_email,name,occurred_at,properties\n")
	at := time.Now().UTC().Add(-48 * time.Hour)
	for i := range 2500 {
		fmt.Fprintf(&b, "evt-%d,%s,user%d@customer.test,login,%s,\"{\"\"n\"\": %d}\"\n", i, customer, i%7, at.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i)
	}
	b.WriteString("bad-1," + customer.String() + ",,Bad Name," + at.Format(time.RFC3339) + ",\n") // line 2502
	file := filepath.Join(t.TempDir(), "usage.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Rows, Accepted, Duplicates int
		Rejected                   []struct {
			Line      int
			ID, Field string
		}
	}
	imp := func() (result, string) {
		t.Helper()
		r := runCLI(t, ctx, appEnv(d), nil, "usage", "import", file, "--tenant", seed.Slug, "--json")
		var out result
		if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil {
			t.Fatalf("usage import: exit %d, %q %s (%v)", r.code, r.stdout, r.stderr, err)
		}
		return out, r.stderr
	}
	out, progress := imp()
	if out.Rows != 2501 || out.Accepted != 2500 || out.Duplicates != 0 || len(out.Rejected) != 1 ||
		out.Rejected[0].Line != 2502 || out.Rejected[0].Field != "name" || out.Rejected[0].ID != "bad-1" {
		t.Errorf("first import: %+v", out)
	}
	if !strings.Contains(progress, "2501 rows: 2500 accepted, 0 duplicates, 1 rejected") || strings.Count(progress, "\r") != 3 {
		t.Errorf("progress: %q", progress)
	}
	if out, _ = imp(); out.Accepted != 0 || out.Duplicates != 2500 {
		t.Errorf("again: %+v", out)
	}
	if r := runCLI(t, ctx, appEnv(d), nil, "usage", "import", file); r.code == 0 || !strings.Contains(r.stderr, "--tenant") {
		t.Errorf("without --tenant: exit %d %s", r.code, r.stderr)
	}
}
