package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// TenantIDBySlug resolves a workspace slug through the one reviewed
// cross-tenant lookup (the tenant_id_by_slug function). An unknown slug is
// ENOTFOUND.
func (db *DB) TenantIDBySlug(ctx context.Context, slug string) (uuid.UUID, error) {
	var id *uuid.UUID
	if err := db.Pool.QueryRow(ctx, "SELECT tenant_id_by_slug($1)", slug).Scan(&id); err != nil {
		return uuid.Nil, unavailable(fmt.Errorf("find tenant %q: %w", slug, err))
	}
	if id == nil {
		return uuid.Nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "no workspace %q", slug)
	}
	return *id, nil
}

// NewTenantResult is a created tenant with its first admin and that admin's
// API token (shown once).
type NewTenantResult struct {
	Tenant *onboardiq.Tenant
	Admin  *onboardiq.User
	Token  string
}

// CreateTenant creates a tenant, its first admin and an API token for the
// admin, in one transaction.
func (db *DB) CreateTenant(ctx context.Context, in onboardiq.NewTenant) (*NewTenantResult, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var res *NewTenantResult
	err := db.InTenant(ctx, uuid.New(), func(ctx context.Context, tx *Tx) error {
		var err error
		res, err = tx.CreateTenant(ctx, in)
		return err
	})
	return res, err
}

// CreateTenant creates the tenant that tx runs in, with its admin and token.
func (tx *Tx) CreateTenant(ctx context.Context, in onboardiq.NewTenant) (*NewTenantResult, error) {
	t, admin, err := createTenant(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	token, _, err := tx.CreateToken(ctx, admin.ID, "created with the tenant")
	if err != nil {
		return nil, err
	}
	return &NewTenantResult{Tenant: t, Admin: admin, Token: token}, nil
}

// createTenant creates the tenant that tx runs in, its default template
// and playbooks, and its first admin (without a password).
func createTenant(ctx context.Context, tx *Tx, in onboardiq.NewTenant) (*onboardiq.Tenant, *onboardiq.User, error) {
	if err := in.Validate(); err != nil {
		return nil, nil, err
	}
	t := &onboardiq.Tenant{ID: tx.TenantID(), Name: in.Name, Slug: in.Slug}
	err := tx.QueryRow(ctx, `
INSERT INTO tenants (tenant_id, name, slug) VALUES ($1, $2, $3)
RETURNING time_zone, created_at`, t.ID, t.Name, t.Slug).Scan(&t.TimeZone, &t.CreatedAt)
	if err != nil {
		if onboardiq.ErrorCode(storeError(err, "")) == onboardiq.ECONFLICT {
			return nil, nil, &onboardiq.Error{Code: onboardiq.ECONFLICT, Field: "slug", Message: fmt.Sprintf("the slug %q is taken", t.Slug)}
		}
		return nil, nil, fmt.Errorf("insert tenant: %w", err)
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTenantCreated, Data: map[string]any{"name": t.Name, "slug": t.Slug}}); err != nil {
		return nil, nil, err
	}
	if err := createDefaultTemplate(ctx, tx); err != nil {
		return nil, nil, err
	}
	if _, err := createDefaultPlaybooks(ctx, tx); err != nil {
		return nil, nil, err
	}
	admin, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: in.AdminEmail, Name: in.AdminName, Role: onboardiq.RoleAdmin})
	if err != nil {
		return nil, nil, err
	}
	return t, admin, nil
}

// tenantReferences clear, in tenant $1, every column that refers to a row
// another foreign key's cascade may delete first. On one
// server a tenant's delete cascades in one statement; a distributed one
// cascades shard by shard, so the references go first.
var tenantReferences = []string{
	`UPDATE tasks SET assigned_to = NULL WHERE tenant_id = $1 AND assigned_to IS NOT NULL`,
	`UPDATE events SET actor_user_id = NULL WHERE tenant_id = $1 AND actor_user_id IS NOT NULL`,
	`UPDATE knowledge_base SET created_by = NULL WHERE tenant_id = $1 AND created_by IS NOT NULL`,
	`UPDATE ai_calls SET user_id = NULL, conversation_id = NULL WHERE tenant_id = $1 AND (user_id IS NOT NULL OR conversation_id IS NOT NULL)`,
	`UPDATE assistant_conversations SET project_id = NULL, task_id = NULL WHERE tenant_id = $1 AND (project_id IS NOT NULL OR task_id IS NOT NULL)`,
	`UPDATE projects SET template_id = NULL WHERE tenant_id = $1 AND template_id IS NOT NULL`,
	`UPDATE customers SET support_member_id = NULL WHERE tenant_id = $1 AND support_member_id IS NOT NULL`,
}

// DeleteTenant deletes the tenant tx runs in and everything in it (the
// command line and the retrieval evaluation's scratch tenant).
func (tx *Tx) DeleteTenant(ctx context.Context) error {
	if err := clearReferences(ctx, tx, tenantReferences, tx.TenantID()); err != nil {
		return fmt.Errorf("delete tenant: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM tenants WHERE tenant_id = $1`, tx.TenantID()); err != nil {
		return fmt.Errorf("delete tenant: %w", err)
	}
	return tx.credentialsChanged(ctx)
}
