package onboardiq

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// NewTenant is what creating a tenant takes.
type NewTenant struct {
	Name       string
	Slug       string
	AdminEmail string
	AdminName  string
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// Validate normalises the input and reports the first bad field.
func (in *NewTenant) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	if err := checkText("name", in.Name, 1, 200); err != nil {
		return err
	}
	if !slugRE.MatchString(in.Slug) {
		return Invalid("slug", "must be 1 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit")
	}
	email, err := normaliseEmail("admin_email", in.AdminEmail)
	if err != nil {
		return err
	}
	in.AdminEmail = email
	if in.AdminName = strings.TrimSpace(in.AdminName); in.AdminName == "" {
		in.AdminName = strings.SplitN(email, "@", 2)[0]
	}
	return checkText("admin_name", in.AdminName, 1, 200)
}

// NewUser is what creating a tenant user takes.
type NewUser struct {
	Email      string
	Name       string
	Role       Role
	CustomerID *uuid.UUID // required for RoleCustomer, refused otherwise
	Password   string     // optional; stored as an argon2id hash
}

// Validate normalises the input and reports the first bad field.
func (in *NewUser) Validate() error {
	email, err := normaliseEmail("email", in.Email)
	if err != nil {
		return err
	}
	in.Email = email
	in.Name = strings.TrimSpace(in.Name)
	if err := checkText("name", in.Name, 1, 200); err != nil {
		return err
	}
	if !in.Role.Valid() {
		return Invalid("role", "must be one of admin, csm, sales_leader, viewer, customer")
	}
	switch {
	case in.Role == RoleCustomer && in.CustomerID == nil:
		return Invalid("customer_id", "is required for a customer contact")
	case in.Role != RoleCustomer && in.CustomerID != nil:
		return Invalid("customer_id", "is only for users with role customer")
	}
	if in.Password != "" {
		return CheckPassword("password", in.Password)
	}
	return nil
}

// The length a password must have, in characters.
const (
	MinPassword = 10
	MaxPassword = 200
)

// CheckPassword is the one rule for a new password: 10 to 200 characters
// (not bytes: a passphrase in any script counts the same).
func CheckPassword(field, pw string) error {
	if n := utf8.RuneCountInString(pw); n < MinPassword || n > MaxPassword {
		return Invalid(field, "must be %d to %d characters", MinPassword, MaxPassword)
	}
	return nil
}

func normaliseEmail(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > 254 {
		return "", Invalid(field, "must be an email address such as ana@example.com")
	}
	return s, nil
}

// The years a time may fall in, in UTC and in its own zone. Outside them a
// time cannot be written as RFC 3339 (JSON), so one such value would break
// every list that shows it.
const (
	MinYear = 1970
	MaxYear = 9999
)

// CheckTime reports a time outside MinYear–MaxYear as invalid input about
// field.
func CheckTime(field string, t time.Time) error {
	if y, yu := t.Year(), t.UTC().Year(); y < MinYear || y > MaxYear || yu < MinYear || yu > MaxYear {
		return Invalid(field, "must be a time between the years %d and %d", MinYear, MaxYear)
	}
	return nil
}

func checkText(field, s string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen && minLen == 1:
		return Invalid(field, "is required")
	case n < minLen:
		return Invalid(field, "must be at least %d characters", minLen)
	case n > maxLen:
		return Invalid(field, "must be at most %d characters", maxLen)
	}
	return nil
}

// NewCustomer is what creating a customer takes.
type NewCustomer struct {
	Name            string
	ContactInfo     map[string]any // contact details under ContactKeys, and free-form keys
	Segment         string
	SupportMemberID *uuid.UUID
	// The account (docs/accounts.md); the store checks the parent and the
	// custom fields.
	ParentID        *uuid.UUID
	ARR             *float64
	RenewalDate     *string
	LifecycleStatus LifecycleStatus // "" is onboarding
	ExternalID      *string
	CustomFields    map[string]any
}

// Validate normalises the input and reports the first bad field: the
// contact details are checked (CheckContactInfo) and the segment is at most
// 100 characters.
func (in *NewCustomer) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	if err := checkText("name", in.Name, 1, 200); err != nil {
		return err
	}
	info, err := CheckContactInfo(in.ContactInfo)
	if err != nil {
		return err
	}
	in.ContactInfo = info
	in.Segment = strings.TrimSpace(in.Segment)
	if err := checkText("segment", in.Segment, 0, 100); err != nil {
		return err
	}
	if in.CustomFields == nil {
		in.CustomFields = map[string]any{}
	}
	if in.ARR != nil {
		v := *in.ARR
		in.ARR = &v
	}
	return checkAccount(in.ARR, &in.RenewalDate, &in.LifecycleStatus, &in.ExternalID)
}

