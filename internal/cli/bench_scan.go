package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/bench"
)

func (a *app) benchScanCmd() *cobra.Command {
	var (
		o      bench.ScanOptions
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "scan",
		Short: "The delay scan at scale: a first run and a second that finds nothing changed",
		Long: `bench scan generates --projects projects over --tenants tenants (as the
schema owner, DATABASE_URL, in set-based SQL: staff, customers, projects of
--tasks tasks each, a tenth of them overdue and a tenth at risk), then runs the
delay scan twice over the whole database as ` + "`onboardiq scan --once`" + ` does (as the
application role, --parallel tenants at a time), the second five minutes after
the first as the next periodic scan would run, and prints how long each run
took, the statements it sent, the rows it wrote and the notifications it made,
and the most Go heap in use. The second run finds nothing changed and should
write nothing. The goals of issue 18 — 1,000,000
projects over 10,000 tenants in at most 60 s, the second run in at most 10 s —
are scaled to --projects.

The scan covers every tenant of the database: run it against a database of its
own. The tenants are named by the parameters (scan-<hash>-<n>): with --keep they
stay for the next run with the same parameters, which resets what the scans
wrote and reuses them; without --keep they are removed at the end, through the
store's own tenant deletion.`,
		Example: `  onboardiq bench scan --projects 100000 --tenants 1000
  onboardiq bench scan --projects 1000000 --tenants 10000 --keep --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Tenants < 1 || o.Projects < o.Tenants || o.TasksPerProject < 1 || o.TasksPerProject > 100 {
				return usageError{fmt.Errorf("--tenants must be at least 1, --projects at least --tenants, --tasks from 1 to 100")}
			}
			if o.Parallel < 0 || o.GenerateWorkers < 1 {
				return usageError{fmt.Errorf("--parallel must be at least 1 (0: the pool's size) and --workers at least 1")}
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			// Every tenant scanned at once has its connection.
			if o.Parallel == 0 {
				o.Parallel = cfg.DBMaxConns
			}
			if cfg.DBMaxConns < o.Parallel {
				c := *cfg
				c.DBMaxConns = o.Parallel
				a.cfg = &c
			}
			db, cfg, err := a.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			o.Logf = a.benchLogf()
			rep, err := bench.Scan(cmd.Context(), db, cfg.DatabaseURL, o)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rep)
			}
			fmt.Fprintf(a.env.Stdout, "%d projects over %d tenants (%d scanned), %d tasks each, %d tenants at once, statistics %s; data %s in %.1f s\n",
				rep.Projects, rep.Tenants, rep.TenantsScanned, rep.TasksPerProject, rep.Parallel,
				map[bool]string{true: "vacuumed and analyzed", false: "as generated"}[rep.Analyzed], map[bool]string{true: "reused", false: "generated"}[rep.Reused], rep.GenerateSeconds)
			w := tabwriter.NewWriter(a.env.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(w, "RUN\tSECONDS\tPROJECTS/S\tSTATEMENTS\tROWS WRITTEN\tNOTIFICATIONS\tOVERDUE\tAT RISK\tGOAL S\t\n")
			for _, r := range []struct {
				name string
				run  bench.ScanRun
				goal float64
			}{{"first", rep.First, rep.GoalFirstSeconds}, {"second", rep.Second, rep.GoalSecondSeconds}} {
				fmt.Fprintf(w, "%s\t%.2f\t%.0f\t%d\t%d\t%d\t%d\t%d\t%.1f\t\n", r.name, r.run.Seconds, r.run.ProjectsPerSec, r.run.Statements,
					r.run.RowsWritten, r.run.Notifications, r.run.Overdue, r.run.AtRisk, r.goal)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.env.Stdout, "peak Go heap %.1f MB; load average %s; goals %s\n", float64(rep.PeakHeapBytes)/(1<<20), rep.LoadAverage,
				map[bool]string{true: "met", false: "missed"}[rep.MeetsGoals])
			return err
		},
	}
	f := c.Flags()
	f.IntVar(&o.Projects, "projects", 100000, "how many projects over all tenants")
	f.IntVar(&o.Tenants, "tenants", 1000, "how many tenants")
	f.IntVar(&o.TasksPerProject, "tasks", 5, "tasks per project")
	f.IntVar(&o.Parallel, "parallel", 0, "tenants scanned at once (0: the connection pool's size, ONBOARDIQ_DB_MAX_CONNS)")
	f.IntVar(&o.GenerateWorkers, "workers", 2, "connections generating (and removing) tenants at once")
	f.BoolVar(&o.Analyze, "analyze", true, "VACUUM (ANALYZE) the generated tables before the scans, as autovacuum would in time")
	f.BoolVar(&o.Keep, "keep", false, "keep the generated tenants for the next run with the same parameters")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
