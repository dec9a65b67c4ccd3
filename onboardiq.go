// Package onboardiq holds the domain of OnboardIQ: the types every part of
// the program shares, the error codes, and the identity carried in a request's
// context. It imports nothing from the rest of the module.
package onboardiq

import (
	"time"

	"github.com/google/uuid"
)

// Role is what a tenant user may do. See docs/decisions for the matrix.
type Role string

const (
	RoleAdmin       Role = "admin"
	RoleCSM         Role = "csm"
	RoleSalesLeader Role = "sales_leader"
	RoleViewer      Role = "viewer"
	RoleCustomer    Role = "customer"
)

// Roles lists every role in the order they are shown.
var Roles = []Role{RoleAdmin, RoleCSM, RoleSalesLeader, RoleViewer, RoleCustomer}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// IsStaff reports whether the role belongs to the vendor's own people.
func (r Role) IsStaff() bool { return r.Valid() && r != RoleCustomer }

// CanSupport reports whether a user with this role can be a customer's
// support member.
func (r Role) CanSupport() bool { return r == RoleCSM || r == RoleAdmin }

// Tenant is a vendor organisation: the unit of isolation.
type Tenant struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	TimeZone  string    `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a tenant user: staff, or a contact of one of the tenant's
// customers (Role customer, CustomerID set). A disabled user cannot sign
// in, and their API tokens are revoked. Disabled comes first: the API's
// schema lists required fields in field order, and has always listed it
// first.
type User struct {
	Disabled   bool       `json:"disabled"`
	TenantID   uuid.UUID  `json:"tenant_id"`
	ID         uuid.UUID  `json:"id"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CustomerID *uuid.UUID `json:"customer_id,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	// Undeliverable says why email to the user's address bounced for good;
	// nothing is sent to it until the address changes.
	Undeliverable *string `json:"undeliverable,omitempty" doc:"Why email to this address bounced for good; absent while it is deliverable. Changing the email clears it."`
	TimeZone      string  `json:"time_zone,omitempty" doc:"The user's IANA time zone; empty: the workspace's."`
	// Invited is a member of staff who has no password yet: invited, not
	// yet joined (they join by choosing one from their invitation).
	Invited bool `json:"invited,omitempty" doc:"A member of staff invited who has not yet chosen a password (joined)."`
}

// Customer is one of the tenant's clients being onboarded. Its contact
// details (email, phone, address, website) are keys of ContactInfo, checked
// when written (ContactKeys); other keys are kept as sent. An archived
// customer (ArchivedAt set) leaves the default customers list and takes no
// new project; its open projects go on.
type Customer struct {
	TenantID        uuid.UUID      `json:"tenant_id"`
	ID              uuid.UUID      `json:"id"`
	Name            string         `json:"name"`
	ContactInfo     map[string]any `json:"contact_info"`
	Segment         string         `json:"segment" doc:"How the vendor classifies the customer (Enterprise, Mid-market, SMB…); empty when unset."`
	SupportMemberID *uuid.UUID     `json:"support_member_id,omitempty"`
	ArchivedAt      *time.Time     `json:"archived_at,omitempty" doc:"When the customer was archived; absent while it is active."`
	// The account (docs/accounts.md).
	ParentID        *uuid.UUID      `json:"parent_id,omitempty" doc:"The parent customer in an account hierarchy; absent for a top-level customer."`
	ARR             *float64        `json:"arr,omitempty" doc:"Annual recurring revenue in the workspace's currency; absent when unknown."`
	RenewalDate     *string         `json:"renewal_date,omitempty" format:"date" doc:"When the contract renews, YYYY-MM-DD."`
	LifecycleStatus LifecycleStatus `json:"lifecycle_status" enum:"prospect,onboarding,active,churned"`
	ExternalID      *string         `json:"external_id,omitempty" doc:"The vendor's own id for the customer, unique in the workspace."`
	CustomFields    map[string]any  `json:"custom_fields" doc:"Values of the workspace's customer custom fields, by key."`
	// Children and Rollup are filled by GetCustomer for staff.
	Children  []CustomerRef   `json:"children,omitempty" doc:"The direct children (get-customer, staff only)."`
	Rollup    *CustomerRollup `json:"rollup,omitempty" doc:"The customer with all its descendants (get-customer, staff only)."`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Contact returns one of the customer's contact details (a ContactKeys
// key) as text, or "".
func (c *Customer) Contact(key string) string {
	if c == nil {
		return ""
	}
	s, _ := c.ContactInfo[key].(string)
	return s
}

// Archived reports whether the customer is archived.
func (c *Customer) Archived() bool { return c != nil && c.ArchivedAt != nil }

// Status is the state of a project or a task.
type Status string

const (
	StatusNotStarted Status = "not_started"
	StatusInProgress Status = "in_progress"
	StatusBlocked    Status = "blocked"
	StatusCompleted  Status = "completed"
	StatusOnHold     Status = "on_hold" // projects only
	StatusCancelled  Status = "cancelled"
)

// Visibility says who may see a task or an article.
type Visibility string

const (
	// Tasks.
	VisibilityCustomer Visibility = "customer"
	VisibilityInternal Visibility = "internal"
	// Articles.
	VisibilityPublic Visibility = "public"
)

// Project is an onboarding project of a customer. Progress is derived from
// its tasks, in the transaction that changes them, and so is Status, unless
// the project is on hold or cancelled: those are set by hand (Lifecycle),
// with a reason.
type Project struct {
	TenantID    uuid.UUID  `json:"tenant_id"`
	ID          uuid.UUID  `json:"id"`
	CustomerID  uuid.UUID  `json:"customer_id"`
	TemplateID  *uuid.UUID `json:"template_id,omitempty"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Status      Status     `json:"status"`
	Progress    float64    `json:"progress"`
	// StatusReason says why the project is on hold or cancelled; nil
	// otherwise.
	StatusReason *string `json:"status_reason,omitempty"`
	// StatusChangedAt is when the status last changed (for a project
	// older than this record, its completion or creation).
	StatusChangedAt time.Time  `json:"status_changed_at"`
	StartDate       time.Time  `json:"start_date"`
	Deadline        *time.Time `json:"deadline,omitempty"`
	// HeldDays is how many days the project has spent on hold: resuming
	// moved its deadline and its open tasks' due dates by them.
	HeldDays    int        `json:"held_days"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Overdue     bool       `json:"overdue"`
	// The delay scan's forecast: when the open tasks will likely be done,
	// and why the project is at risk when that passes the deadline.
	ForecastFinish *time.Time     `json:"forecast_finish,omitempty"`
	AtRisk         bool           `json:"at_risk"`
	RiskReason     *string        `json:"risk_reason,omitempty"`
	CustomFields   map[string]any `json:"custom_fields" doc:"Values of the workspace's project custom fields, by key."`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// EmbeddingDimensions is the length of every embedding: what the embedders
// produce and what the schema's vector(768) columns hold. Changing it
// needs a migration.
const EmbeddingDimensions = 768
