package playbook

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
)

// num writes a number without a needless fraction: 40, 12.5.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// money writes an amount with thousands separators: $120,000.
func money(f float64) string {
	neg := f < 0
	if neg {
		f = -f
	}
	whole := strconv.FormatFloat(f, 'f', 0, 64)
	if f != float64(int64(f)) {
		whole = strconv.FormatFloat(f, 'f', 2, 64)
	}
	intPart, frac, _ := strings.Cut(whole, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	s := "$" + b.String()
	if frac != "" {
		s += "." + frac
	}
	if neg {
		s = "-" + s
	}
	return s
}

func vars(r Run) map[string]string {
	v := map[string]string{
		"customer_name": "", "customer_arr": "", "renewal_date": "", "health_score": "", "previous_score": "",
		"health_level": "", "csm_name": "", "csm_email": "", "project_name": "", "task_title": "",
		"playbook_name": r.PlaybookName, "trigger": r.Trigger, "evidence": strings.Join(r.Evidence, "; "),
		"customer_url": "", "project_url": "",
	}
	f := r.Facts
	if f == nil {
		return v
	}
	c := f.Customer
	v["customer_name"] = c.Name
	v["customer_url"] = "/app/customers/" + c.ID.String()
	if c.ARR != nil {
		v["customer_arr"] = money(*c.ARR)
	}
	if c.RenewalDate != nil {
		v["renewal_date"] = c.RenewalDate.UTC().Format(time.DateOnly)
	}
	if h := c.Health; h != nil {
		v["health_score"] = strconv.Itoa(h.Score)
		if h.PreviousScore != nil {
			v["previous_score"] = strconv.Itoa(*h.PreviousScore)
		}
		v["health_level"] = h.LevelName
		if v["health_level"] == "" {
			v["health_level"] = h.Level
		}
	}
	if c.CSM != nil {
		v["csm_name"] = c.CSM.Name
		v["csm_email"] = c.CSM.Email
	}
	if f.Project != nil {
		v["project_name"] = f.Project.Name
		v["project_url"] = "/app/projects/" + f.Project.ID.String()
	}
	if f.Task != nil {
		v["task_title"] = f.Task.Title
	}
	return v
}

var varRE = regexp.MustCompile(`\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}`)

func fill(text string, vars map[string]string) string {
	return varRE.ReplaceAllStringFunc(text, func(m string) string {
		name := varRE.FindStringSubmatch(m)[1]
		if v, ok := vars[name]; ok {
			return v
		}
		return m
	})
}

// who says a recipient in words.
func who(to string, f *Facts) string {
	switch {
	case to == "csm":
		if f != nil && f.Customer.CSM != nil && f.Customer.CSM.Name != "" {
			return "the CSM (" + f.Customer.CSM.Name + ")"
		}
		return "the CSM"
	case to == "contacts":
		return "the customer's contacts"
	case to == "user:":
		return "a user not set yet"
	case strings.HasPrefix(to, "role:"):
		return "every " + strings.TrimPrefix(to, "role:")
	}
	return to
}

func andList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func describe(a onboardiq.PlaybookAction, f *Facts) string {
	var names []string
	for _, t := range a.To {
		names = append(names, who(t, f))
	}
	switch a.Type {
	case "webhook":
		format := a.Format
		if format == "" {
			format = "standard"
		}
		if a.URL == "" {
			return fmt.Sprintf("webhook: no URL set (would POST the %s body)", format)
		}
		return fmt.Sprintf("POST the %s body to %s", format, a.URL)
	case "email":
		if len(names) == 0 {
			if a.EmailTemplate == "" {
				return "email: no recipient set"
			}
			names = []string{"the customer's contacts"}
		}
		what := fmt.Sprintf("%q", a.Subject)
		if a.EmailTemplate != "" {
			what = fmt.Sprintf("the %q email template", a.EmailTemplate)
		}
		return fmt.Sprintf("email %s: %s", andList(names), what)
	case "notify":
		if len(names) == 0 {
			return "notify: no recipient set"
		}
		s := "notify " + andList(names)
		if a.Subject != "" {
			s += fmt.Sprintf(": %q", a.Subject)
		}
		return s
	case "create_task":
		where := "the customer's active project"
		if f != nil && f.Project != nil {
			where = f.Project.Name
		}
		assignee := "the CSM"
		if a.Assignee != "" && a.Assignee != "csm" {
			assignee = a.Assignee
		} else if f != nil && f.Customer.CSM != nil && f.Customer.CSM.Name != "" {
			assignee = "the CSM (" + f.Customer.CSM.Name + ")"
		}
		return fmt.Sprintf("create task %q in %s, due in %s, assigned to %s", a.Task, where, plural(a.DueDays, "day", "days"), assignee)
	case "start_project":
		return fmt.Sprintf("start a project from template %q", a.Template)
	case "set_stage":
		return "move the customer to stage " + a.Stage
	case "set_field":
		return fmt.Sprintf("set %s to %s", a.Field, quoteValue(a.Value))
	case "escalate":
		var steps []string
		for i, s := range a.Ladder {
			w := who(s.To, f)
			if i == 0 && s.AfterMinutes == 0 {
				steps = append(steps, w+" now")
			} else {
				steps = append(steps, fmt.Sprintf("then %s after %d min", w, s.AfterMinutes))
			}
		}
		s := "escalate: " + strings.Join(steps, ", ")
		for _, st := range a.Ladder {
			if st.To == "user:" {
				s += " (a step needs a user set)"
				break
			}
		}
		return s
	case "survey":
		return fmt.Sprintf("ask the contacts for a %s answer", strings.ToUpper(a.Survey))
	}
	return a.Type
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	if f, ok := scalar(v).(float64); ok {
		return num(f)
	}
	return fmt.Sprint(v)
}
