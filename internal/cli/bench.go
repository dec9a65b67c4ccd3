package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/bench"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// benchCmd is the group of benchmarks that measure the product at a chosen
// scale against its goals (docs/performance.md); each is a subcommand.
// Without a subcommand it runs every section, as bench all does.
func (a *app) benchCmd() *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the product's speed at a chosen scale",
		Long: `bench generates synthetic tenants at a chosen scale, loads them through the
product's own code paths, and times the product's own calls at a chosen
concurrency against the goals in docs/performance.md. Run it against a
database of its own: loading a large scale takes minutes.

Without a subcommand it runs every section, as bench all does: those of
bench http (see bench http --help) and any added beside them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runBench(cmd.Context(), "bench", f, true) },
	}
	f.add(cmd)
	cmd.AddCommand(a.benchSearchCmd(), a.benchHTTPCmd(), a.benchAllCmd(), a.benchScanCmd())
	var profile string
	var stop func() error
	cmd.PersistentFlags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the whole run (go tool pprof) to this file: the server, the bare handler and the clients")
	cmd.PersistentPreRunE = func(*cobra.Command, []string) (err error) {
		stop, err = startCPUProfile(profile)
		return err
	}
	cmd.PersistentPostRunE = func(*cobra.Command, []string) error { return stop() }
	return cmd
}

// startCPUProfile profiles the process's CPU into path until stop is
// called; with no path it does nothing.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	out, err := os.Create(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("--cpuprofile: %w", err)}
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return out.Close()
	}, nil
}

// benchLogf prints a bench's progress to stderr, a line at a time: the
// benchmarks log from goroutines that load or generate data at once.
func (a *app) benchLogf() func(string, ...any) {
	var mu sync.Mutex
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(a.env.Stderr, "bench: "+format+"\n", args...)
	}
}

func (a *app) benchSearchCmd() *cobra.Command {
	var (
		opts               bench.SearchOptions
		tenants, articles  int
		seed               uint64
		sizes, mode, plan  string
		keep, load, asJSON bool
		loadedOnly         bool
	)
	c := &cobra.Command{
		Use:   "search",
		Short: "Knowledge-base search at scale: throughput, latency and recall@10",
		Long: `bench search generates --articles help-centre articles over --tenants
