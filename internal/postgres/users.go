package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/password"
)

// CreateUser adds a user to the caller's tenant (admins only).
func (db *DB) CreateUser(ctx context.Context, in onboardiq.NewUser) (*onboardiq.User, error) {
	var u *onboardiq.User
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageUsers); err != nil {
			return err
		}
		created, err := tx.CreateUser(ctx, in)
		if err != nil {
			return err
		}
		u = created
		return nil
	})
	return u, err
}

// GetUser returns a user of the tenant (staff only, like ListUsers: a
// contact reads themself through /me).
func (db *DB) GetUser(ctx context.Context, id uuid.UUID) (*onboardiq.User, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.User, error) {
		if err := p.Check(onboardiq.ReadUsers); err != nil {
			return nil, err
		}
		return getUser(ctx, tx, id, false)
	})
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	onboardiq.ListOptions
	Role       onboardiq.Role
	CustomerID *uuid.UUID
}

// ListUsers lists the tenant's users by email (staff only).
func (db *DB) ListUsers(ctx context.Context, f UserFilter) (onboardiq.Page[*onboardiq.User], error) {
	var out onboardiq.Page[*onboardiq.User]
	if err := f.Normalise(); err != nil {
		return out, err
	}
	if f.Role != "" && !f.Role.Valid() {
		return out, onboardiq.Invalid("role", "must be one of admin, csm, sales_leader, viewer, customer")
	}
	var after *string
	if f.Cursor != "" {
		var email string
		if err := decodeCursor(f.Cursor, &email); err != nil {
			return out, err
		}
		after = &email
	}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ReadUsers); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
SELECT `+userColumns+` FROM tenant_users u
WHERE u.tenant_id = $1 AND ($2::text = '' OR u.role = $2) AND ($3::uuid IS NULL OR u.customer_id = $3)
  AND ($4::text IS NULL OR u.email > $4)
ORDER BY u.email LIMIT $5`, tx.TenantID(), f.Role, f.CustomerID, after, f.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.User, error) { return scanUser(r) })
		out = page(items, f.Limit, func(u *onboardiq.User) []any { return []any{u.Email} })
		return err
	})
	return out, err
}

// UpdateUser changes a user's name, role, password or disabled state
// (admins only). An admin cannot demote or disable themself, a contact
// cannot become staff nor staff a contact (create a new user instead). A
// new password ends the user's other sessions and links; disabling a user
// ends their sessions and links and revokes their API tokens, for good.
func (db *DB) UpdateUser(ctx context.Context, id uuid.UUID, patch onboardiq.UserPatch) (*onboardiq.User, error) {
	var u *onboardiq.User
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageUsers); err != nil {
			return err
		}
		before, err := getUser(ctx, tx, id, true)
		if err != nil {
			return err
		}
		after := *before
		if !patch.Name.ApplyValue(&after.Name) {
			return onboardiq.Invalid("name", "is required")
		}
		after.Name = strings.TrimSpace(after.Name)
		if !patch.Role.ApplyValue(&after.Role) || !after.Role.Valid() {
			return onboardiq.Invalid("role", "must be one of admin, csm, sales_leader, viewer, customer")
		}
		if !patch.Disabled.ApplyValue(&after.Disabled) {
			return onboardiq.Invalid("disabled", "must be true or false")
		}
		switch {
		case (before.Role == onboardiq.RoleCustomer) != (after.Role == onboardiq.RoleCustomer):
			return onboardiq.Invalid("role", "a customer contact cannot become staff, nor staff a contact: create a new user")
		case id == p.UserID && after.Role != onboardiq.RoleAdmin:
			return onboardiq.Invalid("role", "you cannot remove your own admin role")
		case id == p.UserID && after.Disabled:
			return onboardiq.Invalid("disabled", "you cannot disable yourself")
		}
		if before.Disabled && !after.Disabled && after.Role != onboardiq.RoleCustomer {
			if err := checkQuota(ctx, tx, onboardiq.QuotaUsers, 1); err != nil {
				return err
			}
		}
		check := onboardiq.NewUser{Email: after.Email, Name: after.Name, Role: after.Role, CustomerID: after.CustomerID}
		if patch.Password.Set {
			check.Password = patch.Password.Value
		}
		if err := check.Validate(); err != nil {
			return err
		}
		var hash *string
		if patch.Password.Set && !patch.Password.Null {
			h, err := password.Hash(patch.Password.Value)
			if err != nil {
				return err
			}
			hash = &h
		}
		u, err = scanUser(tx.QueryRow(ctx, `
UPDATE tenant_users u SET name = $3, role = $4,
    disabled_at = CASE WHEN $5 THEN coalesce(u.disabled_at, $8) END,
    password_hash = CASE WHEN $6 THEN $7 ELSE u.password_hash END,
    updated_at = now()
