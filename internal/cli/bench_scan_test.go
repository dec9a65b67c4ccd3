package cli_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestBenchScan: bench scan generates its tenants as the schema owner
// (DATABASE_URL), scans twice as the application role, reports the second
// run writing nothing, and removes its tenants; bad sizes are refused;
// --cpuprofile writes the run's CPU profile.
func TestBenchScan(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	if r := runCLI(t, ctx, appEnv(d), nil, "bench", "scan", "--projects", "1", "--tenants", "2"); r.code != 2 || !strings.Contains(r.stderr, "--projects") {
		t.Errorf("fewer projects than tenants: exit %d %q, want a usage error", r.code, r.stderr)
	}
	profile := filepath.Join(t.TempDir(), "cpu.pprof")
	r := runCLI(t, ctx, appEnv(d), nil, "bench", "scan", "--projects", "100", "--tenants", "2", "--parallel", "2", "--json", "--cpuprofile", profile)
	var rep struct {
		Projects       int `json:"projects"`
		TenantsScanned int `json:"tenants_scanned"`
		First          struct {
			RowsWritten   int64 `json:"rows_written"`
			Notifications int   `json:"notifications"`
		} `json:"first_run"`
		SecondRun struct {
			RowsWritten   int64 `json:"rows_written"`
			Notifications int   `json:"notifications"`
		} `json:"second_run"`
		PeakHeap uint64 `json:"peak_heap_bytes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); r.code != 0 || err != nil {
		t.Fatalf("bench scan: exit %d, %q %s (%v)", r.code, r.stdout, r.stderr, err)
	}
	if rep.Projects != 100 || rep.TenantsScanned != 2 || rep.First.Notifications == 0 || rep.First.RowsWritten == 0 ||
		rep.SecondRun.RowsWritten != 0 || rep.SecondRun.Notifications != 0 || rep.PeakHeap == 0 {
		t.Errorf("bench scan reported %s", r.stdout)
	}
	// --cpuprofile wrote a whole profile: pprof's gzip-compressed protobuf.
	if f, err := os.Open(profile); err != nil {
		t.Errorf("--cpuprofile: %v", err)
	} else {
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("--cpuprofile wrote no gzip stream: %v", err)
		}
		if n, err := io.Copy(io.Discard, z); err != nil || n == 0 {
			t.Errorf("--cpuprofile: %d bytes of profile (%v)", n, err)
		}
	}
	if ids, err := d.App.AllTenantIDs(ctx); err != nil || len(ids) != 0 {
		t.Errorf("%d tenants left after the bench (%v)", len(ids), err)
	}
}
