package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// formState is a form of the customer, contact and project pages as it
// was sent: the values typed (kept when it is refused) and the errors, by
// field, that the store gave. The page shows each error beside its field
// (fieldView), and one about no field above the form.
type formState struct {
	ID     string            // prefix of the fields' ids: "customer" gives customer-name
	Values map[string]string // by field name
	Errors map[string]string // by field name
	Error  string            // about no one field
	// Custom holds the custom-field inputs of a customer form; nil on
	// the other forms.
	Custom *customInputs
}

// newFormState reads fields of r's form into a state with id prefix.
func newFormState(r *http.Request, id string, fields ...string) *formState {
	f := &formState{ID: id, Values: map[string]string{}, Errors: map[string]string{}}
	for _, name := range fields {
		f.Values[name] = strings.TrimSpace(r.FormValue(name))
	}
	return f
}

// emptyForm is a form not sent yet, with values to start from.
func emptyForm(id string, values map[string]string) *formState {
	if values == nil {
		values = map[string]string{}
	}
	return &formState{ID: id, Values: values, Errors: map[string]string{}}
}

// fail places err beside the field the store named, as the form calls
// it (fields maps the store's field names to the form's; a name not in it
// is the form's own), or above the form.
func (f *formState) fail(err error, fields map[string]string) {
	if f.Custom.place(err) {
		return
	}
	field := onboardiq.ErrorField(err)
	if name, ok := fields[field]; ok {
		f.Errors[name] = onboardiq.ErrorMessage(err)
		return
	}
	if _, ok := f.Values[field]; ok && field != "" {
		f.Errors[field] = onboardiq.ErrorMessage(err)
		return
	}
	f.Error = errText(err)
}

// Failed reports whether the form was refused: the page shows it open.
func (f *formState) Failed() bool {
	return f != nil && (f.Error != "" || len(f.Errors) > 0 || (f.Custom != nil && len(f.Custom.Errors) > 0))
}

// Value is what the form holds for a field.
func (f *formState) Value(name string) string {
	if f == nil {
		return ""
	}
	return f.Values[name]
}

// fieldView is one labelled field of a form, for the "field" template.
type fieldView struct {
	ID, Name, Label, Type, Value, Error string
	Required                            bool
	List                                string // a datalist's id
	Max                                 int    // maxlength; 0 for none
	Hint                                string
}

// Field is an optional field of the form: name, its label and input type
// ("textarea" for a text area).
func (f *formState) Field(name, label, typ string) fieldView {
	return fieldView{ID: f.ID + "-" + name, Name: name, Label: label, Type: typ, Value: f.Values[name], Error: f.Errors[name]}
}

// Required is Field for a field that must be filled in.
func (f *formState) Required(name, label, typ string) fieldView {
	v := f.Field(name, label, typ)
	v.Required = true
	return v
}

// WithList gives the field suggestions from the datalist id.
func (v fieldView) WithList(id string) fieldView { v.List = id; return v }

// WithMax bounds the field's length.
func (v fieldView) WithMax(n int) fieldView { v.Max = n; return v }

// WithHint adds a line of help under the label.
func (v fieldView) WithHint(s string) fieldView { v.Hint = s; return v }

// customerFields maps the store's names of a customer's fields to the
// form's.
var customerFields = map[string]string{
	"name": "name", "segment": "segment", "arr": "arr", "renewal_date": "renewal_date", "lifecycle_status": "lifecycle_status",
	"external_id":        "external_id",
	"contact_info.email": "email", "contact_info.phone": "phone", "contact_info.address": "address", "contact_info.website": "website",
}

// customerFormFields are the fields of the customer forms, in order.
var customerFormFields = []string{"name", "email", "phone", "address", "website", "segment",
	"lifecycle_status", "arr", "renewal_date", "external_id", "parent_id"}

