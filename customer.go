package onboardiq

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// ContactKeys are the contact details a customer's ContactInfo holds under
// fixed keys, each text and checked when written: an email address, a
// phone number, a postal address and a website (http or https).
var ContactKeys = []string{"email", "phone", "address", "website"}

// Segments are the segments the console suggests; any text up to 100
// characters is accepted.
var Segments = []string{"Enterprise", "Mid-market", "SMB"}

// CheckContactInfo normalises a customer's contact details and reports the
// first bad one, naming it ("contact_info.email"). The ContactKeys must be
// text: trimmed, an empty one is dropped, an email address is lower-cased,
// a website without a scheme gets https://. Other keys are kept as sent
// (what integrations stored before the keys were fixed). It returns a new
// map; nil becomes empty.
func CheckContactInfo(info map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(info))
	for k, v := range info {
		out[k] = v
	}
	for _, key := range ContactKeys {
		v, ok := out[key]
		if !ok {
			continue
		}
		field := "contact_info." + key
		if v == nil {
			delete(out, key)
			continue
		}
		s, isText := v.(string)
		if !isText {
			return nil, Invalid(field, "must be text")
		}
		s = strings.TrimSpace(s)
		if s == "" {
			delete(out, key)
			continue
		}
		var err error
		switch key {
		case "email":
			s, err = normaliseEmail(field, s)
		case "phone":
			err = checkPhone(field, s)
		case "address":
			err = checkText(field, s, 1, 500)
		case "website":
			s, err = normaliseWebsite(field, s)
		}
		if err != nil {
			return nil, err
		}
		out[key] = s
	}
	return out, nil
}

// checkPhone accepts what people write as a phone number: digits with
// spaces, +, -, (, ), . and / between them, and an extension (x 12 or ext. 12).
func checkPhone(field, s string) error {
	if utf8.RuneCountInString(s) > 40 {
		return Invalid(field, "must be at most 40 characters")
	}
	digits := 0
	rest := strings.ToLower(s)
	for _, sep := range []string{"extension", "ext.", "ext", "x"} {
		if i := strings.LastIndex(rest, sep); i >= 0 {
			ext := strings.TrimSpace(rest[i+len(sep):])
			if ext == "" || strings.Trim(ext, "0123456789") != "" {
				return Invalid(field, "must be a phone number such as +1 555 0100")
			}
			rest = rest[:i]
			break
		}
	}
	for _, r := range rest {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().//", r):
		default:
			return Invalid(field, "must be a phone number such as +1 555 0100")
		}
	}
	if digits < 3 {
		return Invalid(field, "must be a phone number such as +1 555 0100")
	}
	return nil
}

// normaliseWebsite checks a website address: http or https with a host;
// one written without a scheme ("globex.example") gets https://.
func normaliseWebsite(field, s string) (string, error) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	bad := Invalid(field, "must be a web address such as https://globex.example")
	if utf8.RuneCountInString(s) > 2000 || strings.ContainsAny(s, " \t\r\n") {
		return "", bad
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return "", bad
	}
	return s, nil
}

// Apply applies the patch to c and validates the result, naming the first
// bad field.
func (cp *CustomerPatch) Apply(c *Customer) error {
	if !cp.Name.ApplyValue(&c.Name) {
		return Invalid("name", "is required")
	}
	if !cp.ContactInfo.ApplyValue(&c.ContactInfo) {
		c.ContactInfo = map[string]any{}
	}
	if !cp.Segment.ApplyValue(&c.Segment) {
		c.Segment = ""
	}
	cp.ParentID.Apply(&c.ParentID)
	cp.ARR.Apply(&c.ARR)
	cp.RenewalDate.Apply(&c.RenewalDate)
	if !cp.LifecycleStatus.ApplyValue(&c.LifecycleStatus) {
		return Invalid("lifecycle_status", "must be prospect, onboarding, active or churned")
	}
	cp.ExternalID.Apply(&c.ExternalID)
	if c.ParentID != nil && *c.ParentID == c.ID {
		return Invalid("parent_id", "must not be the customer itself")
	}
	in := NewCustomer{Name: c.Name, ContactInfo: c.ContactInfo, Segment: c.Segment,
		ARR: c.ARR, RenewalDate: c.RenewalDate, LifecycleStatus: c.LifecycleStatus, ExternalID: c.ExternalID}
	if err := in.Validate(); err != nil {
		return err
	}
	c.Name, c.ContactInfo, c.Segment = in.Name, in.ContactInfo, in.Segment
	c.ARR, c.RenewalDate, c.LifecycleStatus, c.ExternalID = in.ARR, in.RenewalDate, in.LifecycleStatus, in.ExternalID
	// The custom fields merge; the store checks them against the definitions.
	c.CustomFields = mergeCustomFields(c.CustomFields, cp.CustomFields)
	return nil
}

// NewContact is what adding a contact to a customer takes: a tenant user
// with role customer, who is sent an invitation to the portal.
type NewContact struct {
	Name  string
	Email string
}

// ContactPatch changes a customer's contact: name, email, and whether they
// are disabled (a disabled contact cannot sign in).
type ContactPatch struct {
	Name     Patch[string]
	Email    Patch[string]
	Disabled Patch[bool]
}

// Apply applies the patch to u and validates the result, naming the first
// bad field.
func (cp *ContactPatch) Apply(u *User) error {
	if !cp.Name.ApplyValue(&u.Name) {
		return Invalid("name", "is required")
	}
	if !cp.Email.ApplyValue(&u.Email) {
		return Invalid("email", "is required")
	}
	if !cp.Disabled.ApplyValue(&u.Disabled) {
		return Invalid("disabled", "must be true or false")
	}
	in := NewUser{Email: u.Email, Name: u.Name, Role: RoleCustomer, CustomerID: u.CustomerID}
	if err := in.Validate(); err != nil {
		return err
	}
	u.Email, u.Name = in.Email, in.Name
	return nil
}
