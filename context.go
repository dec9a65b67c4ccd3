package onboardiq

import (
	"context"

	"github.com/google/uuid"
)

// Principal is who is making a request: a tenant user, authenticated by an
// API token or (later) a session. Handlers read it from the context; the store
// uses it to decide what the caller may see and do.
type Principal struct {
	TenantID   uuid.UUID
	TenantSlug string
	TenantName string
	UserID     uuid.UUID
	Email      string
	Name       string
	Role       Role
	CustomerID *uuid.UUID // set for RoleCustomer only
	TokenID    *uuid.UUID // the API token used, when one was
	SessionID  *uuid.UUID // the web session used, when one was
}

type principalKey struct{}

// NewContextWithPrincipal returns a copy of ctx that carries p.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal carried by ctx, or nil.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
