package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/bench"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestBenchSearch runs `bench search` at a tiny scale: the table has a row
// per mode and group with the goals beside, the JSON the same figures; on
// data this small the search and the exact scan agree (recall 1, no search
// short); --keep keeps the tenants for the next run, which reuses them, and
// a run without it removes them.
func TestBenchSearch(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	env := appEnv(d)
	args := []string{"bench", "search", "--tenants", "3", "--articles", "90", "--clients", "2", "--queries", "20", "--rounds", "1", "--recall-queries", "6"}

	table := runCLI(t, ctx, env, nil, append(args, "--keep")...)
	if table.code != 0 {
		t.Fatalf("table: %d %s", table.code, table.stderr)
	}
	lines := strings.Split(strings.TrimSpace(table.stdout), "\n")
	if len(lines) != 12 || !strings.Contains(lines[0], "3 tenants (skewed") || !strings.Contains(lines[0], "90 articles") || !strings.HasSuffix(lines[0], "auto plans") ||
		strings.Join(strings.Fields(lines[1]), " ") != "MODE TENANTS ARTICLES CLIENTS REQ/S P50 MS P95 MS P99 MS RECALL@10 MIN RESULTS SHORT GOALS" ||
		!strings.HasPrefix(lines[11], "goals: p95 ≤ 20 ms at 8 clients, recall@10 ≥ 0.95") {
		t.Fatalf("table:\n%s", table.stdout)
	}
	for i, want := range []string{"keyword 3 (all) 90", "keyword 1 (typical)", "keyword 1 (largest)", "semantic 3 (all)", "semantic 1 (typical)",
		"semantic 1 (largest)", "hybrid 3 (all)", "hybrid 1 (typical)", "hybrid 1 (largest)"} {
		row := strings.Join(strings.Fields(lines[2+i]), " ")
		if !strings.HasPrefix(row, want) || !strings.Contains(row, " 1.000 ") {
			t.Errorf("row %d: %q, want %q… with recall 1.000", i, row, want)
		}
	}
	if !strings.Contains(table.stderr, "0 reused") {
		t.Errorf("first run reused tenants: %s", table.stderr)
	}
	ds := bench.DataSet{Corpus: bench.Corpus{Seed: 1}, Tenants: 3, Articles: 90, Skewed: true}
	if _, err := d.App.TenantIDBySlug(ctx, ds.Slug(2)); err != nil {
		t.Fatalf("--keep did not keep the tenants: %v", err)
	}

	out := runCLI(t, ctx, env, nil, append(args, "--json", "--mode", "semantic", "--plan", "custom")...)
	if out.code != 0 {
		t.Fatalf("json: %d %s", out.code, out.stderr)
	}
	var r bench.SearchReport
	if err := json.Unmarshal([]byte(out.stdout), &r); err != nil {
		t.Fatalf("json: %v\n%s", err, out.stdout)
	}
	sizes := bench.Sizes(90, 3, true)
	if r.Embedder != "local-hash-v1" || r.Plan != "custom" || r.Tenants != 3 || r.Articles != 90 || r.Largest != sizes[0] || r.Typical != sizes[1] ||
		r.Load.Reused != 3 || r.Load.Inserted != 0 || len(r.Results) != 3 || r.Goals["p95_ms"] != 20.0 || r.Goals["recall_at_10"] != 0.95 {
		t.Fatalf("json: %+v", r)
	}
	for _, res := range r.Results {
		if res.Mode != "semantic" || res.Clients != 2 || res.Searches != 20 || res.RecallAt10 != 1 || res.Short != 0 || res.RecallQueries < 3 ||
			res.P50Millis <= 0 || res.P50Millis > res.P95Millis || res.P95Millis > res.P99Millis || res.ReqPerSec <= 0 {
			t.Errorf("json result: %+v", res)
		}
		// Two clients are not the goal's eight: recall alone decides.
		if !res.MeetsGoals {
			t.Errorf("recall 1 and no search short, yet the goals are missed: %+v", res)
		}
	}
	if !strings.Contains(out.stderr, "removed 3 tenants") {
		t.Errorf("a run without --keep left the tenants: %s", out.stderr)
	}
	if _, err := d.App.TenantIDBySlug(ctx, ds.Slug(0)); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("tenant left: %v", err)
	}

	for _, flags := range [][]string{{"--mode", "fuzzy"}, {"--plan", "sometimes"}, {"--sizes", "random"}, {"--clients", "0"}} {
		bad := runCLI(t, ctx, env, nil, append([]string{"bench", "search"}, flags...)...)
		if bad.code != 2 || !strings.Contains(bad.stderr, strings.TrimPrefix(flags[0], "--")) {
			t.Errorf("%v: %d %s", flags, bad.code, bad.stderr)
		}
	}
}
