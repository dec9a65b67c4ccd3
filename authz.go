package onboardiq

import (
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// SystemPrincipal is the operator at the command line: an admin of tenant
// who is no user (events record no actor).
func SystemPrincipal(tenantID uuid.UUID) *Principal {
	return &Principal{TenantID: tenantID, Role: RoleAdmin, Name: "command line"}
}

// IsSystem reports whether p is the command-line operator.
func (p *Principal) IsSystem() bool { return p.UserID == uuid.Nil }

// Actor returns the user to record as the actor of a change, or nil.
func (p *Principal) Actor() *uuid.UUID {
	if p.IsSystem() {
		return nil
	}
	return &p.UserID
}

// IsCustomer reports whether p is a contact of one of the tenant's customers.
func (p *Principal) IsCustomer() bool { return p.Role == RoleCustomer }

// Action is something a role may or may not do. The store checks it
// (p.Check) and the pages ask it (p.Can) before showing a control, so a
// page shows a control exactly when the store would accept it.
type Action string

// The actions. Reading what one's role may see is not listed: the store
// scopes reads (customer contacts see only their own customer's part).
const (
	ReadActivity     Action = "read_activity"      // staff
	ReadDashboard    Action = "read_dashboard"     // staff
	ReadUsers        Action = "read_users"         // staff
	ReadTemplates    Action = "read_templates"     // staff
	ReadSettings     Action = "read_settings"      // staff: notification settings
	UseStaffAI       Action = "use_staff_ai"       // staff: summaries, troubleshooting, similar items
	EditCustomers    Action = "edit_customers"     // managers: create, change, delete, assign a CSM
	EditProjects     Action = "edit_projects"      // managers
	EditTasks        Action = "edit_tasks"         // managers: create, change, delete, status
	CommentOnTasks   Action = "comment_on_tasks"   // managers (contacts comment through the portal's own rule)
	EditArticles     Action = "edit_articles"      // managers
	ManageUsers      Action = "manage_users"       // admins
	ManageTemplates  Action = "manage_templates"   // admins
	ManageWebhooks   Action = "manage_webhooks"    // admins: endpoints and the delivery log
	ManageSettings   Action = "manage_settings"    // admins: notification settings, the portal's branding
	ManageHolidays   Action = "manage_holidays"    // admins: the working-day calendar
	ManageAI         Action = "manage_ai"          // admins: budget, audit log, status
	ManageOthersKeys Action = "manage_others_keys" // admins: other users' API tokens
	IngestUsage      Action = "ingest_usage"       // admins: send usage events (API tokens have no scopes)
	ReadUsage        Action = "read_usage"         // staff: a customer's usage, the core features
	ManageUsage      Action = "manage_usage"       // admins: the core features
	ReadPlaybooks    Action = "read_playbooks"     // managers: playbooks and their executions
	RunPlaybooks     Action = "run_playbooks"      // managers: run a playbook by hand, dry-run it
	ManagePlaybooks  Action = "manage_playbooks"   // admins: create, change, delete, import
	ExportWorkspace  Action = "export_workspace"   // admins: the whole workspace as one JSON archive
	ImportData       Action = "import_data"        // admins: CSV imports of customers, users, projects and tasks

	// ManageIntegrations is the admins': CRM connections, their mapping
	// rules and the inbound CRM log (docs/crm.md).
	ManageIntegrations Action = "manage_integrations"
)

// actions says who may do each action, and how the refusal reads.
var actions = map[Action]struct {
	roles []Role
	what  string // "your role (viewer) may not <what>"
}{
	ReadActivity:     {Staff, "read the activity log"},
	ReadDashboard:    {Staff, "see the dashboard"},
	ReadUsers:        {Staff, "read users"},
	ReadTemplates:    {Staff, "read templates"},
	ReadSettings:     {Staff, "read notification settings"},
	UseStaffAI:       {Staff, "use the staff assistant"},
	EditCustomers:    {Managers, "change customers"},
	EditProjects:     {Managers, "change projects"},
	EditTasks:        {Managers, "change tasks"},
	CommentOnTasks:   {Managers, "comment on tasks"},
	EditArticles:     {Managers, "write articles"},
	ManageUsers:      {Admins, "manage users"},
	ManageTemplates:  {Admins, "manage templates"},
	ManageWebhooks:   {Admins, "manage webhooks"},
	ManageSettings:   {Admins, "change the workspace's settings"},
	ManageHolidays:   {Admins, "change the holidays"},
	ManageAI:         {Admins, "manage the AI settings"},
	ManageOthersKeys: {Admins, "manage other users' tokens"},
	IngestUsage:      {Admins, "send usage events"},
	ReadUsage:        {Staff, "read usage"},
	ManageUsage:      {Admins, "change the core features"},
	ReadPlaybooks:    {Managers, "read playbooks"},
	RunPlaybooks:     {Managers, "run playbooks"},
	ManagePlaybooks:  {Admins, "manage playbooks"},
	ExportWorkspace:  {Admins, "export the workspace"},
	ImportData:       {Admins, "import data"},

	ManageIntegrations: {Admins, "manage CRM connections"},
}

// Actions lists every action.
func Actions() []Action {
	out := make([]Action, 0, len(actions))
	for a := range actions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Can reports whether p may do a. An unknown action is never allowed.
func (p *Principal) Can(a Action) bool {
	if p == nil {
		return false
	}
	return slices.Contains(actions[a].roles, p.Role)
}

// Check returns EFORBIDDEN, saying what was refused, unless p may do a.
func (p *Principal) Check(a Action) error {
	if p.Can(a) {
		return nil
	}
	what := actions[a].what
	if what == "" {
		what = string(a)
	}
	return &Error{Code: EFORBIDDEN, Message: fmt.Sprintf("your role (%s) may not %s", p.Role, what)}
}

// Role sets.
var (
	// Managers run the onboarding: customers, projects, tasks, articles.
	Managers = []Role{RoleAdmin, RoleCSM}
	// Staff are the vendor's people, who may read everything in the tenant.
	Staff = []Role{RoleAdmin, RoleCSM, RoleSalesLeader, RoleViewer}
	// Admins manage users, templates and settings.
	Admins = []Role{RoleAdmin}
)

// CanChangeTaskStatus reports whether p may change t's status (and its
// blocked reason): staff who may edit tasks; a customer contact, on a task
// of their own customer that customers see, when it is open and assigned to
// one of their company's contacts, or when it is done and they marked it
// done (so they can reopen it); never a cancelled one (cancelling is the
// team's, see ContactMaySetStatus). The store checks it and the pages ask
// it before showing the status controls.
func CanChangeTaskStatus(p *Principal, t *Task) bool {
	if p == nil || t == nil {
		return false
	}
	if !p.IsCustomer() {
		return p.Can(EditTasks)
	}
	if !seesTask(p, t) {
		return false
	}
	switch t.Status {
	case StatusCompleted:
		return t.CompletedBy != nil && *t.CompletedBy == p.UserID
	case StatusCancelled:
		return false
	}
	return t.CustomerSide
}

// ContactMaySetStatus reports whether a customer contact may give a task
// status s (on a task CanChangeTaskStatus lets them change): not started,
// in progress, blocked or completed; cancelling a task is the team's call.
func ContactMaySetStatus(s Status) bool { return s.Valid() && s != StatusCancelled }

// CanCommentOnTask reports whether p may comment on t: staff who may
// comment; a customer contact, on every task they can see (their own
// customer's, visible to customers).
func CanCommentOnTask(p *Principal, t *Task) bool {
	if p == nil || t == nil {
		return false
	}
	if !p.IsCustomer() {
		return p.Can(CommentOnTasks)
	}
	return seesTask(p, t)
}

// seesTask reports whether the customer contact p may see t: a task of
// their own customer that is visible to customers.
func seesTask(p *Principal, t *Task) bool {
	return p.CustomerID != nil && *p.CustomerID == t.CustomerID && t.Visibility == VisibilityCustomer
}
