package onboardiq

import (
	"fmt"

	"github.com/google/uuid"
)

// SystemPrincipal is the operator at the command line: an admin of tenant
// who is no user (events record no actor).
func SystemPrincipal(tenantID uuid.UUID) *Principal {
	return &Principal{TenantID: tenantID, Role: RoleAdmin, Name: "command line"}
}

// IsSystem reports whether p is the command-line operator.
func (p *Principal) IsSystem() bool { return p.UserID == uuid.Nil }

// Actor returns the user to record as the actor of a change, or nil.
func (p *Principal) Actor() *uuid.UUID {
	if p.IsSystem() {
		return nil
	}
	return &p.UserID
}

// IsCustomer reports whether p is a contact of one of the tenant's customers.
func (p *Principal) IsCustomer() bool { return p.Role == RoleCustomer }

// Require returns EFORBIDDEN unless p's role is one of roles; what names
// the action for the message.
func (p *Principal) Require(what string, roles ...Role) error {
	for _, r := range roles {
		if p.Role == r {
			return nil
		}
	}
	return &Error{Code: EFORBIDDEN, Message: fmt.Sprintf("your role (%s) may not %s", p.Role, what)}
}

// Role sets used by the services.
var (
	// Managers run the onboarding: customers, projects, tasks, articles.
	Managers = []Role{RoleAdmin, RoleCSM}
	// Staff are the vendor's people, who may read everything in the tenant.
	Staff = []Role{RoleAdmin, RoleCSM, RoleSalesLeader, RoleViewer}
	// Admins manage users, templates and settings.
	Admins = []Role{RoleAdmin}
)
