package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/bench"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// BenchmarkScan times the delay scan (ScanAll, as `onboardiq scan --once`
// runs it, 4 tenants at a time) over the bench's data: 20 tenants of 100
// projects, 5 tasks each, a tenth overdue and a tenth at risk
// (internal/bench). "first" finds everything new (what the scans wrote is
// reset before each iteration, untimed); "second" scans again at the same
// moment and finds nothing changed. It reports projects/s; `onboardiq bench
// scan` measures the same at scale.
func BenchmarkScan(b *testing.B) {
	ctx := context.Background()
	d := testdb.New(b)
	o := bench.ScanOptions{Projects: 2000, Tenants: 20, TasksPerProject: 5, GenerateWorkers: 2}
	data, err := bench.OpenScanData(ctx, d.OwnerURL, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(data.Close)
	if _, err := data.Generate(ctx); err != nil {
		b.Fatal(err)
	}
	if err := data.Analyze(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	scan := func(b *testing.B) (written int64) {
		err := d.App.ScanAll(ctx, now, 4, func(r *postgres.ScanResult) error {
			written += r.Written
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return written
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if err := data.Reset(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if scan(b) == 0 {
				b.Fatal("the first scan wrote nothing")
			}
		}
		b.ReportMetric(float64(o.Projects*b.N)/b.Elapsed().Seconds(), "projects/s")
	})
	b.Run("second", func(b *testing.B) {
		scan(b)
		for b.Loop() {
			if n := scan(b); n != 0 {
				b.Fatalf("a scan with nothing changed wrote %d rows", n)
			}
		}
		b.ReportMetric(float64(o.Projects*b.N)/b.Elapsed().Seconds(), "projects/s")
	})
}
