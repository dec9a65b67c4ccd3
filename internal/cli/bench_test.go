package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/bench"
	"github.com/onboardiq/onboardiq/internal/cli"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// runAsCLI, set in a child's environment, makes this test binary the
// onboardiq command: bench's serve rows start the binary they run in (a
// test's, here) as `onboardiq serve`.
const runAsCLI = "CLI_TEST_RUN_AS_ONBOARDIQ"

func TestMain(m *testing.M) {
	if os.Getenv(runAsCLI) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], cli.Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr})
		stop()
		os.Exit(code)
	}
	// Children (and only they: this process has passed the check)
	// inherit it.
	os.Setenv(runAsCLI, "1")
	// A section added as the delay scan's is (bench.Sections), which
	// reports what it was given.
	bench.Sections = append(bench.Sections, bench.Section{Name: "probe", Run: func(ctx context.Context, env bench.SectionEnv) ([]bench.Row, error) {
		v := float64(env.Rounds)
		ok := env.DB != nil && env.OwnerURL != "" && env.Scale.Name == "small" && env.Duration > 0 && env.Logf != nil
		return []bench.Row{{Section: "probe", Name: fmt.Sprintf("probe given all: %t", ok), Unit: "rounds", Value: &v,
			Goal: &bench.Goal{Text: "a probe's goal", Status: bench.StatusMet}}}, nil
	}})
	os.Exit(m.Run())
}

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

	// --loaded-only measures what is loaded: a tenant missing an article
	// is left out, and nothing is loaded.
	id2, err := d.App.TenantIDBySlug(ctx, ds.Slug(2))
	if err != nil {
		t.Fatal(err)
	}
	err = d.App.InTenant(ctx, id2, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE kb_passages SET embedding_model = NULL WHERE tenant_id = $1
    AND passage_id = (SELECT passage_id FROM kb_passages WHERE tenant_id = $1 LIMIT 1)`, id2)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	loaded := runCLI(t, ctx, env, nil, append(args, "--loaded-only", "--mode", "keyword", "--json")...)
	if loaded.code != 0 {
		t.Fatalf("loaded-only: %d %s", loaded.code, loaded.stderr)
	}
	var lr bench.SearchReport
	if err := json.Unmarshal([]byte(loaded.stdout), &lr); err != nil {
		t.Fatalf("json: %v\n%s", err, loaded.stdout)
	}
	if lr.Measured != 2 || lr.Tenants != 3 || lr.Load.Inserted != 0 || lr.Load.Embedded != 0 || len(lr.Results) != 3 || lr.Results[0].Tenants != 2 ||
		!strings.Contains(loaded.stderr, "2 of the 3 tenants are loaded completely") {
		t.Fatalf("loaded-only: %+v\n%s", lr, loaded.stderr)
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

// benchRows are the rows of bench http, in order.
var benchRows = []string{"point read", "point read, latency", "project list", "task list", "dashboard", "staff project page",
	"portal project page", "assistant ask",
	"KB search keyword, small tenant", "KB search semantic, small tenant", "KB search hybrid, small tenant",
	"KB search keyword, large tenant", "KB search semantic, large tenant", "KB search hybrid, large tenant",
	"CSV import vs COPY", "event fan-out", "idle RSS", "start-up"}

// TestBenchHTTP runs `bench http --scale small` with tiny durations
// against a real database: every row is there, measured (requests, rows
// or events per second, or a value), the rows with a bare counterpart with
// their ratios; the goals of issue 18 are checked beside their rows; the
// report names the machine; the run's tenants are removed without --keep.
// Nothing is timed: the figures of a shared machine say nothing here.
func TestBenchHTTP(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	out := runCLI(t, ctx, appEnv(d), nil, "bench", "http", "--scale", "small", "--rounds", "1", "--duration", "100ms",
		"--recall-queries", "5", "--fanout-tasks", "5", "--idle", "100ms", "--json")
	if out.code != 0 {
		t.Fatalf("bench http: %d\n%s", out.code, out.stderr)
	}
	t.Log(out.stderr)
	var r bench.Report
	if err := json.Unmarshal([]byte(out.stdout), &r); err != nil {
		t.Fatalf("json: %v\n%s", err, out.stdout)
	}
	var names []string
	for _, row := range r.Rows {
		names = append(names, row.Name)
	}
	if strings.Join(names, "|") != strings.Join(benchRows, "|") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(benchRows, "\n"))
	}
	goals := map[string]string{}
	for _, row := range r.Rows {
		switch row.Section {
		case "http", "search", "import":
			if row.App == nil || row.Bare == nil || row.Ratio == nil || row.App.ReqPerSec <= 0 || row.Bare.ReqPerSec <= 0 ||
				row.App.P50Millis <= 0 || row.Ratio.Throughput <= 0 || row.Ratio.P50 <= 0 || len(row.Rounds) != 1 {
				t.Errorf("%s: %+v", row.Name, row)
			}
		case "fanout":
			if row.App == nil || row.App.ReqPerSec <= 0 || row.App.Requests < 10 || row.Bare != nil {
				t.Errorf("%s: %+v", row.Name, row)
			}
		case "serve":
			if row.Value == nil || *row.Value <= 0 {
				t.Errorf("%s: %+v", row.Name, row)
			}
		default:
			t.Errorf("%s: section %q", row.Name, row.Section)
		}
		if row.Section == "search" && (row.RecallAt10 == nil || *row.RecallAt10 < 0.95 || row.Clients != 8) {
			t.Errorf("%s: recall %v at %d clients", row.Name, row.RecallAt10, row.Clients)
		}
		if row.Goal != nil {
			goals[row.Name] = row.Goal.Text
		}
	}
	want := map[string]string{"point read": "≥ 0.70 of bare at 16 clients", "point read, latency": "p50 ≤ 1.3× bare at 1 client",
		"idle RSS": "≤ 60 MB", "CSV import vs COPY": "import ≤ 2× COPY's time (issue 16)"}
	for _, s := range []string{"small", "large"} {
		for _, m := range []string{"keyword", "semantic", "hybrid"} {
			want["KB search "+m+", "+s+" tenant"] = "p95 ≤ 20 ms at 8 clients, recall@10 ≥ 0.95"
		}
	}
	if diff := cmp.Diff(want, goals); diff != "" {
		t.Errorf("goals (-want +got):\n%s", diff)
	}
	if len(r.Goals) != len(want) {
		t.Errorf("the summary has %d goals", len(r.Goals))
	}
	if rss := r.Rows[16]; rss.Details["anon_mb"].(float64) <= 0 {
		t.Errorf("idle RSS without its anonymous part: %+v", rss.Details)
	}
	// The test's owner is no superuser: the COPY goes through staging.
	if base := r.Rows[14].Details["baseline"].(string); !strings.Contains(base, "tx.BulkInsert") {
		t.Errorf("baseline: %s", base)
	}
	m := r.Machine
	if m.Cores < 1 || m.GoVersion == "" || !strings.HasPrefix(m.PostgreSQL, "PostgreSQL") || len(m.LoadBefore) != 3 || len(m.LoadAfter) != 3 ||
		m.PoolSize < 1 || r.Scale != "small" || r.Data["projects"] != 40.0 || r.Settings.Embedder != "local-hash-v1" {
		t.Errorf("report: %+v %+v %+v", m, r.Data, r.Settings)
	}
	ds := bench.Scales["small"].Data
	if _, err := d.App.TenantIDBySlug(ctx, ds.Slug(0)); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("a run without --keep left its tenants: %v", err)
	}

	// The table, for one section and an added one (bench.Sections), which
	// bench all runs and bench http does not know.
	table := runCLI(t, ctx, appEnv(d), nil, "bench", "all", "--sections", "import,probe", "--rounds", "2")
	if table.code != 0 {
		t.Fatalf("table: %d\n%s", table.code, table.stderr)
	}
	var words []string
	for _, line := range strings.Split(table.stdout, "\n") {
		words = append(words, strings.Join(strings.Fields(line), " "))
	}
	text := strings.Join(words, "\n")
	for _, want := range []string{"\nROW CLIENTS UNIT APP BARE ×BARE APP P50 BARE P50 ×P50 APP P95 APP P99 RECALL@10 GOAL\n", "\nCSV import vs COPY 1 rows/s ",
		"import ≤ 2× COPY's time (issue 16): ", "load average", "\nprobe given all: true — rounds 2.0 — — — — — — — — a probe's goal: met\n",
		"\nmet probe given all: true — a probe's goal: 2.0 rounds\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("table without %q:\n%s", want, table.stdout)
		}
	}
	for _, args := range [][]string{{"http", "--scale", "huge"}, {"http", "--sections", "nope"}, {"http", "--sections", "probe"}, {"all", "--rounds", "0"}} {
		bad := runCLI(t, ctx, appEnv(d), nil, append([]string{"bench"}, args...)...)
		if bad.code != 2 {
			t.Errorf("bench %v: %d %s", args, bad.code, bad.stderr)
		}
	}
}

// TestBenchScanSection runs the delay scan's section of bench all at the
// small scale: two rows, the first run writing what it found and the
// second nothing, each with its goal scaled to the scale's projects.
func TestBenchScanSection(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	out := runCLI(t, ctx, appEnv(d), nil, "bench", "all", "--sections", "scan", "--rounds", "2", "--json")
	if out.code != 0 {
		t.Fatalf("bench all: %d\n%s", out.code, out.stderr)
	}
	var r bench.Report
	if err := json.Unmarshal([]byte(out.stdout), &r); err != nil {
		t.Fatalf("json: %v\n%s", err, out.stdout)
	}
	if len(r.Rows) != 2 || r.Rows[0].Name != "delay scan, first run" || r.Rows[1].Name != "delay scan, second run" {
		t.Fatalf("rows: %+v", r.Rows)
	}
	first, second := r.Rows[0], r.Rows[1]
	if first.Value == nil || *first.Value <= 0 || second.Value == nil || *second.Value <= 0 || first.Unit != "s" ||
		!strings.Contains(first.What, "2000 projects of 5 tasks in 20 tenants") {
		t.Fatalf("rows: %+v\n%+v", first, second)
	}
	// The first run raises the generated overdue projects' alerts; the
	// second finds nothing changed.
	if first.Details["rows_written"].(float64) == 0 || first.Details["notifications"].(float64) == 0 || second.Details["rows_written"].(float64) != 0 ||
		len(first.Details["seconds_each_round"].([]any)) != 2 {
		t.Errorf("details: %+v\n%+v", first.Details, second.Details)
	}
	if first.Goal == nil || first.Goal.Text != "≤ 0.12 s (60 s for 1000000 projects)" || second.Goal == nil ||
		second.Goal.Text != "≤ 0.02 s, nothing written (10 s for 1000000 projects)" || len(r.Goals) != 2 {
		t.Errorf("goals: %+v %+v %+v", first.Goal, second.Goal, r.Goals)
	}
	if !strings.Contains(out.stderr, "scan 2: ") {
		t.Errorf("log: %s", out.stderr)
	}
}
