package onboardiq

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// LifecycleStatus is where a customer stands with the vendor (docs/accounts.md):
// a prospect has not signed; onboarding (the default) is being set up;
// active is live and in use; churned has left.
type LifecycleStatus string

const (
	LifecycleProspect   LifecycleStatus = "prospect"
	LifecycleOnboarding LifecycleStatus = "onboarding"
	LifecycleActive     LifecycleStatus = "active"
	LifecycleChurned    LifecycleStatus = "churned"
)

// LifecycleStatuses are the lifecycle statuses, in their usual order.
var LifecycleStatuses = []LifecycleStatus{LifecycleProspect, LifecycleOnboarding, LifecycleActive, LifecycleChurned}

// Valid reports whether s is one of LifecycleStatuses.
func (s LifecycleStatus) Valid() bool { return slices.Contains(LifecycleStatuses, s) }

// Label is the status as the console shows it.
func (s LifecycleStatus) Label() string {
	switch s {
	case LifecycleProspect:
		return "Prospect"
	case LifecycleOnboarding:
		return "Onboarding"
	case LifecycleActive:
		return "Active"
	case LifecycleChurned:
		return "Churned"
	}
	return string(s)
}

// MaxARR is the largest annual recurring revenue a customer may have
// (the column is numeric(14, 2)).
const MaxARR = 999_999_999_999.99

// MaxHierarchyDepth is how many levels a customer hierarchy may have: a
// customer at the fifth level below no parent may have no children.
const MaxHierarchyDepth = 5

// CustomerRef names a customer: a child in a customer's detail.
type CustomerRef struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// CustomerRollup sums a customer with all its descendants.
type CustomerRollup struct {
	ARR       float64 `json:"arr" doc:"The ARR of the customer and all its descendants, in currency."`
	Currency  string  `json:"currency" doc:"The workspace's currency (ISO 4217)."`
	Customers int     `json:"customers" doc:"How many customers the sum covers: the customer and all its descendants."`
	Health    *int    `json:"health" doc:"The health of the customer and its descendants: the mean of their scores weighted by ARR (equal weights when none has ARR); null when none has a score."`
}

// checkARR reports a negative, too large or non-finite ARR, and rounds it
// to cents.
func checkARR(v *float64) error {
	if v == nil {
		return nil
	}
	switch {
	case math.IsNaN(*v) || math.IsInf(*v, 0):
		return Invalid("arr", "must be a number")
	case *v < 0:
		return Invalid("arr", "must not be negative")
	case *v > MaxARR:
		return Invalid("arr", "must be at most %.2f", MaxARR)
	}
	*v = math.Round(*v*100) / 100
	return nil
}

// checkDate checks a YYYY-MM-DD date within the supported years.
func checkDate(field, s string) error {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Invalid(field, "must be a date as YYYY-MM-DD")
	}
	if d.Year() < MinYear || d.Year() > MaxYear {
		return Invalid(field, "must be a date between the years %d and %d", MinYear, MaxYear)
	}
	return nil
}

// checkAccount normalises and checks the account fields a customer's
// create and patch share; an empty external id or renewal date is unset.
func checkAccount(arr *float64, renewal **string, status *LifecycleStatus, externalID **string) error {
	if err := checkARR(arr); err != nil {
		return err
	}
	if *renewal != nil {
		s := strings.TrimSpace(**renewal)
		if s == "" {
			*renewal = nil
		} else {
			if err := checkDate("renewal_date", s); err != nil {
				return err
			}
			*renewal = &s
		}
	}
	if *status == "" {
		*status = LifecycleOnboarding
	}
	if !status.Valid() {
		return Invalid("lifecycle_status", "must be prospect, onboarding, active or churned")
	}
	if *externalID != nil {
		s := strings.TrimSpace(**externalID)
		if s == "" {
			*externalID = nil
		} else {
			if err := checkText("external_id", s, 1, 100); err != nil {
				return err
			}
			*externalID = &s
		}
	}
	return nil
}

// CustomFieldEntity is what a custom field describes.
type CustomFieldEntity string

const (
	CustomFieldCustomer CustomFieldEntity = "customer"
	CustomFieldProject  CustomFieldEntity = "project"
)

// CustomFieldType is the type of a custom field's values.
type CustomFieldType string

const (
	CustomFieldText   CustomFieldType = "text"   // up to 1,000 characters
	CustomFieldNumber CustomFieldType = "number" // a JSON number
	CustomFieldDate   CustomFieldType = "date"   // YYYY-MM-DD
	CustomFieldOneOf  CustomFieldType = "one_of" // one of the options
)

