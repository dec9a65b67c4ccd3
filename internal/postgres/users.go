package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/password"
)

// CreateUser adds a user to the tenant tx runs in. A csm or admin is also
// recorded as a support member, who can be assigned to customers.
func (tx *Tx) CreateUser(ctx context.Context, in onboardiq.NewUser) (*onboardiq.User, error) {
	if err := in.Validate(); err != nil {
		return nil, err
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
	err = RecordEvent(ctx, tx, Event{Kind: "user.created", CustomerID: u.CustomerID,
		Data: map[string]any{"user_id": u.ID, "email": u.Email, "role": u.Role}})
	return u, err
}
