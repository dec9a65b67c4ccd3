package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// GoalImportRatio is issue 16's goal: an import within twice a raw COPY of
// the same rows.
const GoalImportRatio = 2.0

// importColumns are the customers' columns of the import's file, after
// tenant_id.
var importColumns = []string{"tenant_id", "name", "external_id", "segment", "arr", "renewal_date"}

// customerRows makes n customers (name, external id, segment, ARR, renewal
// date) as a CSV file and as rows of tenant for COPY: the same rows.
func customerRows(n int, tenant uuid.UUID) ([]byte, [][]any) {
	var csv strings.Builder
	csv.WriteString("name,external_id,segment,arr,renewal_date\n")
	rows := make([][]any, n)
	renewal := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&csv, "Customer %06d,C-%06d,smb,%d.50,2027-03-01\n", i, i, 1000+i)
		rows[i] = []any{tenant, fmt.Sprintf("Customer %06d", i), fmt.Sprintf("C-%06d", i), "smb", float64(1000+i) + 0.5, renewal}
	}
	return []byte(csv.String()), rows
}

// ImportVsCopy times, in rounds, the CSV import of s.ImportRows new
// customers (db.ImportNow, as `onboardiq import` runs it: read, check every
// row, match against the workspace, load, an event per customer and a
// fan-out job per 500 events) against a COPY of the same rows, each into a fresh scratch
// tenant of its own (removed at the end). The COPY is the schema owner's
// straight into customers when ownerURL may (a superuser, or a role with
// BYPASSRLS: PostgreSQL refuses COPY into a table under row-level security
// otherwise); else the application role's fastest way, tx.BulkInsert (COPY
// into a temporary table, one INSERT … SELECT).
func ImportVsCopy(ctx context.Context, db *postgres.DB, ownerURL string, s Scale, rounds int, logf func(string, ...any)) (row Row, err error) {
	n := s.ImportRows
	row = Row{Section: "import", Name: "CSV import vs COPY", Unit: "rows/s", Clients: 1}
	var scratch []uuid.UUID
	defer func() {
		for _, t := range scratch {
			rerr := db.InTenant(context.WithoutCancel(ctx), t, func(ctx context.Context, tx *postgres.Tx) error { return tx.DeleteTenant(ctx) })
			if err == nil && rerr != nil {
				err = fmt.Errorf("remove a scratch tenant: %w", rerr)
			}
		}
	}()
	newTenant := func() (uuid.UUID, error) {
		id := uuid.New()
		slug := "bench-scratch-" + id.String()[:8]
		err := db.InTenant(ctx, id, func(ctx context.Context, tx *postgres.Tx) error {
			_, err := tx.CreateTenant(ctx, onboardiq.NewTenant{Name: "Bench scratch", Slug: slug, AdminEmail: "bench@" + slug + ".invalid"})
			return err
		})
		if err == nil {
			scratch = append(scratch, id)
		}
		return id, err
	}
	owner := ownerURL != ""
	baseline := "raw COPY into customers by the schema owner"
	for r := range rounds {
		var round Round
		// The bare side first, as in the HTTP rounds.
		tenant, err := newTenant()
		if err != nil {
			return row, err
		}
		_, rows := customerRows(n, tenant)
		t0 := time.Now()
		if owner {
			err = rawCopy(ctx, ownerURL, rows)
			if refusedByRLS(err) {
				owner, baseline = false, "COPY into a temporary table and one INSERT … SELECT by the application role (tx.BulkInsert): the owner may not COPY under row-level security"
				t0 = time.Now()
			}
		}
		if !owner {
			err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
				_, err := tx.BulkInsert(ctx, "customers", importColumns, pgx.CopyFromRows(rows))
				return err
			})
		}
		if err != nil {
			return row, fmt.Errorf("copy: %w", err)
		}
		round.Bare = &Figures{ReqPerSec: float64(n) / time.Since(t0).Seconds(), P50Millis: millis(time.Since(t0)), Requests: n}

		if tenant, err = newTenant(); err != nil {
			return row, err
		}
		file, _ := customerRows(n, tenant)
		as := onboardiq.NewContextWithPrincipal(ctx, onboardiq.SystemPrincipal(tenant))
		t0 = time.Now()
		rep, err := db.ImportNow(as, file, onboardiq.ImportOptions{Kind: onboardiq.ImportCustomers, Filename: "bench.csv"}, "", nil)
		elapsed := time.Since(t0)
		if err != nil {
			return row, fmt.Errorf("import: %w", err)
		}
		if rep.Counts.Create != n {
			return row, fmt.Errorf("import created %d customers of %d", rep.Counts.Create, n)
		}
		round.App = Figures{ReqPerSec: float64(n) / elapsed.Seconds(), P50Millis: millis(elapsed), Requests: n}
		row.Rounds = append(row.Rounds, round)
		if logf != nil {
			logf("import: round %d/%d: import %.2f s, copy %.2f s", r+1, rounds, round.App.P50Millis/1000, round.Bare.P50Millis/1000)
		}
	}
	app, bare, ratio := SummariseRounds(row.Rounds)
	row.App, row.Bare, row.Ratio = &app, bare, ratio
	row.What = fmt.Sprintf("%d new customers: `onboardiq import` (ImportNow) against %s", n, baseline)
	row.Details = map[string]any{"rows": n, "baseline": baseline, "import_seconds": app.P50Millis / 1000, "copy_seconds": bare.P50Millis / 1000}
	row.Goal = ImportGoal(row)
	return row, nil
}

// rawCopy copies rows straight into customers as the schema owner.
func rawCopy(ctx context.Context, ownerURL string, rows [][]any) error {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"customers"}, importColumns, pgx.CopyFromRows(rows))
		return err
	})
}

// refusedByRLS: COPY FROM into a table under row-level security (0A000),
// or no right to the table at all (42501).
func refusedByRLS(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "0A000" || pgErr.Code == "42501")
}
