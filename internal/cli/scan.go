package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

func (a *app) scanCmd() *cobra.Command {
	var (
		once, asJSON bool
		parallel     int
	)
	c := &cobra.Command{
		Use:   "scan",
		Short: "Run the delay scan now",
		Long: `scan --once runs one delay scan over every tenant: projects past their deadline
notify the sales leaders and the customer's support member (and, after the
escalation delay, the admins); projects forecast to miss it are flagged at risk.
Each alert happens once per project and deadline, so running it again adds
nothing. The emails and webhooks it queues are sent by onboardiq serve.

Tenants are scanned --parallel at a time (by default as many as the
connection pool holds, ONBOARDIQ_DB_MAX_CONNS), each in its own transaction,
and each tenant's notifications are printed as it finishes: the summary comes
last (with --json, the counts follow the list).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !once {
				return usageError{fmt.Errorf("scan runs periodically inside serve; use --once to run one scan now")}
			}
			if cmd.Flags().Changed("parallel") && parallel < 1 {
				return usageError{fmt.Errorf("--parallel must be at least 1")}
			}
			db, _, err := a.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if !cmd.Flags().Changed("parallel") {
				parallel = int(db.Pool.Config().MaxConns)
			}
			p := a.newScanPrinter(asJSON)
			// A tenant that fails is reported after the others' results.
			scanErr := db.ScanAll(cmd.Context(), time.Now(), parallel, p.tenant)
			if err := p.finish(); err != nil {
				return err
			}
			return scanErr
		},
	}
	c.Flags().BoolVar(&once, "once", false, "run one scan now")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().IntVar(&parallel, "parallel", 0, "tenants scanned at once (default: the connection pool's size)")
	return c
}

// scanPrinter prints a scan's results tenant by tenant, as they come, so
// that a scan of any size holds one tenant's notifications at a time. In
// JSON it writes one object, {"notifications": […], "tenants",
// "overdue_projects", "at_risk_projects"}, the list first.
type scanPrinter struct {
	a                         *app
	asJSON                    bool
	tenants, overdue, risk, n int
	err                       error // the first write that failed
}

func (a *app) newScanPrinter(asJSON bool) *scanPrinter {
	p := &scanPrinter{a: a, asJSON: asJSON}
	if asJSON {
		p.write("{\n  \"notifications\": [")
	}
	return p
}

func (p *scanPrinter) write(s string) {
	if p.err == nil {
		_, p.err = io.WriteString(p.a.env.Stdout, s)
	}
}

// tenant prints one tenant's result.
func (p *scanPrinter) tenant(r *postgres.ScanResult) error {
	p.tenants, p.overdue, p.risk = p.tenants+1, p.overdue+r.Overdue, p.risk+r.AtRisk
	if p.asJSON {
		for _, n := range r.Notifications {
			b, err := json.MarshalIndent(n, "    ", "  ")
			if err != nil {
				return err
			}
			sep := ",\n    "
			if p.n == 0 {
				sep = "\n    "
			}
			p.write(sep + string(b))
			p.n++
		}
		return p.err
	}
	if len(r.Notifications) == 0 {
		return p.err
	}
	w := tabwriter.NewWriter(p.a.env.Stdout, 2, 4, 2, ' ', 0)
	if p.n == 0 {
		fmt.Fprintln(w, "KIND\tTO\tEMAIL\tTITLE")
	}
	for _, n := range r.Notifications {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", n.Kind, n.Email, n.EmailDelivery, n.Title)
	}
	p.n += len(r.Notifications)
	if err := w.Flush(); err != nil && p.err == nil {
		p.err = err
	}
	return p.err
}

// finish prints the totals.
func (p *scanPrinter) finish() error {
	if p.asJSON {
		if p.n > 0 {
			p.write("\n  ")
		}
		p.write(fmt.Sprintf("],\n  \"tenants\": %d,\n  \"overdue_projects\": %d,\n  \"at_risk_projects\": %d\n}\n", p.tenants, p.overdue, p.risk))
		return p.err
	}
	p.write(fmt.Sprintf("Scanned %d tenant(s): %d overdue and %d at-risk project(s); %d new notification(s).\n", p.tenants, p.overdue, p.risk, p.n))
	return p.err
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
