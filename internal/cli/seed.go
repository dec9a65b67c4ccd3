package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/demo"
)

func (a *app) seedCmd() *cobra.Command {
	seed := &cobra.Command{Use: "seed", Short: "Load sample data"}
	var asJSON bool
	c := &cobra.Command{
		Use:   "demo",
		Short: "Create the demo workspace (Acme Software, slug acme) and print its logins",
		Long: `seed demo creates the demo workspace unless it exists: staff, three customers
with contacts and a support member each, projects at every stage (one past its
deadline) and a knowledge base. Every run issues each demo user a fresh API
token named "demo" (revoking the previous one) and prints the logins.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := a.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := demo.Seed(cmd.Context(), db, time.Now())
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			state := "exists already"
			if res.Created {
				state = "created"
			}
			fmt.Fprintf(a.env.Stdout, "Demo workspace %q %s (tenant %s).\nEvery demo user's password: %s\n\n", res.Slug, state, res.TenantID, res.Password)
			w := a.table("ROLE\tNAME\tEMAIL\tCUSTOMER\tAPI TOKEN")
			for _, l := range res.Logins {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", l.Role, l.Name, l.Email, l.Customer, l.Token)
			}
			return w.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	seed.AddCommand(c)
	return seed
}
