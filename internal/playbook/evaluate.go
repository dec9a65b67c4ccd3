package playbook

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
)

// The condition operators.
var ops = []string{"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "is_set", "is_not_set"}

var fieldList = []Field{
	{"customer.name", "text", "The customer's name."},
	{"customer.external_id", "text", "The customer's ID in your CRM or billing system."},
	{"customer.segment", "text", "The customer's segment."},
	{"customer.lifecycle", "text", "The customer's lifecycle (onboarding, active, churned …)."},
	{"customer.stage", "text", "The key of the customer's journey stage (at_risk …)."},
	{"customer.arr", "number", "Annual recurring revenue."},
	{"customer.renewal_date", "date", "The renewal date, YYYY-MM-DD."},
	{"customer.renewal_days", "number", "Days until the renewal date (negative once past)."},
	{"customer.csm", "text", "The email of the customer's CSM."},
	{"customer.health.score", "number", "The health score, 0–100."},
	{"customer.health.previous_score", "number", "The score before the latest one."},
	{"customer.health.drop", "number", "How far the score fell at the latest computation (previous − score)."},
	{"customer.health.level", "text", "The health level's key (healthy, at_risk, critical …)."},
	{"customer.days_inactive", "number", "Days since the latest usage event or portal activity."},
	{"customer.cf.", "text", "A custom field of the customer, by key: customer.cf.plan."},
	{"project.name", "text", "The project's name."},
	{"project.status", "text", "The project's status."},
	{"project.progress", "number", "Percent of the project's tasks done."},
	{"project.days_late", "number", "Working days past the project's deadline (0: not late)."},
	{"project.template", "text", "The name of the template the project started from."},
	{"project.deadline", "date", "The project's deadline, YYYY-MM-DD."},
	{"project.cf.", "text", "A custom field of the project, by key: project.cf.tier."},
	{"task.title", "text", "The triggering task's title."},
	{"task.status", "text", "The task's status."},
	{"task.phase", "text", "The task's phase."},
	{"task.visible_to_customer", "bool", "Whether the customer sees the task in the portal."},
	{"task.blocked_reason", "text", "Why the task is blocked."},
	{"event.kind", "text", "The triggering event's kind."},
	{"event.", "text", "A value of the triggering event's data, or the new value of a change: event.key, event.to_stage."},
}

func fields() []Field { return append([]Field(nil), fieldList...) }

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// knownField reports whether name is a condition field: an exact name, or
// a prefix followed by a key.
func knownField(name string) bool {
	for _, f := range fieldList {
		if strings.HasSuffix(f.Name, ".") {
			if k, ok := strings.CutPrefix(name, f.Name); ok && keyRE.MatchString(k) {
				return true
			}
		} else if f.Name == name {
			return true
		}
	}
	return false
}

func date(t *time.Time) (any, bool) {
	if t == nil {
		return nil, false
	}
	return t.UTC().Format(time.DateOnly), true
}

func text(s string) (any, bool) { return s, s != "" }

func custom(m map[string]any, key string) (any, bool) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, false
	}
	return scalar(v), true
}

func lookup(f *Facts, field string) (any, bool) {
	if f == nil {
		return nil, false
	}
	c := &f.Customer
	if k, ok := strings.CutPrefix(field, "customer.cf."); ok {
		return custom(c.Custom, k)
	}
	if k, ok := strings.CutPrefix(field, "project.cf."); ok {
		if f.Project == nil {
			return nil, false
		}
		return custom(f.Project.Custom, k)
	}
	switch field {
	case "customer.name":
		return text(c.Name)
	case "customer.external_id":
		return text(c.ExternalID)
	case "customer.segment":
		return text(c.Segment)
	case "customer.lifecycle":
		return text(c.Lifecycle)
	case "customer.stage":
		return text(c.Stage)
	case "customer.arr":
		if c.ARR == nil {
			return nil, false
		}
		return *c.ARR, true
	case "customer.renewal_date":
		return date(c.RenewalDate)
	case "customer.renewal_days":
		if c.RenewalDate == nil {
			return nil, false
		}
		return float64(civilDays(f.Now, *c.RenewalDate)), true
	case "customer.csm":
		if c.CSM == nil {
			return nil, false
		}
		return text(c.CSM.Email)
	case "customer.health.score":
		if c.Health == nil {
			return nil, false
		}
		return float64(c.Health.Score), true
	case "customer.health.previous_score", "customer.health.drop":
		if c.Health == nil || c.Health.PreviousScore == nil {
			return nil, false
		}
		if field == "customer.health.drop" {
			return float64(*c.Health.PreviousScore - c.Health.Score), true
		}
		return float64(*c.Health.PreviousScore), true
	case "customer.health.level":
		if c.Health == nil {
			return nil, false
		}
		return text(c.Health.Level)
	case "customer.days_inactive":
		if f.LastActivityAt == nil {
			return nil, false
		}
		return float64(days(*f.LastActivityAt, f.Now)), true
	case "event.kind":
		if f.Event == nil {
			return nil, false
		}
		return text(string(f.Event.Kind))
	}
	if strings.HasPrefix(field, "project.") {
		p := f.Project
		if p == nil {
			return nil, false
		}
		switch field {
		case "project.name":
			return text(p.Name)
		case "project.status":
			return text(p.Status)
		case "project.progress":
			return float64(p.Progress), true
		case "project.days_late":
			return float64(p.DaysLate), true
		case "project.template":
			return text(p.Template)
		case "project.deadline":
			return date(p.Deadline)
		}
		return nil, false
	}
	if strings.HasPrefix(field, "task.") {
		t := f.Task
		if t == nil {
			return nil, false
		}
		switch field {
		case "task.title":
			return text(t.Title)
		case "task.status":
			return text(t.Status)
		case "task.phase":
			return text(t.Phase)
		case "task.visible_to_customer":
			return t.VisibleToCustomer, true
		case "task.blocked_reason":
			return text(t.BlockedReason)
		}
		return nil, false
	}
	if k, ok := strings.CutPrefix(field, "event."); ok && k != "" {
		e := f.Event
		if e == nil {
			return nil, false
		}
		if v, ok := e.Data[k]; ok {
			if v == nil {
				return nil, false
			}
			return scalar(v), true
		}
		if v, ok := e.Changes[k]; ok {
			if m, ok := v.(map[string]any); ok {
				if to, ok := m["to"]; ok {
					v = to
				}
			}
			if v == nil {
				return nil, false
			}
			return scalar(v), true
		}
	}
	return nil, false
}

