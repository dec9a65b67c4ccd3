package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/testdb"
)

// globalTables are the tables that hold no tenant's data, and why.
var globalTables = map[string]string{
	"goose_db_version":   "the schema migration ledger",
	"river_job":          "River's job queue: every job carries its tenant_id in its arguments and re-enters the tenant",
	"river_leader":       "River's leader election",
	"river_migration":    "River's migration ledger",
	"river_queue":        "River's queue settings",
	"river_client":       "River's client registry",
	"river_client_queue": "River's client registry",
	"river_notification": "River's notification outbox for job insert events (no job data)",
	"operator_tokens":    "the installation operators' tokens (hashes only): no tenant's, out of the app role's reach (migration 00025)",
}

const wantPolicy = "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)"

// TestSchemaKeepsTenantInEveryKey enumerates the catalog: every table is
// either listed above as global or is tenant-owned, and a tenant-owned table
// has forced row-level security with the fail-closed policy, tenant_id first
// in its primary key, unique keys and foreign keys.
func TestSchemaKeepsTenantInEveryKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	conn := connect(t, d.OwnerURL)

	rows, err := conn.Query(ctx, `
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	type table struct {
		name              string
		rls, force, owned bool
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var x table
		return x, r.Scan(&x.name, &x.rls, &x.force, &x.owned)
	})
	if err != nil {
		t.Fatal(err)
	}
	// No key clears its column on delete: Citus refuses that action on keys
	// that include tenant_id, so the delete paths clear references
	// themselves (migration 00010).
	var nulling []string
	rows, err = conn.Query(ctx, `SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint
WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND (confdeltype IN ('n', 'd') OR confupdtype IN ('n', 'd')) ORDER BY 1`)
	if err == nil {
		nulling, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(nulling) > 0 {
		t.Errorf("foreign keys that set NULL or DEFAULT on delete or update: %v; clear the column in the delete path instead", nulling)
	}

	seen := 0
	for _, tb := range tables {
		if _, ok := globalTables[tb.name]; ok {
			if tb.owned {
				t.Errorf("%s is listed as global but has a tenant_id column", tb.name)
			}
			continue
		}
		seen++
		if !tb.owned {
			t.Errorf("%s has no tenant_id and is not listed in globalTables with a reason", tb.name)
			continue
		}
		if !tb.rls || !tb.force {
			t.Errorf("%s: row-level security enabled=%v forced=%v, want both", tb.name, tb.rls, tb.force)
		}
		policies, err := conn.Query(ctx, `
SELECT polname, polcmd, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid), polroles::regrole[]::text[]
FROM pg_policy WHERE polrelid = $1::regclass`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		isolated := false
		var (
			name, cmd    string
			using, check *string
			roles        []string
		)
		_, err = pgx.ForEachRow(policies, []any{&name, &cmd, &using, &check, &roles}, func() error {
			switch {
			case name == "tenant_isolation":
				isolated = cmd == "*" && using != nil && *using == wantPolicy && check != nil && *check == wantPolicy
				if !isolated {
					t.Errorf("%s: policy tenant_isolation is %s USING %v WITH CHECK %v", tb.name, cmd, deref(using), deref(check))
				}
			case tb.name == "tenants" && name == "tenant_directory" && cmd == "r" && !slices.Contains(roles, "public") && !slices.Contains(roles, "onboardiq_app"):
				// The owner's read of the directory, for tenant_id_by_slug.
			default:
				t.Errorf("%s: unexpected policy %s (%s) for %v: policies are permissive, so any other one widens access", tb.name, name, cmd, roles)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !isolated {
			t.Errorf("%s lacks the tenant_isolation policy", tb.name)
		}

		// Keys: primary and unique keys start with tenant_id; so do foreign
		// keys, on both sides.
		keys, err := conn.Query(ctx, `
SELECT conname, contype::text,
       (SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum = conkey[1]),
       (SELECT attname FROM pg_attribute WHERE attrelid = confrelid AND attnum = confkey[1])
FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f')`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		hasPK := false
		var kind string
		var first, refFirst *string
		_, err = pgx.ForEachRow(keys, []any{&name, &kind, &first, &refFirst}, func() error {
			if kind == "p" {
				hasPK = true
			}
			if tb.name == "tenants" && name == "tenants_slug_key" {
				return nil // the directory's slug, unique across tenants by design
			}
			if deref(first) != "tenant_id" {
				t.Errorf("%s: key %s starts with %s, want tenant_id", tb.name, name, deref(first))
			}
			if kind == "f" && deref(refFirst) != "tenant_id" {
				t.Errorf("%s: foreign key %s references a key starting with %s, want tenant_id", tb.name, name, deref(refFirst))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !hasPK {
			t.Errorf("%s has no primary key", tb.name)
		}
	}
	if seen < 15 {
		t.Errorf("checked %d tenant tables, want at least 15", seen)
	}

	// Unique indexes that are not constraints count as keys too.
	idx, err := conn.Query(ctx, `
SELECT i.indexrelid::regclass::text, a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid AND c.relnamespace = 'public'::regnamespace
LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indisunique AND c.relname <> ALL ($1) AND i.indexrelid::regclass::text <> 'tenants_slug_key'`, mapKeys(globalTables))
	if err != nil {
		t.Fatal(err)
	}
	var name string
	var first *string
	_, err = pgx.ForEachRow(idx, []any{&name, &first}, func() error {
		if deref(first) != "tenant_id" {
			t.Errorf("unique index %s starts with %s, want tenant_id", name, deref(first))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}

func mapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