WHERE u.tenant_id = $1 AND u.user_id = $2
RETURNING `+userColumns, tx.TenantID(), id, after.Name, after.Role, after.Disabled, patch.Password.Set, hash, time.Now()))
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if err := tx.credentialsChanged(ctx); err != nil {
			return err
		}
		// A new password ends the user's other ways in (the caller's own
		// session stays when they change their own); disabling ends them
		// all, API tokens included, so re-enabling revives none.
		if patch.Password.Set || (u.Disabled && !before.Disabled) {
			var keep *uuid.UUID
			if id == p.UserID {
				keep = p.SessionID
			}
			if err := endCredentials(ctx, tx, id, keep, u.Disabled); err != nil {
				return err
			}
		}
		// Support members are the active csm and admin users.
		if u.Role.CanSupport() {
			_, err = tx.Exec(ctx, `
INSERT INTO support_members (tenant_id, support_member_id, name, email, active) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, support_member_id) DO UPDATE SET name = excluded.name, active = excluded.active`,
				tx.TenantID(), id, u.Name, u.Email, !u.Disabled)
		} else {
			_, err = tx.Exec(ctx, `UPDATE support_members SET active = false WHERE tenant_id = $1 AND support_member_id = $2`, tx.TenantID(), id)
		}
		if err != nil {
			return fmt.Errorf("update support member: %w", err)
		}
		ch := changes(before, u, "name", "role", "disabled")
		if patch.Password.Set {
			ch["password"] = map[string]any{"from": "…", "to": "…"}
		}
		if len(ch) == 0 {
			return nil
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUserUpdated, CustomerID: u.CustomerID, Data: map[string]any{"user_id": id}, Changes: ch})
	})
	return u, err
}

// CreateUser adds a user to the tenant tx runs in. A csm or admin is also
// recorded as a support member, who can be assigned to customers.
func (tx *Tx) CreateUser(ctx context.Context, in onboardiq.NewUser) (*onboardiq.User, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Role != onboardiq.RoleCustomer {
		if err := checkQuota(ctx, tx, onboardiq.QuotaUsers, 1); err != nil {
			return nil, err
		}
	}
	var hash *string
	if in.Password != "" {
		h, err := password.Hash(in.Password)
		if err != nil {
			return nil, err
		}
		hash = &h
	}
	u := &onboardiq.User{TenantID: tx.TenantID(), Email: in.Email, Name: in.Name, Role: in.Role, CustomerID: in.CustomerID}
	err := tx.QueryRow(ctx, `
INSERT INTO tenant_users (tenant_id, email, name, role, customer_id, password_hash)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING user_id, created_at`,
		u.TenantID, u.Email, u.Name, u.Role, u.CustomerID, hash).Scan(&u.ID, &u.CreatedAt)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			switch pgErr.Code {
			case "23505":
				return nil, &onboardiq.Error{Code: onboardiq.ECONFLICT, Field: "email", Message: fmt.Sprintf("a user with email %s already exists", u.Email)}
			case "23503":
				return nil, onboardiq.Invalid("customer_id", "no such customer")
			}
		}
		return nil, fmt.Errorf("insert user: %w", err)
	}
	if u.Role.CanSupport() {
		if _, err := tx.Exec(ctx, `
INSERT INTO support_members (tenant_id, support_member_id, name, email) VALUES ($1, $2, $3, $4)`,
			u.TenantID, u.ID, u.Name, u.Email); err != nil {
			return nil, fmt.Errorf("insert support member: %w", err)
		}
	}
	err = tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUserCreated, CustomerID: u.CustomerID,
		Data: map[string]any{"user_id": u.ID, "email": u.Email, "role": u.Role}})
	return u, err
}

const userColumns = `u.tenant_id, u.user_id, u.email, u.name, u.role, u.customer_id, u.created_at, u.disabled_at IS NOT NULL,
    u.undeliverable_reason, u.time_zone, u.role <> 'customer' AND u.password_hash IS NULL`

func scanUser(row pgx.Row) (*onboardiq.User, error) {
	u := &onboardiq.User{}
	err := row.Scan(&u.TenantID, &u.ID, &u.Email, &u.Name, &u.Role, &u.CustomerID, &u.CreatedAt, &u.Disabled, &u.Undeliverable, &u.TimeZone, &u.Invited)
	return u, err
}

func getUser(ctx context.Context, tx *Tx, id uuid.UUID, lock bool) (*onboardiq.User, error) {
	q := `SELECT ` + userColumns + ` FROM tenant_users u WHERE u.tenant_id = $1 AND u.user_id = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	u, err := scanUser(tx.QueryRow(ctx, q, tx.TenantID(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "user not found")
	}
	return u, err
}
