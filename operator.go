package onboardiq

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Operator is whoever runs the installation, acting through an operator
// token (oiqop_…) on /api/v1/admin: it belongs to no tenant.
type Operator struct {
	TokenID uuid.UUID
	Name    string // the token's name
}

type operatorKey struct{}

// NewContextWithOperator returns a copy of ctx that carries o.
func NewContextWithOperator(ctx context.Context, o *Operator) context.Context {
	return context.WithValue(ctx, operatorKey{}, o)
}

// OperatorFromContext returns the operator carried by ctx, or nil.
func OperatorFromContext(ctx context.Context) *Operator {
	o, _ := ctx.Value(operatorKey{}).(*Operator)
	return o
}

// SubscriptionTiers are the plans a tenant can be on; what each allows is
// TierLimits (quota.go).
var SubscriptionTiers = []string{"starter", "professional", "business", "enterprise"}

// TenantStatus is where a tenant stands for its operator.
type TenantStatus string

// Tenant statuses: deleting wins over suspended (a tenant scheduled for
// deletion may be suspended too).
const (
	TenantActive    TenantStatus = "active"
	TenantSuspended TenantStatus = "suspended"
	TenantDeleting  TenantStatus = "deleting"
)

// OperatorTenant is a tenant as its operator sees it.
type OperatorTenant struct {
	ID               uuid.UUID    `json:"id"`
	Name             string       `json:"name"`
	Slug             string       `json:"slug"`
	SubscriptionTier *string      `json:"subscription_tier"`
	CreatedAt        time.Time    `json:"created_at"`
	Status           TenantStatus `json:"status"`
	SuspendedAt      *time.Time   `json:"suspended_at"`
	SuspendedReason  *string      `json:"suspended_reason"`
	DeleteAfter      *time.Time   `json:"delete_after"`
	Users            int          `json:"users"`
	// Quotas are its tier's and overrides' limits with the usage
	// (docs/quotas.md).
	Quotas *TenantQuotas `json:"quotas"`
}

// DefaultDeletionGrace is how long a tenant scheduled for deletion lives
// on, so that it can be exported or restored.
const DefaultDeletionGrace = 30 * 24 * time.Hour

// ProvisionUser is a staff member to create with a provisioned tenant.
type ProvisionUser struct {
	Email string
	Name  string
	Role  Role
}

// Provision is an operator's request for a new tenant: its admin and
// initial users are invited by email, never given a password.
type Provision struct {
	OrganizationName string
	AdminEmail       string
	SubscriptionTier string
	Slug             string // optional: made from the name when empty
	InitialUsers     []ProvisionUser
}

// MaxInitialUsers bounds a provisioning request's initial users.
const MaxInitialUsers = 100

// Validate normalises the request and reports the first bad field.
func (in *Provision) Validate() error {
	in.OrganizationName = strings.TrimSpace(in.OrganizationName)
	if err := checkText("organization_name", in.OrganizationName, 1, 200); err != nil {
		return err
	}
	email, err := normaliseEmail("admin_email", in.AdminEmail)
	if err != nil {
		return err
	}
	in.AdminEmail = email
	in.SubscriptionTier = strings.ToLower(strings.TrimSpace(in.SubscriptionTier))
	if in.SubscriptionTier != "" && !slices.Contains(SubscriptionTiers, in.SubscriptionTier) {
		return Invalid("subscription_tier", "must be one of %s", strings.Join(SubscriptionTiers, ", "))
	}
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	if in.Slug != "" && !slugRE.MatchString(in.Slug) {
		return Invalid("slug", "must be 1 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit")
	}
	if in.Slug == "" && Slugify(in.OrganizationName) == "" {
		return Invalid("slug", "is required: the organisation's name has no letters or digits to make one from")
	}
	if len(in.InitialUsers) > MaxInitialUsers {
		return Invalid("initial_users", "at most %d", MaxInitialUsers)
	}
	seen := map[string]bool{in.AdminEmail: true}
	for i := range in.InitialUsers {
		u := &in.InitialUsers[i]
		field := fmt.Sprintf("initial_users[%d]", i)
		if u.Role == "" {
			u.Role = RoleCSM
		}
		if !u.Role.IsStaff() {
			return Invalid(field+".role", "must be a staff role: admin, csm, sales_leader or viewer")
		}
		e, err := normaliseEmail(field+".email", u.Email)
		if err != nil {
			return err
		}
		u.Email = e
		if seen[e] {
			return Invalid(field+".email", "appears twice (the admin's email included)")
		}
		seen[e] = true
		if u.Name = strings.TrimSpace(u.Name); u.Name == "" {
			u.Name = strings.SplitN(e, "@", 2)[0]
		}
		if err := checkText(field+".name", u.Name, 1, 200); err != nil {
			return err
		}
	}
	return nil
}

// transliterations spell letters that do not decompose into an ASCII
// letter and accents.
var transliterations = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "ae", 'ø': "o", 'Ø': "o", 'œ': "oe", 'Œ': "oe", 'ł': "l", 'Ł': "l",
	'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th", 'ı': "i", '&': "-and-",
}

// accented maps Latin letters with accents to their base letter.
var accented = func() map[rune]rune {
	m := map[rune]rune{}
	for base, letters := range map[rune]string{
		'a': "àáâãäåāăąǎ", 'c': "çćĉċč", 'd': "ď", 'e': "èéêëēĕėęě", 'g': "ĝğġģ", 'h': "ĥħ",
		'i': "ìíîïĩīĭįǐ", 'j': "ĵ", 'k': "ķ", 'l': "ĺļľŀ", 'n': "ñńņňŉ", 'o': "òóôõöōŏőǒ",
		'r': "ŕŗř", 's': "śŝşšș", 't': "ţťŧț", 'u': "ùúûüũūŭůűųǔ", 'w': "ŵ", 'y': "ýÿŷ", 'z': "źżž",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// Slugify makes a workspace slug from an organisation's name: lowercase
// ASCII letters and digits, accents dropped ("Café Zürich" → cafe-zurich),
// everything else a single hyphen, at most 63 characters. It returns ""
// when nothing is left.
func Slugify(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case accented[r] != 0:
			b.WriteRune(accented[r])
		case transliterations[r] != "":
			b.WriteString(transliterations[r])
		default:
			b.WriteByte('-')
		}
	}
	parts := strings.FieldsFunc(b.String(), func(r rune) bool { return r == '-' })
	s := strings.Join(parts, "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}

// UniqueSlug is the n-th candidate for a slug: base itself, then base-2,
// base-3 …, shortened so that it stays within 63 characters.
func UniqueSlug(base string, n int) string {
	if n <= 1 {
		return base
	}
	suffix := fmt.Sprintf("-%d", n)
	if len(base)+len(suffix) > 63 {
		base = strings.TrimRight(base[:63-len(suffix)], "-")
	}
	return base + suffix
}