// NewArticle is what creating a knowledge-base article takes.
type NewArticle struct {
	Title      string
	Content    string
	Visibility Visibility
	Tags       []string
	Slug       string // optional stable name, unique in the tenant
}

// Validate normalises the input and reports the first bad field.
func (in *NewArticle) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	if err := checkText("title", in.Title, 1, 100); err != nil {
		return err
	}
	if err := checkText("content", in.Content, 0, 100000); err != nil {
		return err
	}
	if in.Visibility != VisibilityPublic && in.Visibility != VisibilityInternal {
		return Invalid("visibility", "must be public or internal")
	}
	if in.Tags == nil {
		in.Tags = []string{}
	}
	for i, t := range in.Tags {
		in.Tags[i] = strings.ToLower(strings.TrimSpace(t))
		if err := checkText("tags", in.Tags[i], 1, 50); err != nil {
			return err
		}
	}
	return nil
}

// NewProject is what creating a project takes. With a TemplateID, the
// template's tasks are instantiated with due dates counted from StartDate,
// and a missing Deadline is the end of the template's last task.
type NewProject struct {
	CustomFields map[string]any // checked by the store against the project custom fields
	CustomerID   uuid.UUID
	Name         string
	Description  string
	StartDate    time.Time // zero means now
	Deadline     *time.Time
	TemplateID   *uuid.UUID
}

// Validate normalises the input and reports the first bad field.
func (in *NewProject) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.CustomerID == uuid.Nil {
		return Invalid("customer_id", "is required")
	}
	if err := checkText("name", in.Name, 1, 200); err != nil {
		return err
	}
	if err := checkText("description", in.Description, 0, 10000); err != nil {
		return err
	}
	if in.StartDate.IsZero() {
		in.StartDate = time.Now()
	}
	if err := CheckTime("start_date", in.StartDate); err != nil {
		return err
	}
	if in.Deadline != nil {
		if err := CheckTime("deadline", *in.Deadline); err != nil {
			return err
		}
	}
	if in.Deadline != nil && in.Deadline.Before(in.StartDate) {
		return Invalid("deadline", "must not be before the start date")
	}
	return nil
}

// CustomerPatch changes a customer. ContactInfo replaces the whole map;
// null empties it, as does a null Segment.
type CustomerPatch struct {
	Name        Patch[string]
	ContactInfo Patch[map[string]any]
	Segment     Patch[string]
	// Null clears the parent, ARR, renewal date and external id.
	ParentID        Patch[uuid.UUID]
	ARR             Patch[float64]
	RenewalDate     Patch[string]
	LifecycleStatus Patch[LifecycleStatus]
	ExternalID      Patch[string]
	// CustomFields merges into the values: a key sent with null removes
	// it; the whole patch null removes every value.
	CustomFields Patch[map[string]any]
}

// ProjectPatch changes a project. Status and progress are derived from the
// tasks and cannot be patched.
type ProjectPatch struct {
	Name        Patch[string]
	Description Patch[string]
	Deadline    Patch[time.Time]
	// CustomFields merges into the values, as CustomerPatch's does.
	CustomFields Patch[map[string]any]
}

// Apply applies the patch to p and validates the result.
func (pp *ProjectPatch) Apply(p *Project) error {
	if !pp.Name.ApplyValue(&p.Name) {
		return Invalid("name", "is required")
	}
	if !pp.Description.ApplyValue(&p.Description) {
		p.Description = ""
	}
	pp.Deadline.Apply(&p.Deadline)
	p.CustomFields = mergeCustomFields(p.CustomFields, pp.CustomFields)
	if p.Deadline != nil {
		if err := CheckTime("deadline", *p.Deadline); err != nil {
			return err
		}
	}
	p.Name = strings.TrimSpace(p.Name)
	if err := checkText("name", p.Name, 1, 200); err != nil {
		return err
	}
	if err := checkText("description", p.Description, 0, 10000); err != nil {
		return err
	}
	if p.Deadline != nil && p.Deadline.Before(p.StartDate) {
		return Invalid("deadline", "must not be before the start date")
	}
	return nil
}

// UserPatch changes a user.
type UserPatch struct {
	Name     Patch[string]
	Role     Patch[Role]
	Disabled Patch[bool]
	Password Patch[string]
}
