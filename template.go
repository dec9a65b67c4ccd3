package onboardiq

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Template is a plan of tasks: phases of tasks with due dates relative to the
// project start.
type Template struct {
	ID          uuid.UUID      `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	IsDefault   bool           `json:"is_default"`
	Tasks       []TemplateTask `json:"tasks"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// Validate normalises a template's fields and tasks, naming the first bad
// one (tasks[3].side, say).
func (t *Template) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if err := checkText("name", t.Name, 1, 200); err != nil {
		return err
	}
	if err := checkText("description", t.Description, 0, 10000); err != nil {
		return err
	}
	if len(t.Tasks) == 0 || len(t.Tasks) > 500 {
		return Invalid("tasks", "must hold 1 to 500 tasks")
	}
	for i := range t.Tasks {
		if err := t.Tasks[i].validate(); err != nil {
			e := err.(*Error)
			e.Field = "tasks[" + strconv.Itoa(i) + "]." + e.Field
			return e
		}
	}
	return nil
}

func (pt *TemplateTask) validate() error {
	pt.Phase, pt.Description = strings.TrimSpace(pt.Phase), strings.TrimSpace(pt.Description)
	if pt.Visibility == "" {
		pt.Visibility = VisibilityCustomer
	}
	for _, err := range []error{
		checkText("phase", pt.Phase, 1, 100),
		checkText("description", pt.Description, 1, 500),
		checkText("details", pt.Details, 0, 20000),
	} {
		if err != nil {
			return err
		}
	}
	switch {
	case pt.OffsetDays < 0 || pt.OffsetDays > 3650:
		return Invalid("offset_days", "must be between 0 and 3650")
	case pt.DurationDays < 0 || pt.DurationDays > 3650:
		return Invalid("duration_days", "must be between 0 and 3650")
	case pt.Side != "customer" && pt.Side != "vendor":
		return Invalid("side", "must be customer or vendor")
	case pt.Visibility != VisibilityCustomer && pt.Visibility != VisibilityInternal:
		return Invalid("visibility", "must be customer or internal")
	}
	return nil
}

// TemplateTask is one task of a template: when it is due relative to the
// project start, who does it, and who sees it.
type TemplateTask struct {
	Phase        string     `json:"phase"`
	Description  string     `json:"description"`
	Details      string     `json:"details"`
	OffsetDays   int        `json:"offset_days"`
	DurationDays int        `json:"duration_days"`
	Side         string     `json:"side"` // "customer" or "vendor"
	Visibility   Visibility `json:"visibility"`
}

// DefaultTemplateName is the template every new tenant starts with.
const DefaultTemplateName = "Standard B2B onboarding"

// DefaultTemplate is the classic eight-week B2B onboarding plan: kickoff
// (week 1), technical setup (weeks 1–2), training (weeks 2–3), go-live
// (weeks 3–4) and post-launch (weeks 4–8).
var DefaultTemplate = []TemplateTask{
	{"Kickoff", "Internal: review the sales handoff notes", "Read the deal notes, success criteria and any promises made during the sale before the kickoff call.", 0, 1, "vendor", VisibilityInternal},
	{"Kickoff", "Kickoff call: goals, scope and success criteria", "Introduce both teams, agree the goals, the scope of the first phase, and how success will be measured.", 0, 2, "vendor", VisibilityCustomer},
	{"Kickoff", "Name a project owner and a technical contact", "Tell us who owns the project on your side and who will handle the technical setup (SSO, API, data).", 1, 3, "customer", VisibilityCustomer},
	{"Kickoff", "Share the project plan and communication channels", "Send the agreed plan, the weekly check-in slot and the shared channel for questions.", 2, 3, "vendor", VisibilityCustomer},
	{"Technical setup", "Create the production workspace", "Provision the customer's production workspace and the sandbox, and invite the technical contact.", 3, 2, "vendor", VisibilityCustomer},
	{"Technical setup", "Configure single sign-on (SSO)", "Connect your identity provider (Okta, Microsoft Entra ID or Google Workspace) with SAML 2.0 or OpenID Connect. See the SSO set-up article.", 5, 5, "customer", VisibilityCustomer},
	{"Technical setup", "Create API keys and connect the first integration", "Create a production API key, store it in your secret manager, and make a first authenticated call.", 7, 5, "customer", VisibilityCustomer},
	{"Technical setup", "Import your historical data", "Export your data as CSV, run a dry-run import in the sandbox, fix the reported rows, then import into production.", 8, 5, "customer", VisibilityCustomer},
	{"Technical setup", "Register webhooks for downstream systems", "Register your endpoints, verify the signatures, and send a test event.", 10, 3, "customer", VisibilityCustomer},
	{"Training", "Admin training session", "A 60-minute session for workspace admins: users and roles, security settings, integrations.", 10, 3, "vendor", VisibilityCustomer},
	{"Training", "End-user training session", "A 45-minute session for everyday users, recorded for those who cannot attend.", 14, 3, "vendor", VisibilityCustomer},
	{"Training", "Invite all users and assign roles", "Invite your users (or provision them through SSO) and give each the right role.", 15, 4, "customer", VisibilityCustomer},
	{"Go-live", "Complete the go-live checklist", "Work through the go-live checklist: SSO enforced, keys rotated, imports verified, webhooks live.", 18, 4, "customer", VisibilityCustomer},
	{"Go-live", "Go-live readiness review", "Review the checklist together and agree the go-live date and the rollback plan.", 21, 2, "vendor", VisibilityCustomer},
	{"Go-live", "Switch production traffic on", "Point your production systems at Acme Platform and confirm the first live transactions.", 23, 2, "customer", VisibilityCustomer},
	{"Go-live", "Hypercare: daily check-ins for the first week", "Daily 15-minute check-ins during the first week live; watch error rates and adoption.", 24, 5, "vendor", VisibilityCustomer},
	{"Post-launch", "30-day adoption review", "Review usage, open issues and the success criteria agreed at kickoff.", 30, 5, "vendor", VisibilityCustomer},
	{"Post-launch", "Share feedback on the onboarding", "Tell us what went well and what did not; a short survey arrives by email.", 40, 7, "customer", VisibilityCustomer},
	{"Post-launch", "Internal: hand off to account management", "Write the handoff note: contacts, open risks, expansion opportunities.", 48, 4, "vendor", VisibilityInternal},
	{"Post-launch", "Onboarding close-out and success plan", "Close the onboarding and agree the success plan for the next quarter.", 52, 4, "vendor", VisibilityCustomer},
}
