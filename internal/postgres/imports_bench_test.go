package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// BenchmarkImportCustomers imports 100,000 new customers (name, external
// id, segment, ARR, renewal date) from one CSV file into a fresh workspace
// per run — reading, checking every row against the workspace, COPY into
// staging, INSERT … SELECT, and an event and its fan-out job per customer
// — beside a raw COPY of the same rows straight into the customers table
// (no checks, no events) by a superuser: PostgreSQL refuses COPY into a
// table under row-level security, which is why the import copies into a
// staging table first. docs/performance.md quotes the ratio; run with
// -benchtime=3x.
func BenchmarkImportCustomers(b *testing.B) {
	const n = 100_000
	d := testdb.New(b)
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("name,external_id,segment,arr,renewal_date\n")
	rows := make([][]any, n)
	renewal := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&csv, "Customer %06d,C-%06d,smb,%d.50,2027-03-01\n", i, i, 1000+i)
		arr := float64(1000+i) + 0.5
		rows[i] = []any{fmt.Sprintf("Customer %06d", i), fmt.Sprintf("C-%06d", i), "smb", arr, renewal}
	}
	file := []byte(csv.String())
	b.SetBytes(int64(len(file)))
	workspace := func(b *testing.B, _ int, kind string) uuid.UUID {
		// A slug of its own each time: b.Run calls its function more than
		// once (to size b.N), on the same database.
		slug := kind + "-" + uuid.NewString()[:8]
		res, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Bench", Slug: slug, AdminEmail: "a@bench.test", AdminName: "A"})
		if err != nil {
			b.Fatal(err)
		}
		return res.Tenant.ID
	}
	b.Run("import", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			tenant := workspace(b, i, "import")
			as := onboardiq.NewContextWithPrincipal(ctx, onboardiq.SystemPrincipal(tenant))
			b.StartTimer()
			r, err := d.App.ImportNow(as, file, onboardiq.ImportOptions{Kind: onboardiq.ImportCustomers}, "", nil)
			if err != nil || r.Counts.Create != n {
				b.Fatal(r, err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("copy", func(b *testing.B) {
		super, err := pgx.Connect(ctx, d.SuperURL)
		if err != nil {
			b.Fatal(err)
		}
		defer super.Close(ctx)
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			tenant := workspace(b, i, "copy")
			b.StartTimer()
			err := pgx.BeginFunc(ctx, super, func(tx pgx.Tx) error {
				withTenant := make([][]any, n)
				for j, r := range rows {
					withTenant[j] = append([]any{tenant}, r...)
				}
				_, err := tx.CopyFrom(ctx, pgx.Identifier{"customers"}, []string{"tenant_id", "name", "external_id", "segment", "arr", "renewal_date"},
					pgx.CopyFromRows(withTenant))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
