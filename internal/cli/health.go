package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// healthChunk is how many customers one transaction of the recompute
// rescores: small enough to keep locks short, large enough to stay set
// based.
const healthChunk = 500

func (a *app) healthCmd() *cobra.Command {
	c := &cobra.Command{Use: "health", Short: "Customers' health scores"}
	var (
		slug   string
		asJSON bool
	)
	re := &cobra.Command{
		Use:   "recompute",
		Short: "Rescore every customer's health now",
		Long: `recompute rescores the health of every customer that is not archived, in
every tenant or the one named by --tenant, as the nightly recompute does: each
score is kept with its explanation and the day's history, and a change of
level or a drop is recorded as an event (and so reaches webhooks and the
journey rules). Customers are rescored in transactions of 500.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, _, err := a.openApp(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			tenants, err := tenantIDs(ctx, db, slug)
			if err != nil {
				return err
			}
			start := time.Now()
			work := map[uuid.UUID][]uuid.UUID{}
			total := 0
			for _, t := range tenants {
				err := db.InTenantReadOnly(ctx, t, func(ctx context.Context, tx *postgres.Tx) error {
					ids, err := tx.ScoredCustomers(ctx)
					work[t] = ids
					total += len(ids)
					return err
				})
				if err != nil {
					return err
				}
			}
			bar := &progressBar{w: a.env.Stderr}
			var sum postgres.HealthRun
			done := 0
			for _, t := range tenants {
				ids := work[t]
				for i := 0; i < len(ids); i += healthChunk {
					chunk := ids[i:min(i+healthChunk, len(ids))]
					err := db.InTenant(ctx, t, func(ctx context.Context, tx *postgres.Tx) error {
						run, err := tx.RecomputeHealth(ctx, chunk, time.Now())
						sum.Customers += run.Customers
						sum.Scored += run.Scored
						sum.LevelChanges += run.LevelChanges
						sum.Drops += run.Drops
						return err
					})
					if err != nil {
						bar.end()
						return err
					}
					done += len(chunk)
					bar.show(done, total)
				}
			}
			bar.end()
			if asJSON {
				return a.printJSON(map[string]any{"tenants": len(tenants), "customers": sum.Customers, "scored": sum.Scored,
					"level_changes": sum.LevelChanges, "drops": sum.Drops, "seconds": time.Since(start).Seconds()})
			}
			_, err = fmt.Fprintf(a.env.Stdout, "Rescored %d customers (%d with a score) in %d tenant(s) in %s: %d level changes, %d drops.\n",
				sum.Customers, sum.Scored, len(tenants), time.Since(start).Round(time.Millisecond), sum.LevelChanges, sum.Drops)
			return err
		},
	}
	re.Flags().StringVar(&slug, "tenant", "", "only this tenant (default: all)")
	re.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(re)
	return c
}
