package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// BulkInsert loads rows into a tenant table at COPY speed. PostgreSQL refuses
// COPY FROM into a table under row-level security, so the rows are copied
// into a temporary table and moved with one INSERT … SELECT, which the
// tenant policy checks like any other insert. The INSERT returns its rows
// (counted in the statement): without RETURNING, Citus would move them with
// COPY, which row-level security refuses.
func (tx *Tx) BulkInsert(ctx context.Context, table string, columns []string, src pgx.CopyFromSource) (int64, error) {
	target := pgx.Identifier{table}.Sanitize()
	staging := pgx.Identifier{"bulk_" + table}.Sanitize()
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	list := strings.Join(cols, ", ")
	if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA", staging, list, target)); err != nil {
		return 0, fmt.Errorf("bulk insert %s: %w", table, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bulk_" + table}, columns, src); err != nil {
		return 0, fmt.Errorf("bulk insert %s: copy: %w", table, err)
	}
	var n int64
	err := tx.QueryRow(ctx, fmt.Sprintf("WITH ins AS (INSERT INTO %s (%s) SELECT %s FROM %s RETURNING 1) SELECT count(*) FROM ins", target, list, list, staging)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("bulk insert %s: %w", table, err)
	}
	if _, err := tx.Exec(ctx, "DROP TABLE "+staging); err != nil {
		return 0, fmt.Errorf("bulk insert %s: %w", table, err)
	}
	return n, nil
}
