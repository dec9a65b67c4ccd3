package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/bench"
	"github.com/onboardiq/onboardiq/internal/config"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
)

// benchSections are the built-in sections of `bench http`, in the order
// they run; `bench all` runs bench.Sections after them.
var benchSections = []string{"http", "search", "import", "fanout", "serve"}

// benchFlags are the flags of `bench`, `bench all` and `bench http`.
type benchFlags struct {
	scale                               string
	rounds                              int
	duration, idle, drain               time.Duration
	clients, searchClients, pageClients int
	recallQueries, loadWorkers          int
	fanOutTasks                         int
	sections                            []string
	binary                              string
	keep, asJSON                        bool
}

func (f *benchFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.scale, "scale", "small", "data: small (3 tenants, 300 articles, a workspace of 20 customers and 40 projects) or large (200 tenants, 200,000 articles, 1,000 customers and 5,000 projects)")
	fl.IntVar(&f.rounds, "rounds", 3, "interleaved rounds of every row (bare, app, bare, app, …)")
	fl.DurationVar(&f.duration, "duration", 3*time.Second, "how long each row's target is driven per round")
	fl.IntVar(&f.clients, "clients", bench.GoalThroughputClients, "clients at once on the point read and the lists (the latency row: 1)")
	fl.IntVar(&f.searchClients, "search-clients", bench.GoalClients, "clients at once on the search rows")
	fl.IntVar(&f.pageClients, "page-clients", 8, "clients at once on the pages and the assistant")
	fl.IntVar(&f.recallQueries, "recall-queries", 100, "questions per search row checked against the exact scan")
	fl.IntVar(&f.loadWorkers, "load-workers", 2, "tenants loaded at once")
	fl.StringSliceVar(&f.sections, "sections", nil, "only these sections (comma-separated): "+strings.Join(benchSections, ", ")+" and, for bench all, the added ones")
	fl.StringVar(&f.binary, "binary", "", "the onboardiq binary the serve rows start (default: this one)")
	fl.DurationVar(&f.idle, "idle", 2*time.Second, "how long serve idles after its first answer before its RSS is read")
	fl.IntVar(&f.fanOutTasks, "fanout-tasks", 0, "tasks whose status changes and back in each fan-out round (default: the scale's, 100 small, 2,500 large)")
	fl.DurationVar(&f.drain, "drain", 30*time.Minute, "how long the fan-out row waits for the queue to drain")
	fl.BoolVar(&f.keep, "keep", false, "keep the generated tenants for the next run with the same scale")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
}

const benchLong = `bench generates synthetic tenants at --scale (customers, projects from the
default template with their tasks, help-centre articles embedded by the
configured embedder), loads them through the store's own code paths, starts
the real server in this process (serve's handler, on a loopback port) and a
bare handler beside it — plain net/http and pgx over a pool of the same size,
as the same application role, running the same tenant-scoped SQL in one
transaction with a minimal token check: the practical limit — and measures
both in interleaved rounds (bare, app, bare, app, …) with keep-alive clients
presenting real API tokens and web sessions. For each row it prints req/s,
p50, p95 and p99 (medians over the rounds) and the app's ratio to bare
(throughput and p50, the medians of the rounds' ratios), with the goals of
issue 18 beside: point read ≥ 0.70 of bare at 16 clients and p50 ≤ 1.3× bare
at 1 client; search p95 ≤ 20 ms at 8 clients with recall@10 ≥ 0.95 against an
exact scan; idle RSS of serve ≤ 60 MB.

The sections: http (point read, project list, task list, dashboard, staff
and portal project pages, assistant ask), search (KB search in each mode on
a small and a large tenant, with recall@10), import (a CSV import against a
COPY of the same rows), fanout (events drained per second by the event
fan-out), serve (idle RSS and start-up time of this binary's serve, started
as a child). The tenants are named by the scale (bench-<hash>-<n>, the data
set of bench search): with --keep they stay and the next run reuses them.
docs/performance.md says what each row means.`

