package onboardiq

import (
	"net/mail"
	"regexp"
	"strings"
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
	if in.Password != "" && (len(in.Password) < 10 || len(in.Password) > 200) {
		return Invalid("password", "must be 10 to 200 characters")
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