// customerValues are a customer's details as the edit form starts.
func customerValues(c *onboardiq.Customer) map[string]string {
	v := map[string]string{"name": c.Name, "segment": c.Segment, "lifecycle_status": string(c.LifecycleStatus)}
	if c.ARR != nil {
		v["arr"] = strconv.FormatFloat(*c.ARR, 'f', -1, 64)
	}
	if c.RenewalDate != nil {
		v["renewal_date"] = *c.RenewalDate
	}
	if c.ExternalID != nil {
		v["external_id"] = *c.ExternalID
	}
	if c.ParentID != nil {
		v["parent_id"] = c.ParentID.String()
	}
	for _, k := range onboardiq.ContactKeys {
		v[k] = c.Contact(k)
	}
	return v
}

// contactInfo merges the form's contact details into info (other keys
// kept): an empty field drops its key.
func (f *formState) contactInfo(info map[string]any) map[string]any {
	out := make(map[string]any, len(info)+len(onboardiq.ContactKeys))
	for k, v := range info {
		out[k] = v
	}
	for _, k := range onboardiq.ContactKeys {
		if v := f.Values[k]; v != "" {
			out[k] = v
		} else {
			delete(out, k)
		}
	}
	return out
}

// LifecycleStatuses are the choices of the form's lifecycle status.
func (f *formState) LifecycleStatuses() []onboardiq.LifecycleStatus {
	return onboardiq.LifecycleStatuses
}

// accountPatch reads the form's account fields (docs/accounts.md) into
// patch: only those the form sent, an empty one cleared. An ARR that is no
// number is refused here, naming arr.
func (f *formState) accountPatch(r *http.Request, patch *onboardiq.CustomerPatch) error {
	sent := func(name string) bool { _, ok := r.PostForm[name]; return ok }
	text := func(name string) onboardiq.Patch[string] {
		if f.Values[name] == "" {
			return onboardiq.Patch[string]{Set: true, Null: true}
		}
		return onboardiq.Set(f.Values[name])
	}
	if sent("arr") {
		arr, err := f.arr()
		if err != nil {
			return err
		}
		patch.ARR = onboardiq.Patch[float64]{Set: true, Null: arr == nil}
		if arr != nil {
			patch.ARR.Value = *arr
		}
	}
	if sent("renewal_date") {
		patch.RenewalDate = text("renewal_date")
	}
	if sent("external_id") {
		patch.ExternalID = text("external_id")
	}
	if sent("parent_id") {
		patch.ParentID = onboardiq.Patch[uuid.UUID]{Set: true, Null: true}
		if v := f.Values["parent_id"]; v != "" {
			id, err := uuid.Parse(v)
			if err != nil {
				return onboardiq.Invalid("parent_id", "no such customer")
			}
			patch.ParentID = onboardiq.Set(id)
		}
	}
	if sent("lifecycle_status") && f.Values["lifecycle_status"] != "" {
		patch.LifecycleStatus = onboardiq.Set(onboardiq.LifecycleStatus(f.Values["lifecycle_status"]))
	}
	return nil
}

// arr reads the form's ARR: empty is none; thousands separators and a
// currency sign are allowed.
func (f *formState) arr() (*float64, error) {
	s := strings.NewReplacer(",", "", " ", "", "$", "", "€", "", "£", "").Replace(f.Values["arr"])
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, onboardiq.Invalid("arr", "must be a number such as 120000")
	}
	return &v, nil
}

// newAccount reads the form's account fields for a new customer.
func (f *formState) newAccount(in *onboardiq.NewCustomer) error {
	arr, err := f.arr()
	if err != nil {
		return err
	}
	in.ARR = arr
	if v := f.Values["renewal_date"]; v != "" {
		in.RenewalDate = &v
	}
	if v := f.Values["external_id"]; v != "" {
		in.ExternalID = &v
	}
	in.LifecycleStatus = onboardiq.LifecycleStatus(f.Values["lifecycle_status"])
	return nil
}
