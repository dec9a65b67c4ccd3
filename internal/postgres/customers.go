package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq"
)

// CreateCustomer adds a customer to the tenant tx runs in.
func CreateCustomer(ctx context.Context, tx *Tx, in onboardiq.NewCustomer) (*onboardiq.Customer, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	c := &onboardiq.Customer{TenantID: tx.TenantID(), Name: in.Name, ContactInfo: in.ContactInfo, SupportMemberID: in.SupportMemberID}
	err := tx.QueryRow(ctx, `
INSERT INTO customers (tenant_id, name, contact_info, support_member_id)
VALUES ($1, $2, $3, $4)
RETURNING customer_id, created_at, updated_at`, c.TenantID, c.Name, c.ContactInfo, c.SupportMemberID).
		Scan(&c.ID, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" {
			return nil, onboardiq.Invalid("support_member_id", "is not a support member of this workspace")
		}
		return nil, fmt.Errorf("insert customer: %w", err)
	}
	err = RecordEvent(ctx, tx, Event{Kind: "customer.created", CustomerID: &c.ID, Data: map[string]any{"name": c.Name}})
	return c, err
}
