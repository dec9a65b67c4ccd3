package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/csvin"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// importCmd loads a CSV file into a tenant as the console and the API do
// (docs/import.md), at once, with a progress bar on standard error.
func (a *app) importCmd() *cobra.Command {
	var (
		slug, mode     string
		dryRun, asJSON bool
		maps           []string
	)
	c := &cobra.Command{
		Use:   "import KIND FILE",
		Short: "Import customers, users, projects or tasks from a CSV file",
		Long: `import reads a CSV file (- for standard input) of KIND — customers, users,
projects or tasks — and checks every row against the tenant: the encoding and
delimiter are detected, columns are matched to fields by their headers (--map
field=Header overrides one), and every problem is listed by line and column.

With --dry-run nothing changes. Otherwise the rows are loaded in one
transaction: all or nothing (--mode all, the default: any problem stops the
import), or every good row with the bad ones reported (--mode rows). Existing
customers are matched by external id (or name), users by email; existing
projects and tasks are left alone. Staff users are invited by email; contacts
are added without an invitation. The exit status is 1 when the import was
refused.`,
		Example: `  onboardiq import customers customers.csv --tenant acme --dry-run
  onboardiq import customers customers.csv --tenant acme --map external_id="Salesforce ID"
  onboardiq import tasks tasks.csv --tenant acme --mode rows --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := onboardiq.ImportOptions{Kind: onboardiq.ImportKind(strings.ToLower(args[0])), DryRun: dryRun,
				Mode: onboardiq.ImportMode(mode), Filename: args[1]}
			var err error
			if o.Mapping, err = onboardiq.ParseImportMapping(maps); err != nil {
				return usageError{err}
			}
			if err = o.Validate(); err != nil {
				return usageError{err}
			}
			in, err := openArg(args[1])
			if err != nil {
				return err
			}
			defer in.Close()
			raw, err := io.ReadAll(io.LimitReader(in, csvin.DefaultMaxBytes+1))
			if err != nil {
				return err
			}
			ctx, db, err := a.asTenant(cmd.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			cfg, err := a.config()
			if err != nil {
				return err
			}
			var r *onboardiq.Import
			if dryRun {
				r, err = db.CheckImport(ctx, raw, o)
			} else {
				bar := &progressBar{w: a.env.Stderr}
				r, err = db.ImportNow(ctx, raw, o, cfg.BaseURL, bar.show)
				bar.end()
			}
			var refusal *postgres.ImportRefusal
			if errors.As(err, &refusal) {
				r = refusal.Report
			} else if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.env.Stdout)
				enc.SetIndent("", "  ")
				if e := enc.Encode(r); e != nil {
					return e
				}
			} else {
				printImport(a.env.Stdout, r)
			}
			if refusal != nil {
				return fmt.Errorf("%s", refusal.Reason.Message)
			}
			return nil
		},
	}
	c.Flags().StringVar(&slug, "tenant", "", "the tenant's slug")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "check every row and report, changing nothing")
	c.Flags().StringVar(&mode, "mode", "all", "all: nothing is imported when a row has a problem; rows: skip the rows with problems")
	c.Flags().StringArrayVar(&maps, "map", nil, "field=Header: the column of a field (field=#3 for the third, field= for none); repeatable")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON (as the API answers it)")
	return c
}

// printImport writes a report for the terminal.
func printImport(w io.Writer, r *onboardiq.Import) {
	verb := "imported"
	switch {
	case r.DryRun:
		verb = "would import"
	case r.Status != onboardiq.ImportDone:
		verb = "refused"
	}
	fmt.Fprintf(w, "%s: %d rows (%s, %q-separated) — %s: %d created, %d updated, %d unchanged, %d with problems\n",
		r.Filename, r.Rows, r.Encoding, r.Delimiter, verb, r.Counts.Create, r.Counts.Update, r.Counts.Same, r.Counts.Skip)
	var cols []string
	for _, f := range r.Fields {
		if h, ok := r.Mapping[f.Name]; ok {
			cols = append(cols, fmt.Sprintf("%s ← %q", f.Name, h))
		}
	}
	fmt.Fprintf(w, "columns: %s\n", strings.Join(cols, ", "))
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "no column for: %s (use --map field=Header)\n", strings.Join(r.Missing, ", "))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
}
