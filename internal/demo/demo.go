// Package demo loads the demo workspace, "Acme Software": staff, three
// customers with contacts, projects at every stage (one past its deadline),
// months of product usage with the health it makes (one customer Critical)
// and a knowledge base.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// workspaceSlug is the demo workspace's slug.
const workspaceSlug = "acme"

// Password is every demo user's password.
const Password = "onboardiq-demo"

// Login is one demo user, with a fresh API token.
type Login struct {
	Role     onboardiq.Role `json:"role"`
	Name     string         `json:"name"`
	Email    string         `json:"email"`
	Customer string         `json:"customer,omitempty"`
	Token    string         `json:"token"`
}

// Result says what Seed did.
type Result struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Slug     string    `json:"slug"`
	Created  bool      `json:"created"`
	Password string    `json:"password"`
	Logins   []Login   `json:"logins"`
}

type person struct {
	name, email string
	role        onboardiq.Role
	customer    string // for contacts
}

var staff = []person{
	{"Alex Morgan", "alex.morgan@acme.example", onboardiq.RoleAdmin, ""},
	{"Priya Shah", "priya.shah@acme.example", onboardiq.RoleCSM, ""},
	{"Marco Rossi", "marco.rossi@acme.example", onboardiq.RoleCSM, ""},
	{"Dana Whitfield", "dana.whitfield@acme.example", onboardiq.RoleSalesLeader, ""},
	{"Sam Lee", "sam.lee@acme.example", onboardiq.RoleViewer, ""},
}

type customer struct {
	name    string
	csm     string // email
	info    map[string]any
	contact []person
	arr     float64
	renewal int // days from now
}

var customers = []customer{
	{"Globex Logistics", "priya.shah@acme.example",
		map[string]any{"website": "https://globex.example", "industry": "Logistics", "employees": 1200, "phone": "+1 555 0100"},
		[]person{
			{"Hannah Becker", "hannah.becker@globex.example", onboardiq.RoleCustomer, ""},
			{"Omar Aziz", "omar.aziz@globex.example", onboardiq.RoleCustomer, ""},
		}, 240000, 210},
	{"Initech Health", "marco.rossi@acme.example",
		map[string]any{"website": "https://initech.example", "industry": "Healthcare", "employees": 450, "phone": "+1 555 0142"},
		[]person{
			{"Lena Park", "lena.park@initech.example", onboardiq.RoleCustomer, ""},
			{"Raj Patel", "raj.patel@initech.example", onboardiq.RoleCustomer, ""},
		}, 96000, 45},
	{"Umbrella Retail", "priya.shah@acme.example",
		map[string]any{"website": "https://umbrella.example", "industry": "Retail", "employees": 3000, "phone": "+1 555 0177"},
		[]person{
			{"Tom Fischer", "tom.fischer@umbrella.example", onboardiq.RoleCustomer, ""},
		}, 60000, 330},
}

