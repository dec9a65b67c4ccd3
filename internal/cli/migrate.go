package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

func (a *app) migrateCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date and set up the application role",
		Long: `migrate connects as the schema owner (DATABASE_URL), applies OnboardIQ's
migrations and River's, and creates the application role (onboardiq_app, or
the user of ONBOARDIQ_APP_DATABASE_URL) with the grants it needs. It is safe
to run again, and concurrent runs wait for each other.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			url, err := cfg.OwnerURL()
			if err != nil {
				return err
			}
			err = postgres.Migrate(cmd.Context(), url, postgres.MigrateOptions{
				AppRole:          cfg.AppRoleName(),
				AppPassword:      cfg.AppPassword(),
				StatementTimeout: cfg.StatementTimeout,
				Logger:           a.logger(cfg),
			})
			if err != nil {
				return err
			}
			v := postgres.LatestMigration()
			if asJSON {
				return a.printJSON(map[string]any{"schema_version": v, "app_role": cfg.AppRoleName()})
			}
			_, err = fmt.Fprintf(a.env.Stdout, "schema at version %d; application role %s ready\n", v, cfg.AppRoleName())
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
