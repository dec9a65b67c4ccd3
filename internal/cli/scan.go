package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

func (a *app) scanCmd() *cobra.Command {
	var once, asJSON bool
	c := &cobra.Command{
		Use:   "scan",
		Short: "Run the delay scan now",
		Long: `scan --once runs one delay scan over every tenant: projects past their deadline
notify the sales leaders and the customer's support member (and, after the
escalation delay, the admins); projects forecast to miss it are flagged at risk.
Each alert happens once per project and deadline, so running it again adds
nothing. The emails and webhooks it queues are sent by onboardiq serve.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !once {
				return usageError{fmt.Errorf("scan runs periodically inside serve; use --once to run one scan now")}
			}
			db, _, err := a.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			// A tenant that fails is reported after the others' results.
			results, scanErr := db.Scan(cmd.Context(), time.Now())
			if err := a.printScan(results, asJSON); err != nil {
				return err
			}
			return scanErr
		},
	}
	c.Flags().BoolVar(&once, "once", false, "run one scan now")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) printScan(results []*postgres.ScanResult, asJSON bool) error {
	var all []postgres.Notified
	overdue, risk := 0, 0
	for _, r := range results {
		all = append(all, r.Notifications...)
		overdue, risk = overdue+r.Overdue, risk+r.AtRisk
	}
	if asJSON {
		if all == nil {
			all = []postgres.Notified{}
		}
		return a.printJSON(map[string]any{"tenants": len(results), "overdue_projects": overdue, "at_risk_projects": risk, "notifications": all})
	}
	fmt.Fprintf(a.env.Stdout, "Scanned %d tenant(s): %d overdue and %d at-risk project(s); %d new notification(s).\n", len(results), overdue, risk, len(all))
	if len(all) == 0 {
		return nil
	}
	w := a.table("KIND\tTO\tEMAIL\tTITLE")
	for _, n := range all {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", n.Kind, n.Email, n.EmailDelivery, n.Title)
	}
	return w.Flush()
}

func (a *app) deliveriesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "deliveries", Short: "The email and webhook delivery log"}
	var (
		slug   string
		limit  int
		asJSON bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List a tenant's deliveries with their attempts, newest first",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, db, err := a.asTenant(c.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			page, err := db.ListDeliveries(ctx, postgres.DeliveryFilter{ListOptions: onboardiq.ListOptions{Limit: limit}})
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(page.Items)
			}
			w := a.table("CREATED\tCHANNEL\tEVENT\tTO\tSTATUS\tATTEMPTS\tLAST RESULT")
			for _, d := range page.Items {
				last := ""
				if n := len(d.Attempts); n > 0 {
					last = d.Attempts[n-1].Result
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.CreatedAt.Format(time.DateTime), d.Channel, d.EventType, d.Recipient, d.Status, len(d.Attempts), last)
			}
			return w.Flush()
		},
	}
	f := list.Flags()
	f.StringVar(&slug, "tenant", "", "the tenant's slug (required)")
	f.IntVar(&limit, "limit", 50, "at most this many (1–200)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(list)
	return cmd
}