func (a *app) benchHTTPCmd() *cobra.Command {
	f := &benchFlags{}
	c := &cobra.Command{
		Use:   "http",
		Short: "The app against a bare handler: API reads, pages, search, import, fan-out, idle RSS",
		Long:  benchLong,
		Example: `  onboardiq bench http --scale small
  onboardiq bench http --scale large --keep --json
  onboardiq bench http --sections http --rounds 5 --duration 5s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runBench(cmd.Context(), "bench http", f, false) },
	}
	f.add(c)
	return c
}

func (a *app) benchAllCmd() *cobra.Command {
	f := &benchFlags{}
	c := &cobra.Command{
		Use:   "all",
		Short: "Every section: bench http's and the added ones (as bench without a subcommand)",
		Long:  benchLong,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runBench(cmd.Context(), "bench all", f, true) },
	}
	f.add(c)
	return c
}

// check validates the flags and returns the sections to run.
func (f *benchFlags) check(all bool) ([]string, error) {
	if _, ok := bench.Scales[f.scale]; !ok {
		return nil, fmt.Errorf("--scale must be small or large")
	}
	if f.rounds < 1 || f.duration <= 0 || f.clients < 1 || f.searchClients < 1 || f.pageClients < 1 || f.loadWorkers < 1 || f.recallQueries < 1 || f.fanOutTasks < 0 {
		return nil, fmt.Errorf("--rounds, --clients, --search-clients, --page-clients, --load-workers and --recall-queries must be at least 1, --duration positive")
	}
	known := slices.Clone(benchSections)
	if all {
		for _, s := range bench.Sections {
			known = append(known, s.Name)
		}
	}
	if len(f.sections) == 0 {
		return known, nil
	}
	for _, s := range f.sections {
		if !slices.Contains(known, s) {
			return nil, fmt.Errorf("--sections: %q is not one of %s", s, strings.Join(known, ", "))
		}
	}
	return f.sections, nil
}

// unlimited lets the assistant answer every ask of the bench: its per-user
// and per-tenant limits (ONBOARDIQ_ASSISTANT_USER_LIMIT, …) would refuse a
// benchmark's rate within a second.
var unlimited = assistant.Limits{User: onboardiq.Rate{N: 1 << 30, Window: time.Minute}, Tenant: onboardiq.Rate{N: 1 << 30, Window: time.Minute}, UserBudgetPercent: 100}

func (a *app) runBench(ctx context.Context, command string, f *benchFlags, all bool) (err error) {
	sections, err := f.check(all)
	if err != nil {
		return usageError{err}
	}
	run := func(s string) bool { return slices.Contains(sections, s) }
	logf := a.benchLogf()
	scale := bench.Scales[f.scale]
	db, cfg, err := a.openApp(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	appURL, err := cfg.AppURL()
	if err != nil {
		return err
	}
	e, err := ai.NewEmbedder(cfg.AIOptions())
	if err != nil {
		return err
	}
	// The assistant answers with the offline responder whatever is
	// configured: a benchmark's rate of asks would be a bill from a
	// model's provider, and its figures the provider's.
	chat := ai.Chat(ai.Extractive{})
	report := &bench.Report{Command: fmt.Sprintf("onboardiq %s --scale %s", command, f.scale), Scale: f.scale, Started: time.Now(),
		Machine: bench.ThisMachine(ctx, db),
		Settings: bench.Settings{Rounds: f.rounds, Seconds: f.duration.Seconds(), Clients: f.clients, SearchClients: f.searchClients,
			PageClients: f.pageClients, Embedder: e.Model()}}

	w, err := bench.LoadWorkspace(ctx, db, e, scale, f.loadWorkers, logf)
	if !f.keep {
		defer func() {
			n, rerr := bench.Remove(context.WithoutCancel(ctx), db, scale.Data)
			logf("removed %d tenants", n)
			if err == nil && rerr != nil {
				err = rerr
			}
		}()
	}
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	report.Data = w.Describe()
	logf("data ready in %.1f s: workspace %s with %d projects and %d tasks, %d articles over %d tenants", w.Stats.Seconds, w.Main.Slug, len(w.Projects), w.Tasks, scale.Data.Articles, len(w.Tenants))
	creds, err := bench.NewCredentials(ctx, db, w)
	defer func() {
		if cerr := creds.Close(context.WithoutCancel(ctx), db, w); err == nil && cerr != nil {
			err = fmt.Errorf("revoke the run's credentials: %w", cerr)
		}
	}()
	if err != nil {
		return err
	}
	// What the in-process servers log is formatted as serve's is, at its
	// level, and dropped: a line per request would bury the report.
	quiet := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: cfg.LogLevel}))

	if run("http") || run("search") {
		rows, err := a.benchHTTP(ctx, cfg, appURL, db, e, chat, quiet, w, creds, f, run("http"), run("search"), logf)
		if err != nil {
			return err
		}
		report.Rows = append(report.Rows, rows...)
	}
	if run("import") {
		row, err := bench.ImportVsCopy(ctx, db, cfg.DatabaseURL, scale, f.rounds, logf)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		report.Rows = append(report.Rows, row)
	}
	if run("fanout") {
		warn := slog.New(slog.NewTextHandler(a.env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		row, err := bench.FanOut(ctx, db, w, creds.Principals[creds.Token], bench.FanOutOptions{Jobs: jobDeps(cfg, db, e, warn),
			Workers: cfg.JobWorkers, Tasks: cmp.Or(f.fanOutTasks, scale.FanOutTasks), Emitters: 4, Rounds: f.rounds, Drain: f.drain, Logf: logf})
		if err != nil {
			return fmt.Errorf("fan-out: %w", err)
		}
		report.Rows = append(report.Rows, row)
	}
	if run("serve") {
		rows, err := a.benchServe(ctx, cfg, f, logf)
		if err != nil {
			return err
		}
		report.Rows = append(report.Rows, rows...)
	}
	for _, s := range bench.Sections {
		if !all || !run(s.Name) {
			continue
		}
		rows, err := s.Run(ctx, bench.SectionEnv{DB: db, OwnerURL: cfg.DatabaseURL, Scale: scale, Rounds: f.rounds, Duration: f.duration, Keep: f.keep, Logf: logf})
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		report.Rows = append(report.Rows, rows...)
	}
	report.Machine.LoadAfter = bench.LoadAverage()
	report.Finish(time.Now())
	if f.asJSON {
		return a.printJSON(report)
	}
	return printBench(a.env.Stdout, report)
}

// benchHTTP starts the app (serve's handler) and the bare handler on
// loopback ports, runs the HTTP rows and stops both.
func (a *app) benchHTTP(ctx context.Context, cfg *config.Config, appURL string, db *postgres.DB, e ai.Embedder, chat ai.Chat, logger *slog.Logger,
	w *bench.Workspace, creds *bench.Credentials, f *benchFlags, httpRows, searchRows bool, logf func(string, ...any)) ([]bench.Row, error) {
	// The bare handler's pool: as large as the app's, the same role.
	bareDB, err := postgres.Open(ctx, cfg.PoolURL(appURL))
	if err != nil {
		return nil, err
	}
	defer bareDB.Close()
	// The exact scans of the recall check: statements planned at each
	// execution (see bench search).
	exact, err := postgres.Open(ctx, withParam(cfg.PoolURL(appURL), "default_query_exec_mode", "exec"))
	if err != nil {
		return nil, err
	}
	defer exact.Close()

	opts := serverOptions(cfg, db, e, chat, logger, prometheus.NewRegistry())
	opts.AssistantLimits = unlimited
	// The bare handler embeds a query once too, as the server does
	// (serverOptions): like against like.
	queries := ai.NewQueryCache(e, 4096)
	bare := &bench.Bare{DB: bareDB, Embedder: queries, Creds: creds.Principals, Logger: logger,
		Assistant: &assistant.Service{DB: bareDB, Embedder: queries, Chat: chat, Logger: logger, Limits: unlimited}}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	appAddr, appDone, err := listen(sctx, server.New(opts), logger)
	if err != nil {
		return nil, err
	}
	bareAddr, bareDone, err := listen(sctx, bare.Handler(), logger)
	if err != nil {
		return nil, err
	}
	rows, err := bench.RunHTTP(ctx, bench.HTTPOptions{AppURL: "http://" + appAddr, BareURL: "http://" + bareAddr, Workspace: w, Creds: creds,
		Rounds: f.rounds, Duration: f.duration, Clients: f.clients, SearchClients: f.searchClients, PageClients: f.pageClients,
		HTTP: httpRows, Search: searchRows, Embedder: e, DB: db, Exact: exact, RecallQueries: f.recallQueries, Logf: logf})
	stop()
	return rows, errors.Join(err, <-appDone, <-bareDone)
}

// listen serves h on a loopback port as serve does (server.Run: its
// timeouts), until ctx ends.
func listen(ctx context.Context, h http.Handler, logger *slog.Logger) (string, <-chan error, error) {
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, "127.0.0.1:0", h, logger, 5*time.Second, func(a net.Addr) { addr <- a.String() })
	}()
	select {
	case a := <-addr:
		return a, done, nil
	case err := <-done:
		return "", nil, err
	}
}

// benchServe runs the serve rows: this binary (or --binary) as a child.
func (a *app) benchServe(ctx context.Context, cfg *config.Config, f *benchFlags, logf func(string, ...any)) ([]bench.Row, error) {
	if len(cfg.SecretKeys) == 0 {
		return nil, fmt.Errorf("serve: %w", errNoSecretKey)
	}
	binary := f.binary
	if binary == "" {
		var err error
		if binary, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	rows, err := bench.IdleServe(ctx, bench.ServeOptions{Binary: binary, Args: []string{"serve", "--shutdown-grace", "5s"}, Env: a.serveEnv(),
		Rounds: f.rounds, Idle: f.idle, Logf: logf})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// configVars are the variables config.Load reads (each also with _FILE).
var configVars = []string{"DATABASE_URL", "ONBOARDIQ_APP_DATABASE_URL", "ONBOARDIQ_APP_DB_PASSWORD", "ONBOARDIQ_ADDR", "ONBOARDIQ_BASE_URL",
	"ONBOARDIQ_LOG_FORMAT", "ONBOARDIQ_LOG_LEVEL", "ONBOARDIQ_SMTP_URL", "ONBOARDIQ_EMBEDDER", "ONBOARDIQ_EMBEDDING_MODEL", "ONBOARDIQ_LLM",
	"ONBOARDIQ_LLM_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE", "ONBOARDIQ_STATEMENT_TIMEOUT",
	"ONBOARDIQ_AI_TIMEOUT", "ONBOARDIQ_JOB_WORKERS", "ONBOARDIQ_SCAN_INTERVAL", "ONBOARDIQ_EMAIL_FROM", "ONBOARDIQ_DEV_MAILBOX",
	"ONBOARDIQ_DB_MAX_CONNS", "ONBOARDIQ_TRUSTED_PROXIES", "ONBOARDIQ_SECRET_KEY", "ONBOARDIQ_METRICS_ADDR", "ONBOARDIQ_METRICS_TOKEN",
	"ONBOARDIQ_ASSISTANT_USER_LIMIT", "ONBOARDIQ_ASSISTANT_TENANT_LIMIT", "ONBOARDIQ_AI_USER_BUDGET_PERCENT", "ONBOARDIQ_INBOUND_DOMAIN",
	"ONBOARDIQ_INBOUND_SMTP_ADDR", "ONBOARDIQ_INBOUND_WEBHOOK_SECRET"}

// serveEnv is the child serve's environment: this process's, with the
// configuration the command was given (which tests pass as a map) in place
// of any the process has, listening on loopback ports the system picks (no
// inbound SMTP listener) and logging JSON at info level, so that its
// address can be read.
func (a *app) serveEnv() []string {
	set := map[string]bool{}
	for _, v := range configVars {
		set[v], set[v+"_FILE"] = true, true
	}
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !set[name] {
			env = append(env, kv)
		}
	}
	for name := range set {
		if v := a.env.Getenv(name); v != "" {
			env = append(env, name+"="+v)
		}
	}
	slices.Sort(env)
	override := map[string]string{"ONBOARDIQ_ADDR": "127.0.0.1:0", "ONBOARDIQ_LOG_FORMAT": "json", "ONBOARDIQ_LOG_LEVEL": "info",
		"ONBOARDIQ_INBOUND_SMTP_ADDR": ""}
	if m := a.env.Getenv("ONBOARDIQ_METRICS_ADDR"); m != "off" {
		override["ONBOARDIQ_METRICS_ADDR"] = "127.0.0.1:0"
	}
	env = slices.DeleteFunc(env, func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		_, ok := override[name]
		return ok
	})
	for k, v := range override {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// printBench writes a report as a table, its goals below.
func printBench(out io.Writer, r *bench.Report) error {
	m := r.Machine
	fmt.Fprintf(out, "%s: %v\n", r.Command, r.Data["workspace"])
	fmt.Fprintf(out, "data: %v tenants, %v articles; workspace: %v customers, %v projects, %v tasks, %v articles; small tenant: %v articles\n",
		r.Data["tenants"], r.Data["articles"], r.Data["customers"], r.Data["projects"], r.Data["tasks"], r.Data["workspace_articles"], r.Data["small_tenant_articles"])
	fmt.Fprintf(out, "machine: %d cores (%s), %s, %s; pool %d; load average %v → %v\n", m.Cores, m.CPU, m.GoVersion, firstWords(m.PostgreSQL, 2), m.PoolSize, m.LoadBefore, m.LoadAfter)
	fmt.Fprintf(out, "%d rounds of %s per row and target, medians; ratios are the app's over bare, the medians of the rounds' ratios\n\n", r.Settings.Rounds, time.Duration(r.Settings.Seconds*float64(time.Second)))
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tCLIENTS\tUNIT\tAPP\tBARE\t×BARE\tAPP P50\tBARE P50\t×P50\tAPP P95\tAPP P99\tRECALL@10\tGOAL")
	num := func(v float64, format string) string {
		if v == 0 {
			return "—"
		}
		return fmt.Sprintf(format, v)
	}
	for _, row := range r.Rows {
		cells := []string{row.Name, num(float64(row.Clients), "%.0f"), row.Unit}
		switch {
		case row.Value != nil:
			cells = append(cells, fmt.Sprintf("%.1f", *row.Value), "—", "—", "—", "—", "—", "—", "—")
		case row.App != nil:
			bare, ratio, bp50, rp50 := "—", "—", "—", "—"
			if row.Bare != nil {
				bare, bp50 = num(row.Bare.ReqPerSec, "%.0f"), num(row.Bare.P50Millis, "%.2f")
			}
			if row.Ratio != nil {
				ratio, rp50 = fmt.Sprintf("%.2f", row.Ratio.Throughput), fmt.Sprintf("%.2f", row.Ratio.P50)
			}
			cells = append(cells, num(row.App.ReqPerSec, "%.0f"), bare, ratio, num(row.App.P50Millis, "%.2f"), bp50, rp50,
				num(row.App.P95Millis, "%.2f"), num(row.App.P99Millis, "%.2f"))
		}
		recall, goal := "—", ""
		if row.RecallAt10 != nil {
			recall = fmt.Sprintf("%.3f", *row.RecallAt10)
		}
		if row.Goal != nil {
			goal = row.Goal.Text + ": " + row.Goal.Status
		}
		fmt.Fprintln(tw, strings.Join(append(cells, recall, goal), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\ngoals of issue 18:")
	for _, g := range r.Goals {
		fmt.Fprintf(out, "  %-8s %s — %s: %s\n", g.Status, g.Row, g.Goal, g.Measured)
	}
	_, err := fmt.Fprintf(out, "took %.0f s\n", r.Seconds)
	return err
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}
