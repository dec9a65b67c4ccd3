package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// asTenant opens the application pool and returns a context in which the
// services act as the operator, an admin of the tenant named by slug.
func (a *app) asTenant(ctx context.Context, slug string) (context.Context, *postgres.DB, error) {
	if slug == "" {
		return nil, nil, onboardiq.Invalid("tenant", "is required: the tenant's slug")
	}
	db, _, err := a.openApp(ctx)
	if err != nil {
		return nil, nil, err
	}
	id, err := db.TenantIDBySlug(ctx, slug)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return onboardiq.NewContextWithPrincipal(ctx, onboardiq.SystemPrincipal(id)), db, nil
}

func parseOptionalUUID(field, s string) (*uuid.UUID, error) {
	if s == "" {
		return nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return nil, onboardiq.Invalid(field, "must be a UUID")
	}
	return &id, nil
}

func (a *app) customerCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "customer", Short: "Manage customers"}
	var (
		slug, name, contact, member string
		asJSON                      bool
		limit                       int
		q                           string
	)
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create a customer",
		Example: `  onboardiq customer create --tenant acme --name "Hooli" --contact-info '{"email":"it@hooli.test"}' --json`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			in := onboardiq.NewCustomer{Name: name}
			if contact != "" {
				if err := json.Unmarshal([]byte(contact), &in.ContactInfo); err != nil {
					return onboardiq.Invalid("contact_info", "must be a JSON object")
				}
			}
			var err error
			if in.SupportMemberID, err = parseOptionalUUID("support_member_id", member); err != nil {
				return err
			}
			ctx, db, err := a.asTenant(c.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			cu, err := db.CreateCustomer(ctx, in)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(cu)
			}
			_, err = fmt.Fprintf(a.env.Stdout, "Created customer %q (%s).\n", cu.Name, cu.ID)
			return err
		},
	}
	f := create.Flags()
	f.StringVar(&slug, "tenant", "", "the tenant's slug (required)")
	f.StringVar(&name, "name", "", "the customer's name (required)")
	f.StringVar(&contact, "contact-info", "", "contact details as a JSON object")
	f.StringVar(&member, "support-member-id", "", "the support member (a csm or admin user id)")
	f.BoolVar(&asJSON, "json", false, "print JSON")

	list := &cobra.Command{
		Use:   "list",
		Short: "List customers, by name",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, db, err := a.asTenant(c.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			page, err := db.ListCustomers(ctx, postgres.CustomerFilter{ListOptions: onboardiq.ListOptions{Limit: limit}, Q: q})
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(page.Items)
			}
			w := a.table("ID\tNAME\tSUPPORT MEMBER")
			for _, cu := range page.Items {
				sm := ""
				if cu.SupportMemberID != nil {
					sm = cu.SupportMemberID.String()
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", cu.ID, cu.Name, sm)
			}
			return w.Flush()
		},
	}
	lf := list.Flags()
	lf.StringVar(&slug, "tenant", "", "the tenant's slug (required)")
	lf.StringVar(&q, "q", "", "name contains")
	lf.IntVar(&limit, "limit", 200, "at most this many (1–200)")
	lf.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(create, list)
	return cmd
}

func (a *app) projectCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "project", Short: "Manage onboarding projects"}
	var (
		slug, customer, name, description, template, start, deadline, status, q, sort string
		useDefault, overdue, asJSON                                                   bool
		limit                                                                         int
	)
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create a project, from a template or empty",
		Example: `  onboardiq project create --tenant acme --customer-id <id> --name "Rollout" --default-template --json`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cid, err := parseOptionalUUID("customer_id", customer)
			if err != nil {
				return err
			}
			if cid == nil {
				return onboardiq.Invalid("customer_id", "is required")
			}
			in := onboardiq.NewProject{CustomerID: *cid, Name: name, Description: description}
			if in.TemplateID, err = parseOptionalUUID("template_id", template); err != nil {
				return err
			}
			for field, v := range map[string]string{"start": start, "deadline": deadline} {
				if v == "" {
					continue
				}
				tm, err := parseTime(v)
				if err != nil {
					return onboardiq.Invalid(field, "must be a date (2026-03-01) or an RFC 3339 time")
				}
				if field == "start" {
					in.StartDate = tm
				} else {
					in.Deadline = &tm
				}
			}
			ctx, db, err := a.asTenant(c.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			if useDefault && in.TemplateID == nil {
				ts, err := db.ListTemplates(ctx)
				if err != nil {
					return err
				}
				for _, t := range ts {
					if t.IsDefault {
						in.TemplateID = &t.ID
					}
				}
			}
			p, err := db.CreateProject(ctx, in)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(p)
			}
			_, err = fmt.Fprintf(a.env.Stdout, "Created project %q (%s), deadline %s.\n", p.Name, p.ID, formatDate(p.Deadline))
			return err
		},
	}
	f := create.Flags()
	f.StringVar(&slug, "tenant", "", "the tenant's slug (required)")
	f.StringVar(&customer, "customer-id", "", "the customer (required)")
	f.StringVar(&name, "name", "", "the project's name (required)")
	f.StringVar(&description, "description", "", "what the project is for")
	f.StringVar(&template, "template-id", "", "a template whose tasks the project starts with")
	f.BoolVar(&useDefault, "default-template", false, "start from the tenant's default template")
	f.StringVar(&start, "start", "", "the start date (default: now)")
	f.StringVar(&deadline, "deadline", "", "the deadline (default with a template: the end of its last task)")
	f.BoolVar(&asJSON, "json", false, "print JSON")

	list := &cobra.Command{
		Use:   "list",
		Short: "List projects",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cid, err := parseOptionalUUID("customer_id", customer)
			if err != nil {
				return err
			}
			ctx, db, err := a.asTenant(c.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			page, err := db.ListProjects(ctx, postgres.ProjectFilter{ListOptions: onboardiq.ListOptions{Limit: limit},
				CustomerID: cid, Status: onboardiq.Status(status), Overdue: overdue, Q: q, Sort: sort})
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(page.Items)
			}
			w := a.table("ID\tNAME\tSTATUS\tPROGRESS\tDEADLINE\tOVERDUE")
			for _, p := range page.Items {
				late := ""
				if p.Overdue {
					late = "overdue"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%.2f%%\t%s\t%s\n", p.ID, p.Name, p.Status, p.Progress, formatDate(p.Deadline), late)
			}
			return w.Flush()
		},
	}
	lf := list.Flags()
	lf.StringVar(&slug, "tenant", "", "the tenant's slug (required)")
	lf.StringVar(&customer, "customer-id", "", "only this customer's")
	lf.StringVar(&status, "status", "", "only this status")
	lf.BoolVar(&overdue, "overdue", false, "only projects past their deadline")
	lf.StringVar(&q, "q", "", "name contains")
	lf.StringVar(&sort, "sort", "", "created_at, deadline, name or progress; - in front for descending")
	lf.IntVar(&limit, "limit", 200, "at most this many (1–200)")
	lf.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(create, list)
	return cmd
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

func formatDate(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return t.Format(time.DateOnly)
}
