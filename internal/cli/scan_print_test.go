package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestScanOncePrintsAsItGoes: without --json, scan --once prints each
// tenant's notifications as a table as it finishes and the totals last;
// --parallel takes a count of tenants at a time, and refuses less than one.
func TestScanOncePrintsAsItGoes(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	seedDemo(t, d)
	if r := runCLI(t, ctx, appEnv(d), nil, "scan", "--once", "--parallel", "0"); r.code != 2 || !strings.Contains(r.stderr, "--parallel") {
		t.Errorf("--parallel 0: exit %d %q, want a usage error", r.code, r.stderr)
	}
	r := runCLI(t, ctx, appEnv(d), nil, "scan", "--once", "--parallel", "2")
	if r.code != 0 {
		t.Fatalf("scan --once: exit %d %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "KIND") ||
		lines[4] != "Scanned 1 tenant(s): 1 overdue and 0 at-risk project(s); 3 new notification(s)." {
		t.Fatalf("scan --once printed:\n%s\nwant a header, the 3 notifications, the totals", r.stdout)
	}
	for _, l := range lines[1:4] {
		if !strings.Contains(l, "Initech Health onboarding") || !strings.Contains(l, "immediate") {
			t.Errorf("notification line %q: want Initech's project, emailed at once", l)
		}
	}
	r = runCLI(t, ctx, appEnv(d), nil, "scan", "--once")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "Scanned 1 tenant(s): 1 overdue and 0 at-risk project(s); 0 new notification(s)." {
		t.Errorf("second scan --once: exit %d, printed %q", r.code, r.stdout)
	}
}
