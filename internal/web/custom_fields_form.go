package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/onboardiq/onboardiq"
)

// customInputs are the custom-field inputs of a customer or project form
// (docs/accounts.md): one per field the workspace defines for the entity,
// named cf.<key>, typed (text, number, date, a select for one-of), with
// the value as typed and the store's error beside it.
type customInputs struct {
	Prefix string // of the inputs' ids
	Defs   []*onboardiq.CustomField
	Values map[string]string // by key
	Errors map[string]string // by key
}

// customInput is one input, for the custom_fields_inputs template.
type customInput struct {
	ID, Name, Label, Type, Value, Error string
	Options                             []string
}

// newCustomInputs starts the inputs from an entity's values.
func newCustomInputs(prefix string, defs []*onboardiq.CustomField, values map[string]any) *customInputs {
	c := &customInputs{Prefix: prefix, Defs: defs, Values: map[string]string{}, Errors: map[string]string{}}
	for _, d := range defs {
		c.Values[d.Key] = customText(values[d.Key])
	}
	return c
}

// readCustomInputs reads the inputs as sent.
func readCustomInputs(r *http.Request, prefix string, defs []*onboardiq.CustomField) *customInputs {
	c := &customInputs{Prefix: prefix, Defs: defs, Values: map[string]string{}, Errors: map[string]string{}}
	for _, d := range defs {
		c.Values[d.Key] = strings.TrimSpace(r.FormValue("cf." + d.Key))
	}
	return c
}

// Inputs are the inputs in the fields' order.
func (c *customInputs) Inputs() []customInput {
	if c == nil {
		return nil
	}
	out := make([]customInput, 0, len(c.Defs))
	for _, d := range c.Defs {
		in := customInput{ID: c.Prefix + "-cf-" + d.Key, Name: "cf." + d.Key, Label: d.Label, Type: "text",
			Value: c.Values[d.Key], Error: c.Errors[d.Key]}
		switch d.Type {
		case onboardiq.CustomFieldNumber:
			in.Type = "number"
		case onboardiq.CustomFieldDate:
			in.Type = "date"
		case onboardiq.CustomFieldOneOf:
			in.Type, in.Options = "select", d.Options
		}
		out = append(out, in)
	}
	return out
}

// values are the inputs as the store takes them: each sent field typed,
// an empty one as nil (which removes its value). A value not of its
// field's type is refused naming custom_fields.<key>; sent says which
// fields the form sent (all of them, for a new customer).
func (c *customInputs) values(sent func(name string) bool) (map[string]any, error) {
	out := map[string]any{}
	for _, d := range c.Defs {
		if !sent("cf." + d.Key) {
			continue
		}
		s := c.Values[d.Key]
		if s == "" {
			out[d.Key] = nil
			continue
		}
		v, err := onboardiq.CustomFieldValue(d, "custom_fields."+d.Key, s)
		if err != nil {
			return nil, err
		}
		out[d.Key] = v
	}
	return out, nil
}

// place puts err beside its custom field when it names one, and reports
// whether it did.
func (c *customInputs) place(err error) bool {
	key, ok := strings.CutPrefix(onboardiq.ErrorField(err), "custom_fields.")
	if !ok || c == nil {
		return false
	}
	for _, d := range c.Defs {
		if d.Key == key {
			c.Errors[key] = onboardiq.ErrorMessage(err)
			return true
		}
	}
	return false
}

// customValue is one custom field's value as a page shows it.
type customValue struct{ Label, Value string }

// customValues are an entity's custom field values, in the fields' order,
// those without a value left out.
func customValues(defs []*onboardiq.CustomField, values map[string]any) []customValue {
	var out []customValue
	for _, d := range defs {
		if s := customText(values[d.Key]); s != "" {
			out = append(out, customValue{Label: d.Label, Value: s})
		}
	}
	return out
}

// customText is a custom field's value as text: a number without a
// needless fraction, "" for none.
func customText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}