// scalar gives a value the form conditions compare and files carry:
// numbers of any type as float64, text and booleans of named types as
// string and bool, lists of any type as []any of scalars, a time (YAML
// reads an unquoted 2027-01-01 as one) as a date; anything else (a map)
// as it is, for validation to refuse.
func scalar(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return v
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case time.Time:
		if x.Location() == time.UTC && x.Equal(x.Truncate(24*time.Hour)) {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = scalar(rv.Index(i).Interface())
		}
		return out
	}
	return v
}

// isScalar reports whether v is one value a condition or set_field may
// hold: text, a finite number (YAML can spell .inf and .nan, which JSON
// cannot carry), or a boolean.
func isScalar(v any) bool {
	switch x := v.(type) {
	case string, bool:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return false
}

func evaluate(c onboardiq.PlaybookConditions, f *Facts) (bool, []onboardiq.Condition) {
	seen := make([]onboardiq.Condition, 0, len(c.Rules))
	anyOf := c.Match == "any"
	ok := !anyOf
	for _, r := range c.Rules {
		v, has := lookup(f, r.Field)
		val := scalar(r.Value)
		hold := holds(r.Op, v, has, val)
		var saw any
		if has {
			saw = v
		}
		seen = append(seen, onboardiq.Condition{Field: r.Field, Op: r.Op, Value: r.Value, Saw: saw, OK: hold})
		if anyOf {
			ok = ok || hold
		} else {
			ok = ok && hold
		}
	}
	if len(c.Rules) == 0 {
		ok = true
	}
	return ok, seen
}

func holds(op string, v any, has bool, want any) bool {
	switch op {
	case "is_set":
		return has
	case "is_not_set":
		return !has
	}
	if !has {
		return false
	}
	switch op {
	case "eq":
		return equal(v, want)
	case "ne":
		return !equal(v, want)
	case "in", "not_in":
		list, ok := want.([]any)
		if !ok {
			return false
		}
		// A list fact (a multi-select custom field) is in the list when
		// any of its values is.
		facts, ok := v.([]any)
		if !ok {
			facts = []any{v}
		}
		in := false
		for _, x := range facts {
			for _, w := range list {
				in = in || equal(x, w)
			}
		}
		return in == (op == "in")
	case "contains":
		if list, ok := v.([]any); ok {
			for _, e := range list {
				if equal(e, want) {
					return true
				}
			}
			return false
		}
		s, ok1 := v.(string)
		w, ok2 := want.(string)
		if !ok2 {
			if _, isNum := want.(float64); isNum {
				w, ok2 = fmt.Sprint(want), true
			}
		}
		return ok1 && ok2 && strings.Contains(strings.ToLower(s), strings.ToLower(w))
	case "gt", "gte", "lt", "lte":
		c, ok := compare(v, want)
		if !ok {
			return false
		}
		switch op {
		case "gt":
			return c > 0
		case "gte":
			return c >= 0
		case "lt":
			return c < 0
		default:
			return c <= 0
		}
	}
	return false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func equal(a, b any) bool {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x == y
		}
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && strings.EqualFold(x, y)
	case bool:
		switch y := b.(type) {
		case bool:
			return x == y
		case string:
			return strings.EqualFold(y, strconv.FormatBool(x))
		}
	}
	return false
}

// compare orders a and b: as numbers when both are, as dates when both
// are YYYY-MM-DD; nothing else is ordered.
func compare(a, b any) (int, bool) {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if ok1 && ok2 && isDate(x) && isDate(y) {
		return strings.Compare(x, y), true
	}
	return 0, false
}
