package cli

import (
	"io"
	"os"

	"github.com/spf13/cobra"
)

// tenantExportCmd writes a tenant's whole workspace as one JSON archive,
// as GET /api/v1/export does for its admins (docs/import.md, "Export").
func (a *app) tenantExportCmd() *cobra.Command {
	var slug, output string
	c := &cobra.Command{
		Use:   "export",
		Short: "Write a tenant's whole workspace as one JSON archive",
		Long: `export writes every row of every table of the tenant's workspace, from one
consistent snapshot, as one JSON document — for a backup, or for a customer
leaving — to standard output or the file --output names. Sessions, one-time
links, password and token hashes, signing secrets and embeddings are left out
(docs/import.md).`,
		Example: `  onboardiq tenant export --tenant acme -o acme.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := a.asTenant(cmd.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			var w io.Writer = a.env.Stdout
			if output != "" && output != "-" {
				f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			return db.ExportWorkspace(ctx, func() io.Writer { return w })
		},
	}
	c.Flags().StringVar(&slug, "tenant", "", "the tenant's slug")
	c.Flags().StringVarP(&output, "output", "o", "", "write to this file (created with mode 0600) instead of standard output")
	return c
}
