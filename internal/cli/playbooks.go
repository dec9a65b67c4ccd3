package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/playbook"
)

// playbooksCmd: playbooks as code at the command line — the same files
// as the console's and the API's export and import (docs/playbooks.md).
func (a *app) playbooksCmd() *cobra.Command {
	c := &cobra.Command{Use: "playbooks", Short: "Automation playbooks as code"}
	var (
		slug, format, output string
		asJSON               bool
	)
	export := &cobra.Command{
		Use:   "export",
		Short: "Write a tenant's playbooks as YAML or JSON",
		Long: `export writes every playbook of the tenant — its definition, never ids,
signing secrets or runs — as a versioned YAML (default) or JSON file, to
standard output or the file --output names. Importing it into another tenant
and exporting again gives the same bytes.`,
		Example: `  onboardiq playbooks export --tenant acme > playbooks.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := a.asTenant(cmd.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			b, err := db.ExportPlaybooks(ctx, strings.ToLower(format))
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = a.env.Stdout.Write(b)
				return err
			}
			return os.WriteFile(output, b, 0o644)
		},
	}
	export.Flags().StringVar(&slug, "tenant", "", "the tenant's slug")
	export.Flags().StringVar(&format, "format", playbook.YAML, "yaml or json")
	export.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")

	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Add or replace a tenant's playbooks from a YAML or JSON file",
		Long: `import reads playbooks as code (- for standard input; the format is detected,
or --format says it): a playbook named like one of the tenant's replaces its
definition, the others are added. All or nothing: a bad file changes nothing
and the error names the playbook and field (playbooks[2].trigger.event).`,
		Example: `  onboardiq playbooks import playbooks.yaml --tenant acme`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := openArg(args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			data, err := io.ReadAll(io.LimitReader(in, 1<<20+1))
			if err != nil {
				return err
			}
			if len(data) > 1<<20 {
				return usageError{fmt.Errorf("%s: larger than 1 MB", args[0])}
			}
			ctx, db, err := a.asTenant(cmd.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := db.ImportPlaybooks(ctx, data, strings.ToLower(format))
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(a.env.Stdout).Encode(res)
			}
			fmt.Fprintf(a.env.Stdout, "%d created, %d updated\n", res.Created, res.Updated)
			for _, p := range res.Playbooks {
				state := "disabled"
				if p.Enabled {
					state = "enabled"
				}
				if len(p.NeedsSetup) > 0 {
					state += ", needs " + strings.Join(p.NeedsSetup, ", ")
				}
				fmt.Fprintf(a.env.Stdout, "  %s (%s)\n", p.Name, state)
			}
			return nil
		},
	}
	imp.Flags().StringVar(&slug, "tenant", "", "the tenant's slug")
	imp.Flags().StringVar(&format, "format", "", "yaml or json (default: detected)")
	imp.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	c.AddCommand(export, imp)
	return c
}
