package bench

import (
	"context"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestScanBench: a small delay-scan benchmark generates its tenants as the
// schema owner, and the application's scan finds in them what the
// generator planned — a tenth of the running projects overdue, a tenth at
// risk, each alerting its people — then, five minutes later (the next
// periodic scan), nothing new and nothing to write. Kept, a second
// benchmark reuses the tenants and resets what the first one's scans wrote,
// so its first scan alerts again; not kept, the tenants and their jobs are
// gone afterwards.
func TestScanBench(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	o := ScanOptions{Projects: 200, Tenants: 2, TasksPerProject: 5, Parallel: 2, GenerateWorkers: 2, Analyze: true, Keep: true}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := d.App.Pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for round := range 2 {
		o.Keep = round == 0
		rep, err := Scan(ctx, d.App, d.OwnerURL, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %+v", round, rep)
		if rep.Reused != (round == 1) || rep.TenantsScanned != 2 {
			t.Errorf("round %d: reused %v, %d tenants scanned; want reused only in the second, 2 tenants", round, rep.Reused, rep.TenantsScanned)
		}
		// Of each tenant's 100 projects (k = 37p mod 100 takes every value
		// once): 10 overdue, 10 at risk.
		if rep.First.Overdue != 20 || rep.First.AtRisk != 20 {
			t.Errorf("round %d: %d overdue, %d at risk; want 20 and 20", round, rep.First.Overdue, rep.First.AtRisk)
		}
		// Overdue and at risk to two sales leaders and a CSM; the
		// escalation (8 of each tenant's 10 overdue projects are 3 or more
		// days late) to the admin.
		if want := 2 * (10*3 + 10*3 + 8); rep.First.Notifications != want {
			t.Errorf("round %d: first scan made %d notifications, want %d", round, rep.First.Notifications, want)
		}
		if rep.First.RowsWritten == 0 || rep.Second.RowsWritten != 0 || rep.Second.Notifications != 0 {
			t.Errorf("round %d: first scan wrote %d rows; second %d rows, %d notifications; want some, then none",
				round, rep.First.RowsWritten, rep.Second.RowsWritten, rep.Second.Notifications)
		}
		if rep.Second.Statements >= rep.First.Statements || rep.First.Statements > 2*20 {
			t.Errorf("round %d: %d statements, then %d; want at most 20 a tenant, fewer the second time", round, rep.First.Statements, rep.Second.Statements)
		}
	}
	if n := count(`SELECT count(*) FROM all_tenant_ids()`); n != 0 {
		t.Errorf("%d tenants left after a run without --keep", n)
	}
	if n := count(`SELECT count(*) FROM river_job WHERE kind IN ('email', 'event')`); n != 0 {
		t.Errorf("%d of the scans' jobs left", n)
	}
}

// TestScanMoment: the two scans fall on one UTC day, so that the second
// finds no forecast's day moved by the date alone. (The cases are UTC
// times; the server's zone is checked the same way.)
func TestScanMoment(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ now, want string }{
		{"2026-11-28T12:00:00Z", "2026-11-28T12:00:00Z"},
		{"2026-11-28T23:54:59Z", "2026-11-28T23:54:59Z"},
		{"2026-11-28T23:55:00Z", "2026-11-28T23:50:00Z"},
		{"2026-11-28T23:59:30Z", "2026-11-28T23:54:30Z"},
		{"2026-11-29T00:00:00Z", "2026-11-29T00:00:00Z"},
		{"2026-11-29T01:58:00+02:00", "2026-11-29T01:53:00+02:00"}, // 23:58 UTC
	} {
		if got := scanMoment(at(c.now)); !got.Equal(at(c.want)) {
			t.Errorf("scanMoment(%s) = %s, want %s", c.now, got.Format(time.RFC3339), c.want)
		}
	}
}
