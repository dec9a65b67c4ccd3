package cli

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
)

// created is what tenant create and user create print.
type created struct {
	TenantID uuid.UUID `json:"tenant_id"`
	UserID   uuid.UUID `json:"user_id"`
	Token    string    `json:"token"`
}

func (a *app) printCreated(what string, c created, asJSON bool) error {
	if asJSON {
		return a.printJSON(c)
	}
	_, err := fmt.Fprintf(a.env.Stdout, "%s\ntenant_id: %s\nuser_id:   %s\ntoken:     %s\n(the token is shown only now)\n", what, c.TenantID, c.UserID, c.Token)
	return err
}

func (a *app) tenantCmd() *cobra.Command {
	tenant := &cobra.Command{Use: "tenant", Short: "Manage tenants (workspaces)"}
	var (
		in     onboardiq.NewTenant
		asJSON bool
	)
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create a tenant with its first admin and an API token",
		Example: `  onboardiq tenant create --name "Acme" --slug acme --admin-email a@acme.test --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := a.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := db.CreateTenant(cmd.Context(), in)
			if err != nil {
				return err
			}
			return a.printCreated(fmt.Sprintf("Created tenant %q (%s) with admin %s.", res.Tenant.Name, res.Tenant.Slug, res.Admin.Email),
				created{res.Tenant.ID, res.Admin.ID, res.Token}, asJSON)
		},
	}
	f := create.Flags()
	f.StringVar(&in.Name, "name", "", "the organisation's name (required)")
	f.StringVar(&in.Slug, "slug", "", "the workspace's short name, used in URLs and at sign-in (required)")
	f.StringVar(&in.AdminEmail, "admin-email", "", "the first admin's email (required)")
	f.StringVar(&in.AdminName, "admin-name", "", "the first admin's name (default: the email's local part)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	tenant.AddCommand(create, a.tenantExportCmd())
	return tenant
}

func (a *app) userCmd() *cobra.Command {
	user := &cobra.Command{Use: "user", Short: "Manage tenant users"}
	var (
		slug, email, name, role, customer, tokenName string
		asJSON                                       bool
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a user in a tenant, with an API token",
		Long: `user create adds a user to a tenant and issues an API token for them, as the
tenant's operator (an admin), through the same checks as the API. A csm
(or admin) is also recorded as a support member who can be assigned to
customers; a customer contact needs --customer-id.`,
		Example: `  onboardiq user create --tenant acme --email csm@acme.test --name "Casey" --role csm --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := onboardiq.NewUser{Email: email, Name: name, Role: onboardiq.Role(role)}
			if customer != "" {
				id, err := uuid.Parse(customer)
				if err != nil {
					return onboardiq.Invalid("customer_id", "must be a UUID")
				}
				in.CustomerID = &id
			}
			if err := in.Validate(); err != nil {
				return err
			}
			// Both are checked before anything is made, so that a refusal
			// leaves nothing behind.
			tok := onboardiq.NewToken{Name: tokenName}
			if err := tok.Validate(time.Now()); err != nil {
				return onboardiq.Invalid("token_name", "%s", onboardiq.ErrorMessage(err))
			}
			ctx, db, err := a.asTenant(cmd.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := db.CreateUser(ctx, in)
			if err != nil {
				return err
			}
			tok.UserID = &u.ID
			secret, _, err := db.CreateToken(ctx, tok)
			if err != nil {
				return fmt.Errorf("user %s was created, but not its token: %w", u.ID, err)
			}
			out := created{TenantID: u.TenantID, UserID: u.ID, Token: secret}
			return a.printCreated(fmt.Sprintf("Created %s %s in %s.", in.Role, in.Email, slug), out, asJSON)
		},
	}
	f := create.Flags()
	f.StringVar(&slug, "tenant", "", "the tenant's slug (required)")
	f.StringVar(&email, "email", "", "the user's email (required)")
	f.StringVar(&name, "name", "", "the user's name (required)")
	f.StringVar(&role, "role", "", "admin, csm, sales_leader, viewer or customer (required)")
	f.StringVar(&customer, "customer-id", "", "for a customer contact: the customer they belong to")
	f.StringVar(&tokenName, "token-name", "created with the user", "a name for the API token")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	user.AddCommand(create)
	return user
}