// Seed creates the demo workspace unless it exists, then issues a fresh API
// token (named "demo") to every demo user, revoking the previous ones, and
// returns the logins. Running it again changes nothing else.
func Seed(ctx context.Context, db *postgres.DB, now time.Time) (*Result, error) {
	res := &Result{Slug: workspaceSlug, Password: Password}
	id, err := db.TenantIDBySlug(ctx, workspaceSlug)
	switch onboardiq.ErrorCode(err) {
	case "":
	case onboardiq.ENOTFOUND:
		id = uuid.New()
		if err := db.InTenant(ctx, id, func(ctx context.Context, tx *postgres.Tx) error {
			return create(ctx, tx, now)
		}); err != nil {
			return nil, fmt.Errorf("seed demo: %w", err)
		}
		res.Created = true
	default:
		return nil, err
	}
	res.TenantID = id
	err = db.InTenant(ctx, id, func(ctx context.Context, tx *postgres.Tx) error {
		res.Logins, err = issueTokens(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("seed demo: tokens: %w", err)
	}
	return res, nil
}

func create(ctx context.Context, tx *postgres.Tx, now time.Time) error {
	admin := staff[0]
	if _, err := tx.CreateTenant(ctx, onboardiq.NewTenant{Name: "Acme Software", Slug: workspaceSlug, AdminEmail: admin.email, AdminName: admin.name}); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE tenant_users SET password_hash = $2 WHERE tenant_id = $1`, tx.TenantID(), mustHash()); err != nil {
		return err
	}
	users := map[string]uuid.UUID{}
	for _, p := range staff[1:] {
		u, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: p.email, Name: p.name, Role: p.role, Password: Password})
		if err != nil {
			return err
		}
		users[p.email] = u.ID
	}
	var templateID uuid.UUID
	if err := tx.QueryRow(ctx, `SELECT template_id FROM templates WHERE tenant_id = $1 AND is_default`, tx.TenantID()).Scan(&templateID); err != nil {
		return fmt.Errorf("default template: %w", err)
	}
	customerIDs := map[string]uuid.UUID{}
	for _, c := range customers {
		csm := users[c.csm]
		arr, renewal := c.arr, now.AddDate(0, 0, c.renewal).Format(time.DateOnly)
		cu, err := tx.CreateCustomer(ctx, onboardiq.NewCustomer{Name: c.name, ContactInfo: c.info, SupportMemberID: &csm, ARR: &arr, RenewalDate: &renewal})
		if err != nil {
			return err
		}
		customerIDs[c.name] = cu.ID
		for _, p := range c.contact {
			if _, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: p.email, Name: p.name, Role: p.role, CustomerID: &cu.ID, Password: Password}); err != nil {
				return err
			}
		}
	}
	for _, p := range projects(now) {
		if err := createProject(ctx, tx, p, customerIDs[p.customer], templateID, now); err != nil {
			return fmt.Errorf("project %q: %w", p.name, err)
		}
	}
	// Two milestones (docs/customer-success.md): the first API call is the
	// first value; three users signing in within a week, the activation.
	if _, err := tx.Exec(ctx, `INSERT INTO milestones (tenant_id, key, name, rule, first_value, activation, position) VALUES
($1, 'first_api_call', 'First API call', '{"event": "api_call"}', true, false, 0),
($1, 'three_users_week', '3 users active in a week', '{"event": "login", "distinct_users": 3, "within_days": 7}', false, true, 1)`,
		tx.TenantID()); err != nil {
		return fmt.Errorf("milestones: %w", err)
	}
	if err := seedUsage(ctx, tx, customerIDs, now); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	articles, err := Articles()
	if err != nil {
		return err
	}
	for _, a := range articles {
		if _, err := tx.CreateArticle(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// issueTokens revokes the demo users' previous demo tokens and issues new ones.
func issueTokens(ctx context.Context, tx *postgres.Tx) ([]Login, error) {
	rows, err := tx.Query(ctx, `
SELECT u.user_id, u.role, u.name, u.email, coalesce(c.name, '')
FROM tenant_users u LEFT JOIN customers c ON c.tenant_id = u.tenant_id AND c.customer_id = u.customer_id
WHERE u.tenant_id = $1 AND u.disabled_at IS NULL
ORDER BY array_position(ARRAY['admin','csm','sales_leader','viewer','customer'], u.role), c.name NULLS FIRST, u.email`, tx.TenantID())
	if err != nil {
		return nil, err
	}
	var (
		logins []Login
		ids    []uuid.UUID
	)
	for rows.Next() {
		var l Login
		var id uuid.UUID
		if err := rows.Scan(&id, &l.Role, &l.Name, &l.Email, &l.Customer); err != nil {
			return nil, err
		}
		logins, ids = append(logins, l), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := tx.RevokeTokensNamed(ctx, ids, "demo", "created with the tenant"); err != nil {
		return nil, err
	}
	for i := range logins {
		if logins[i].Token, _, err = tx.CreateToken(ctx, ids[i], "demo"); err != nil {
			return nil, err
		}
	}
	return logins, nil
}