tenants (skewed: a few large tenants and many small ones, or even), inserts
them through the store's own path and embeds them with the configured
embedder, then, for each mode and for three groups of tenants — all of them in
turn, the median tenant by size (typical) and the largest — runs the
product's search (as the API does, the query's embedding made beforehand)
from --clients clients at once and prints searches per second, p50, p95 and
p99 latency, recall@k against an exact scan (the same search with index
scans off: its vector half the k nearest by cosine distance over all of the
tenant's vectors), the fewest
results a search returned and how many returned fewer than the exact scan
found. The goals of issue 17 are printed beside: p95 ≤ 20 ms at 8 clients,
recall@10 ≥ 0.95, every tenant given k results. --plan custom or generic
sets PostgreSQL's plan_cache_mode for the searches (auto: as the server runs).

The articles and questions are generated from --seed, the same on every run.
The tenants are named by the parameters (bench-<hash>-<n>): with --keep they
stay for the next run with the same parameters, which reuses them and
completes any a stopped run left unfinished; without --keep they are removed
at the end. --load-only loads (or completes) the data and measures nothing;
--loaded-only measures the tenants a kept run loaded completely (the groups are
drawn from them, and the report says how many) and loads nothing.`,
		Example: `  onboardiq bench search --tenants 20 --articles 2000
  onboardiq bench search --tenants 200 --articles 200000 --keep --load-only
  onboardiq bench search --tenants 200 --articles 200000 --keep --mode semantic --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tenants < 1 || articles < tenants {
				return usageError{fmt.Errorf("--tenants must be at least 1 and --articles at least --tenants")}
			}
			if opts.Clients < 1 || opts.K < 1 || opts.Rounds < 1 || opts.Queries < 0 || opts.RecallQueries < 0 || opts.LoadWorkers < 1 {
				return usageError{fmt.Errorf("--clients, --k, --rounds and --load-workers must be at least 1, --queries and --recall-queries at least 0")}
			}
			if opts.Queries == 0 && opts.Duration <= 0 {
				return usageError{fmt.Errorf("--duration must be positive unless --queries is given")}
			}
			if sizes != "skewed" && sizes != "even" {
				return usageError{fmt.Errorf("--sizes must be skewed or even")}
			}
			switch mode {
			case "all":
				opts.Modes = []onboardiq.SearchMode{onboardiq.SearchKeyword, onboardiq.SearchSemantic, onboardiq.SearchHybrid}
			case string(onboardiq.SearchKeyword), string(onboardiq.SearchSemantic), string(onboardiq.SearchHybrid):
				opts.Modes = []onboardiq.SearchMode{onboardiq.SearchMode(mode)}
			default:
				return usageError{fmt.Errorf("--mode must be keyword, semantic, hybrid or all")}
			}
			if plan != "auto" && plan != "custom" && plan != "generic" {
				return usageError{fmt.Errorf("--plan must be auto, custom or generic")}
			}
			opts.Data = bench.DataSet{Corpus: bench.Corpus{Seed: seed}, Tenants: tenants, Articles: articles, Skewed: sizes == "skewed"}
			opts.Logf = a.benchLogf()
			if load && loadedOnly {
				return usageError{fmt.Errorf("--load-only and --loaded-only exclude each other")}
			}
			return a.runBenchSearch(cmd.Context(), opts, plan, keep || loadedOnly, load, loadedOnly, asJSON)
		},
	}
	f := c.Flags()
	f.IntVar(&tenants, "tenants", 200, "how many tenants")
	f.IntVar(&articles, "articles", 200000, "how many articles over all tenants")
	f.StringVar(&sizes, "sizes", "skewed", "tenant sizes: skewed (tenant i in proportion to 1/(i+1)^0.8) or even")
	f.Uint64Var(&seed, "seed", 1, "seed of the generated articles and questions")
	f.StringVar(&mode, "mode", "all", "search mode: keyword, semantic, hybrid or all")
	f.IntVar(&opts.Clients, "clients", 8, "searches at once")
	f.IntVar(&opts.K, "k", 10, "results per search (the limit; recall is measured at k)")
	f.IntVar(&opts.Queries, "queries", 0, "searches per measurement (0: run for --duration)")
	f.DurationVar(&opts.Duration, "duration", 3*time.Second, "how long each measurement runs, when --queries is 0")
	f.IntVar(&opts.Rounds, "rounds", 3, "measurements of each mode and group, interleaved")
	f.IntVar(&opts.RecallQueries, "recall-queries", 100, "searches per group checked against the exact scan (for all tenants: at least one each)")
	f.IntVar(&opts.LoadWorkers, "load-workers", 2, "tenants loaded at once")
	f.StringVar(&plan, "plan", "auto", "how PostgreSQL plans the searches' prepared statements: auto (as the server runs), custom or generic (plan_cache_mode)")
	f.BoolVar(&keep, "keep", false, "keep the generated tenants for the next run with the same parameters")
	f.BoolVar(&load, "load-only", false, "load or complete the data, measure nothing (implies --keep)")
	f.BoolVar(&loadedOnly, "loaded-only", false, "measure only the tenants a kept run loaded completely, load nothing (implies --keep)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) runBenchSearch(ctx context.Context, opts bench.SearchOptions, plan string, keep, loadOnly, loadedOnly, asJSON bool) (err error) {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	// The pool must let every client search at once: the figures are the
	// search's, not a wait for a connection.
	if cfg.DBMaxConns < opts.Clients+1 {
		c := *cfg
		c.DBMaxConns = opts.Clients + 1
		a.cfg = &c
	}
	appURL, err := cfg.AppURL()
	if err != nil {
		return err
	}
	// The exact scans go through a handle whose statements are planned at
	// every execution, so that the settings keeping the indexes out apply
	// (a prepared statement's cached plan would ignore them).
	exact, err := postgres.Open(ctx, withParam(a.cfg.PoolURL(appURL), "default_query_exec_mode", "exec"))
	if err != nil {
		return fmt.Errorf("%w (is the database migrated? run `onboardiq migrate`)", err)
	}
	defer exact.Close()
	// --plan custom or generic sets plan_cache_mode on the searches'
	// connections: what the search costs, and finds, when its statement is
	// planned for each tenant, or once for all.
	if plan != "auto" {
		c := *a.cfg
		c.AppDatabaseURL = withParam(appURL, "plan_cache_mode", "force_"+plan+"_plan")
		a.cfg = &c
	}
	db, cfg, err := a.openApp(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	e, err := ai.NewEmbedder(cfg.AIOptions())
	if err != nil {
		return err
	}

	var tenants []bench.Tenant
	var stats bench.LoadStats
	if loadedOnly {
		tenants, err = bench.Loaded(ctx, db, e, opts.Data)
		if err != nil {
			return err
		}
		stats.Reused = len(tenants)
		opts.Logf("%d of the %d tenants are loaded completely: measuring those", len(tenants), opts.Data.Tenants)
	} else {
		tenants, stats, err = bench.Load(ctx, db, e, opts.Data, opts.LoadWorkers, opts.Logf)
	}
	if !keep && !loadOnly {
		defer func() {
			n, rerr := bench.Remove(context.WithoutCancel(ctx), db, opts.Data)
			opts.Logf("removed %d tenants", n)
			if err == nil && rerr != nil {
				err = rerr
			}
		}()
	}
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	opts.Logf("data ready: %d tenants (%d reused), %d articles inserted and %d vectors embedded in %.1f s", len(tenants), stats.Reused, stats.Inserted, stats.Embedded, stats.Seconds)
	if loadOnly {
		return nil
	}
	results, err := bench.Search(ctx, db, exact, e, tenants, opts)
	if err != nil {
		return err
	}
	sizes := bench.Sizes(opts.Data.Articles, opts.Data.Tenants, opts.Data.Skewed)
	report := bench.SearchReport{Embedder: e.Model(), Tenants: opts.Data.Tenants, Measured: len(tenants), Articles: opts.Data.Articles,
		Sizes: map[bool]string{true: "skewed", false: "even"}[opts.Data.Skewed], Largest: sizes[0], Typical: sizes[len(sizes)/2],
		Plan: plan, Clients: opts.Clients, K: opts.K, Seed: opts.Data.Corpus.Seed, Rounds: opts.Rounds, Load: stats,
		Goals:   map[string]any{"p95_ms": bench.GoalP95Millis, "clients": bench.GoalClients, "recall_at_10": bench.GoalRecall, "short": 0},
		Results: results}
	if asJSON {
		return a.printJSON(report)
	}
	fmt.Fprintf(a.env.Stdout, "%d tenants (%s: largest %d articles, typical %d), %d articles, embedder %s, k %d, %d rounds, %s plans\n",
		report.Tenants, report.Sizes, report.Largest, report.Typical, report.Articles, report.Embedder, report.K, report.Rounds, report.Plan)
	if report.Measured < report.Tenants {
		fmt.Fprintf(a.env.Stdout, "measured: the %d tenants loaded completely (the groups drawn from them)\n", report.Measured)
	}
	w := tabwriter.NewWriter(a.env.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "MODE\tTENANTS\tARTICLES\tCLIENTS\tREQ/S\tP50 MS\tP95 MS\tP99 MS\tRECALL@%d\tMIN RESULTS\tSHORT\tGOALS\t\n", opts.K)
	for _, r := range results {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.3f\t%d\t%d\t%s\t\n", r.Mode, groupLabel(r), r.Articles, r.Clients,
			r.ReqPerSec, r.P50Millis, r.P95Millis, r.P99Millis, r.RecallAt10, r.MinResults, r.Short, map[bool]string{true: "met", false: "missed"}[r.MeetsGoals])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.env.Stdout, "goals: p95 ≤ %.0f ms at %d clients, recall@10 ≥ %.2f, no search short of the exact scan's results\n",
		bench.GoalP95Millis, bench.GoalClients, bench.GoalRecall)
	return err
}

// groupLabel is the TENANTS column: how many, and which group.
func groupLabel(r bench.SearchResult) string {
	if r.Group == "all" {
		return fmt.Sprintf("%d (all)", r.Tenants)
	}
	return fmt.Sprintf("1 (%s)", r.Group)
}

// withParam adds a connection parameter to a URL or key=value connection
// string, unless it is set already.
func withParam(dsn, key, value string) string {
	if strings.Contains(dsn, key) {
		return dsn
	}
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}