// CustomField is a field the tenant defines on its customers or projects.
type CustomField struct {
	ID        uuid.UUID         `json:"id"`
	Entity    CustomFieldEntity `json:"entity" enum:"customer,project"`
	Key       string            `json:"key" doc:"The field's name in custom_fields: [a-z0-9_]{1,40}, unique per entity."`
	Label     string            `json:"label"`
	Type      CustomFieldType   `json:"type" enum:"text,number,date,one_of"`
	Options   []string          `json:"options" doc:"The values a one_of field takes; empty for the other types."`
	Position  int               `json:"position" doc:"Where the field is shown, ascending."`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

var customFieldKey = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// NewCustomField is what defining a custom field takes.
type NewCustomField struct {
	Entity   CustomFieldEntity
	Key      string
	Label    string
	Type     CustomFieldType
	Options  []string
	Position int
}

// Validate normalises the definition and reports the first bad field.
func (in *NewCustomField) Validate() error {
	if in.Entity != CustomFieldCustomer && in.Entity != CustomFieldProject {
		return Invalid("entity", "must be customer or project")
	}
	in.Key = strings.TrimSpace(in.Key)
	if !customFieldKey.MatchString(in.Key) {
		return Invalid("key", "must be 1 to 40 lower-case letters, digits or underscores")
	}
	return checkCustomFieldShape(&in.Label, in.Type, &in.Options, in.Position)
}

func checkCustomFieldShape(label *string, typ CustomFieldType, options *[]string, position int) error {
	*label = strings.TrimSpace(*label)
	if err := checkText("label", *label, 1, 100); err != nil {
		return err
	}
	switch typ {
	case CustomFieldText, CustomFieldNumber, CustomFieldDate:
		if len(*options) > 0 {
			return Invalid("options", "are only for a one_of field")
		}
		*options = []string{}
	case CustomFieldOneOf:
		if len(*options) == 0 || len(*options) > 50 {
			return Invalid("options", "a one_of field needs 1 to 50 options")
		}
		seen := map[string]bool{}
		for i, o := range *options {
			o = strings.TrimSpace(o)
			if err := checkText("options", o, 1, 100); err != nil {
				return err
			}
			if seen[o] {
				return Invalid("options", "%q is listed twice", o)
			}
			seen[o] = true
			(*options)[i] = o
		}
	default:
		return Invalid("type", "must be text, number, date or one_of")
	}
	if position < 0 || position > 10000 {
		return Invalid("position", "must be between 0 and 10000")
	}
	return nil
}

// CustomFieldPatch changes a custom field's label, options or position;
// its entity, key and type stay (a new type would invalidate the values).
type CustomFieldPatch struct {
	Label    Patch[string]
	Options  Patch[[]string]
	Position Patch[int]
}

// Apply applies the patch to f and validates the result.
func (fp *CustomFieldPatch) Apply(f *CustomField) error {
	if !fp.Label.ApplyValue(&f.Label) {
		return Invalid("label", "is required")
	}
	if !fp.Options.ApplyValue(&f.Options) {
		f.Options = nil
	}
	if !fp.Position.ApplyValue(&f.Position) {
		f.Position = 0
	}
	f.Options = slices.Clone(f.Options)
	return checkCustomFieldShape(&f.Label, f.Type, &f.Options, f.Position)
}

// CheckCustomFields checks custom field values against the definitions of
// their entity and returns them normalised (text trimmed, an empty text or
// a null dropped), naming the first bad one ("custom_fields.<key>"): an
// unknown key, or a value not of the field's type.
func CheckCustomFields(defs []*CustomField, values map[string]any) (map[string]any, error) {
	byKey := make(map[string]*CustomField, len(defs))
	for _, d := range defs {
		byKey[d.Key] = d
	}
	out := make(map[string]any, len(values))
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := values[k]
		field := "custom_fields." + k
		if v == nil {
			continue
		}
		d, ok := byKey[k]
		if !ok {
			return nil, Invalid(field, "is not a custom field of this workspace")
		}
		nv, err := checkCustomValue(d, field, v)
		if err != nil {
			return nil, err
		}
		if nv != nil {
			out[k] = nv
		}
	}
	return out, nil
}

func checkCustomValue(d *CustomField, field string, v any) (any, error) {
	s, isText := v.(string)
	if isText {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
	}
	switch d.Type {
	case CustomFieldText:
		if !isText {
			return nil, Invalid(field, "must be text")
		}
		if utf8.RuneCountInString(s) > 1000 {
			return nil, Invalid(field, "must be at most 1000 characters")
		}
		return s, nil
	case CustomFieldNumber:
		var f float64
		switch n := v.(type) {
		case float64:
			f = n
		case int:
			f = float64(n)
		case int64:
			f = float64(n)
		default:
			return nil, Invalid(field, "must be a number")
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, Invalid(field, "must be a number")
		}
		return f, nil
	case CustomFieldDate:
		if !isText {
			return nil, Invalid(field, "must be a date as YYYY-MM-DD")
		}
		if err := checkDate(field, s); err != nil {
			return nil, err
		}
		return s, nil
	case CustomFieldOneOf:
		if !isText || !slices.Contains(d.Options, s) {
			return nil, Invalid(field, "must be one of: %s", strings.Join(d.Options, ", "))
		}
		return s, nil
	}
	return nil, Invalid(field, "has an unknown type")
}

// CustomFieldValue parses a value given as text (a list filter, a form)
// to the field's type, naming the field on error.
func CustomFieldValue(d *CustomField, field, s string) (any, error) {
	var in any = s
	if d.Type == CustomFieldNumber && strings.TrimSpace(s) != "" {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, Invalid(field, "must be a number")
		}
		in = f
	}
	v, err := checkCustomValue(d, field, in)
	if err == nil && v == nil {
		return nil, Invalid(field, "must not be empty")
	}
	return v, err
}

// mergeCustomFields applies a patch of custom field values: a key sent
// replaces the value (null removes it, once checked), the patch null
// removes every value.
func mergeCustomFields(values map[string]any, p Patch[map[string]any]) map[string]any {
	switch {
	case !p.Set:
		return values
	case p.Null:
		return map[string]any{}
	}
	merged := make(map[string]any, len(values)+len(p.Value))
	for k, v := range values {
		merged[k] = v
	}
	for k, v := range p.Value {
		merged[k] = v
	}
	return merged
}

// ARRValue is the customer's ARR, 0 when unknown (ARR nil).
func (c *Customer) ARRValue() float64 {
	if c == nil || c.ARR == nil {
		return 0
	}
	return *c.ARR
}
