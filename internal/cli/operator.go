package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// openOwner connects as the schema owner (DATABASE_URL), as migrate does:
// operator tokens are out of the application role's reach.
func (a *app) openOwner(ctx context.Context) (*postgres.DB, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	url, err := cfg.OwnerURL()
	if err != nil {
		return nil, err
	}
	return postgres.Open(ctx, cfg.PoolURL(url))
}

func (a *app) operatorCmd() *cobra.Command {
	op := &cobra.Command{Use: "operator", Short: "Manage operator tokens (for /api/v1/admin: provisioning and managing tenants)"}
	token := &cobra.Command{Use: "token", Short: "Create, list and revoke operator tokens",
		Long: `Operator tokens (oiqop_…) are accepted only on /api/v1/admin, where tenants are
provisioned, listed, suspended and deleted; no workspace route accepts them.
These commands connect as the schema owner (DATABASE_URL), like migrate: the
application role can neither read nor make operator tokens.`}
	var (
		name   string
		asJSON bool
	)
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create an operator token (shown once)",
		Example: `  onboardiq operator token create --name "provisioning" --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openOwner(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			secret, rec, err := db.CreateOperatorToken(cmd.Context(), name)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(map[string]any{"id": rec.ID, "name": rec.Name, "token": secret})
			}
			_, err = fmt.Fprintf(a.env.Stdout, "Created operator token %q.\nid:    %s\ntoken: %s\n(the token is shown only now)\n", rec.Name, rec.ID, secret)
			return err
		},
	}
	create.Flags().StringVar(&name, "name", "", "what the token is for (required)")
	create.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List operator tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openOwner(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ts, err := db.ListOperatorTokens(cmd.Context())
			if err != nil {
				return err
			}
			if listJSON {
				return a.printJSON(ts)
			}
			w := a.table("ID\tNAME\tENDS IN\tCREATED\tLAST USED\tREVOKED")
			for _, t := range ts {
				fmt.Fprintf(w, "%s\t%s\t…%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Hint, t.CreatedAt.UTC().Format("2006-01-02 15:04"), when(t.LastUsedAt), when(t.RevokedAt))
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an operator token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := uuid.Parse(args[0])
			if err != nil {
				return onboardiq.Invalid("id", "must be an operator token's id (a UUID)")
			}
			db, err := a.openOwner(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.RevokeOperatorToken(cmd.Context(), id); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.env.Stdout, "Revoked operator token %s.\n", id)
			return err
		},
	}
	token.AddCommand(create, list, revoke)
	op.AddCommand(token)
	return op
}

// when formats an optional time for a table ("-" when unset).
func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}
