package onboardiq_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

func TestNewTenantValidate(t *testing.T) {
	t.Parallel()
	ok := onboardiq.NewTenant{Name: " Acme ", Slug: " ACME-eu ", AdminEmail: " Ana@Acme.TEST "}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if ok.Name != "Acme" || ok.Slug != "acme-eu" || ok.AdminEmail != "ana@acme.test" || ok.AdminName != "ana" {
		t.Errorf("normalised to %+v", ok)
	}
	for field, in := range map[string]onboardiq.NewTenant{
		"name":        {Slug: "a", AdminEmail: "a@b.c"},
		"slug":        {Name: "A", Slug: "-a", AdminEmail: "a@b.c"},
		"admin_email": {Name: "A", Slug: "a", AdminEmail: "Ana <a@b.c>"},
	} {
		if err := in.Validate(); onboardiq.ErrorField(err) != field || onboardiq.ErrorCode(err) != onboardiq.EINVALID {
			t.Errorf("%+v: %v, want an invalid %s", in, err, field)
		}
	}
}

func TestNewUserValidate(t *testing.T) {
	t.Parallel()
	c := uuid.New()
	for field, in := range map[string]onboardiq.NewUser{
		"email":       {Email: "nope", Name: "N", Role: "csm"},
		"name":        {Email: "a@b.c", Role: "csm"},
		"role":        {Email: "a@b.c", Name: "N", Role: "owner"},
		"customer_id": {Email: "a@b.c", Name: "N", Role: "customer"},
		"password":    {Email: "a@b.c", Name: "N", Role: "viewer", Password: "short"},
	} {
		if err := in.Validate(); onboardiq.ErrorField(err) != field {
			t.Errorf("%+v: %v, want an invalid %s", in, err, field)
		}
	}
	staffWithCustomer := onboardiq.NewUser{Email: "a@b.c", Name: "N", Role: "csm", CustomerID: &c}
	if err := staffWithCustomer.Validate(); onboardiq.ErrorField(err) != "customer_id" {
		t.Errorf("staff with a customer: %v", err)
	}
	contact := onboardiq.NewUser{Email: "a@b.c", Name: "N", Role: "customer", CustomerID: &c}
	if err := contact.Validate(); err != nil {
		t.Errorf("contact: %v", err)
	}
}

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	if onboardiq.ErrorCode(nil) != "" || onboardiq.ErrorCode(errString("x")) != onboardiq.EINTERNAL {
		t.Error("ErrorCode")
	}
	if onboardiq.ErrorMessage(errString("secret detail")) != "internal error" {
		t.Error("an internal error's text reached the user")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestCheckPasswordCountsCharacters(t *testing.T) {
	t.Parallel()
	for pw, ok := range map[string]bool{
		"short":                  false,
		"ten chars!":             true,
		"пароль-пароль":          true, // 13 characters, 25 bytes
		strings.Repeat("é", 200): true, // 200 characters, 400 bytes
		strings.Repeat("é", 201): false,
		"ééééé":                  false, // 5 characters, 10 bytes
		strings.Repeat("a", 200): true,
	} {
		if err := onboardiq.CheckPassword("password", pw); (err == nil) != ok {
			t.Errorf("CheckPassword(%d characters, %d bytes): %v", len([]rune(pw)), len(pw), err)
		}
	}
}
