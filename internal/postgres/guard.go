package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// TenantTable is what the guard reads of a table that holds tenant data.
type TenantTable struct {
	Name          string
	RLS           bool // ENABLE ROW LEVEL SECURITY
	ForceRLS      bool // FORCE ROW LEVEL SECURITY
	Policies      int
	OwnedByCaller bool // the connected role owns it or may become its owner
}

// TenantTables lists the tables of the current schema that have a tenant_id
// column, with their row-level security state as the connected role sees it.
func (db *DB) TenantTables(ctx context.Context) ([]TenantTable, error) {
	rows, err := db.Pool.Query(ctx, `
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int,
       pg_has_role(current_user, c.relowner, 'MEMBER')
FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relkind IN ('r', 'p')
  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("list tenant tables: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (TenantTable, error) {
		var t TenantTable
		err := r.Scan(&t.Name, &t.RLS, &t.ForceRLS, &t.Policies, &t.OwnedByCaller)
		return t, err
	})
}

// CheckIsolation returns an error, naming each problem, when the connected
// role could read or write across tenants: a superuser, a role with
// BYPASSRLS, one that owns (or may become the owner of) a tenant table, or a
// tenant table without forced row-level security and a policy. serve refuses
// to start on it.
func (db *DB) CheckIsolation(ctx context.Context) error {
	var (
		user          string
		super, bypass bool
	)
	err := db.Pool.QueryRow(ctx, `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).
		Scan(&user, &super, &bypass)
	if err != nil {
		return fmt.Errorf("read database role: %w", err)
	}
	var problems []string
	if super {
		problems = append(problems, fmt.Sprintf("role %q is a superuser", user))
	}
	if bypass {
		problems = append(problems, fmt.Sprintf("role %q has BYPASSRLS", user))
	}
	tables, err := db.TenantTables(ctx)
	if err != nil {
		return err
	}
	if len(tables) == 0 {
		problems = append(problems, "no tenant tables found (run `onboardiq migrate` first)")
	}
	for _, t := range tables {
		if t.OwnedByCaller && !super {
			problems = append(problems, fmt.Sprintf("role %q owns table %s", user, t.Name))
		}
		if !t.RLS || !t.ForceRLS || t.Policies == 0 {
			problems = append(problems, fmt.Sprintf("table %s lacks forced row-level security", t.Name))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("tenant isolation is not enforced for this connection: %s; connect as the application role %q that `onboardiq migrate` creates",
			strings.Join(problems, "; "), DefaultAppRole)
	}
	return nil
}
