package onboardiq

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ImportKind is what a CSV import creates (docs/import.md).
type ImportKind string

// The kinds of import.
const (
	ImportCustomers ImportKind = "customers" // customers, with a contact per row
	ImportUsers     ImportKind = "users"     // staff (invited) and customer contacts
	ImportProjects  ImportKind = "projects"  // projects of existing customers, from a template
	ImportTasks     ImportKind = "tasks"     // tasks of existing projects
)

// ImportKinds lists the kinds, in the order the console offers them.
var ImportKinds = []ImportKind{ImportCustomers, ImportUsers, ImportProjects, ImportTasks}

// Valid reports whether k is a known kind.
func (k ImportKind) Valid() bool { return slices.Contains(ImportKinds, k) }

// ImportField is one thing an import reads from a column.
type ImportField struct {
	Name     string   `json:"name"`
	Aliases  []string `json:"aliases,omitempty"`
	Required bool     `json:"required"`
	Doc      string   `json:"doc"`
}

// ImportFields returns the fields of an import of kind, in the order the
// guess gives them columns (docs/import.md lists them).
func ImportFields(kind ImportKind) []ImportField {
	switch kind {
	case ImportCustomers:
		return []ImportField{
			{Name: "name", Required: true, Aliases: []string{"customer", "customer name", "company", "company name", "account", "account name", "organization", "organisation"},
				Doc: "The customer's name. A customer of the same name (ignoring case) is updated when the file has no external_id column."},
			{Name: "external_id", Aliases: []string{"id", "customer id", "account id", "crm id", "record id"},
				Doc: "Your own id for the customer; an existing customer with it is updated."},
			{Name: "segment", Aliases: []string{"customer segment", "plan"}, Doc: "Up to 100 characters."},
			{Name: "arr", Aliases: []string{"annual recurring revenue", "revenue", "contract value"}, Doc: "A number, in the workspace's currency: 12000, 12,000.50 or 12000,50."},
			{Name: "renewal_date", Aliases: []string{"renewal", "renews on", "contract end", "contract end date"}, Doc: "YYYY-MM-DD."},
			{Name: "lifecycle_status", Aliases: []string{"lifecycle", "status", "stage"}, Doc: "prospect, onboarding, active or churned."},
			{Name: "csm_email", Aliases: []string{"csm", "owner", "owner email", "account owner", "customer success manager"},
				Doc: "The email of a CSM or admin of the workspace, who looks after the customer."},
			{Name: "contact_name", Aliases: []string{"contact", "full name", "contact full name"}, Doc: "A contact of the customer; the email is needed too."},
			{Name: "contact_email", Aliases: []string{"email", "e-mail", "email address", "contact e-mail"},
				Doc: "A contact's email: a new contact is added (not invited); a contact of the customer with it is renamed."},
		}
	case ImportUsers:
		return []ImportField{
			{Name: "email", Required: true, Aliases: []string{"e-mail", "email address", "mail"}, Doc: "The user's email; an existing user with it is renamed."},
			{Name: "name", Required: true, Aliases: []string{"full name", "user", "user name"}, Doc: "Up to 200 characters."},
			{Name: "role", Required: true, Aliases: []string{"user role", "type"}, Doc: "admin, csm, sales_leader, viewer, or customer (a contact: then customer is needed)."},
			{Name: "customer", Aliases: []string{"customer name", "company", "account", "customer external id"},
				Doc: "For a contact: the customer's external id or name."},
		}
	case ImportProjects:
		return []ImportField{
			{Name: "name", Required: true, Aliases: []string{"project", "project name"}, Doc: "The project's name; a project of that customer with that name already is left alone."},
			{Name: "customer", Required: true, Aliases: []string{"customer name", "company", "account", "customer external id"}, Doc: "The customer's external id or name."},
			{Name: "template", Aliases: []string{"template name", "playbook"}, Doc: "A template's name; the default template when empty."},
			{Name: "start_date", Aliases: []string{"start", "starts on", "kickoff", "kick-off date"}, Doc: "YYYY-MM-DD; today when empty."},
			{Name: "deadline", Aliases: []string{"go live", "go-live date", "due date", "target date"}, Doc: "YYYY-MM-DD."},
			{Name: "description", Aliases: []string{"notes", "details"}, Doc: "Up to 2,000 characters."},
		}
	case ImportTasks:
		return []ImportField{
			{Name: "title", Required: true, Aliases: []string{"task", "task name", "description", "name"}, Doc: "The task; a task of that project with that title already is left alone."},
			{Name: "project", Required: true, Aliases: []string{"project name"}, Doc: "The project's name (with customer when two customers have projects of that name)."},
			{Name: "customer", Aliases: []string{"customer name", "company", "account"}, Doc: "The project's customer, by external id or name."},
			{Name: "due_date", Aliases: []string{"due", "due on", "deadline"}, Doc: "YYYY-MM-DD."},
			{Name: "assignee_email", Aliases: []string{"assignee", "owner", "assigned to"}, Doc: "A staff user, or a contact of the project's customer."},
			{Name: "phase", Aliases: []string{"stage", "section", "group"}, Doc: "Up to 100 characters."},
			{Name: "visibility", Aliases: []string{"visible to"}, Doc: "customer (the default) or internal."},
			{Name: "details", Aliases: []string{"notes"}, Doc: "Markdown, up to 20,000 characters."},
		}
	}
	return nil
}

// ImportMode says what a real import does with rows that have problems.
type ImportMode string

// The modes.
const (
	ImportAllOrNothing ImportMode = "all"  // any problem: nothing is imported (the default)
	ImportRowByRow     ImportMode = "rows" // rows with problems are skipped and reported; the rest go in
)

// ImportStatus is where an import is.
type ImportStatus string

// The statuses.
const (
	ImportDraft   ImportStatus = "draft"   // uploaded in the console, mapping being edited
	ImportQueued  ImportStatus = "queued"  // waiting for its job
	ImportRunning ImportStatus = "running" // being loaded
	ImportDone    ImportStatus = "done"    // loaded
	ImportFailed  ImportStatus = "failed"  // nothing loaded: see Error and Problems
)

// ImportProblem is something wrong with one row or one field of it.
type ImportProblem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"` // 1-based; 0 when about the whole row
	Field   string `json:"field"`  // the column's header name; "" for the whole row
	Message string `json:"message"`
}

func (p ImportProblem) String() string {
	switch {
	case p.Column > 0:
		return fmt.Sprintf("line %d, column %d (%s): %s", p.Line, p.Column, p.Field, p.Message)
	case p.Line > 0:
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// ImportCounts says what an import did, or what it would do.
type ImportCounts struct {
	Create int `json:"create"` // rows that create something
	Update int `json:"update"` // rows that change something that exists
	Same   int `json:"same"`   // rows that match what exists and change nothing
	Skip   int `json:"skip"`   // rows with problems (skipped in row-by-row mode)
}

// Import is an import's report: a dry run's, or a real one's as it goes.
type Import struct {
	ID         *uuid.UUID        `json:"id"` // nil for a dry run: nothing is stored
	Kind       ImportKind        `json:"kind"`
	Status     ImportStatus      `json:"status"`
	DryRun     bool              `json:"dry_run"`
	Mode       ImportMode        `json:"mode"`
	Filename   string            `json:"filename"`
	Encoding   string            `json:"encoding"`
	Delimiter  string            `json:"delimiter"`
	Header     []string          `json:"header"`
	Fields     []ImportField     `json:"fields"`
	Mapping    map[string]string `json:"mapping"` // field → the header of its column; fields without one are left out
	Missing    []string          `json:"missing"` // required fields without a column
	Rows       int               `json:"rows"`
	Processed  int               `json:"processed"` // rows loaded so far (progress)
	Counts     ImportCounts      `json:"counts"`
	Problems   []ImportProblem   `json:"problems"`
	Preview    []ImportRow       `json:"preview"` // the first rows as the import reads them
	Error      string            `json:"error,omitempty"`
	CreatedBy  *uuid.UUID        `json:"created_by"`
	CreatedAt  *time.Time        `json:"created_at"`
	FinishedAt *time.Time        `json:"finished_at"`
}

// ImportRow is one row as the import reads it: its line, its values by
// field and what it would do.
type ImportRow struct {
	Line   int               `json:"line"`
	Values map[string]string `json:"values"`
	Action string            `json:"action"` // create, update, same or skip
}

// ImportPreviewRows is how many rows a report shows.
const ImportPreviewRows = 10

// MaxImportProblems is how many problems a report lists; past it, the
// last one says how many more there are.
const MaxImportProblems = 1000

// ImportOptions is what starting an import takes besides the file.
type ImportOptions struct {
	Kind     ImportKind
	DryRun   bool
	Mode     ImportMode
	Filename string
	// Mapping maps fields to headers, overriding the guess; "" leaves a
	// field without a column.
	Mapping map[string]string
}

// Validate normalises the options and names the first bad one.
func (o *ImportOptions) Validate() error {
	if !o.Kind.Valid() {
		return Invalid("kind", "must be one of customers, users, projects, tasks")
	}
	switch o.Mode {
	case "":
		o.Mode = ImportAllOrNothing
	case ImportAllOrNothing, ImportRowByRow:
	default:
		return Invalid("mode", "must be all (nothing is imported when a row has a problem) or rows (rows with problems are skipped)")
	}
	o.Filename = strings.TrimSpace(o.Filename)
	if len(o.Filename) > 255 {
		o.Filename = o.Filename[:255]
	}
	fields := ImportFields(o.Kind)
	for name := range o.Mapping {
		if !slices.ContainsFunc(fields, func(f ImportField) bool { return f.Name == name }) {
			return Invalid("mapping", "%s: no such field of a %s import", name, o.Kind)
		}
	}
	return nil
}

// CheckEmail normalises an email address (trimmed, lower case) and names
// field when it is not one.
func CheckEmail(field, s string) (string, error) { return normaliseEmail(field, s) }

// CheckDate parses a YYYY-MM-DD date within the years the product takes,
// naming field when it is not one.
func CheckDate(field, s string) (time.Time, error) {
	if err := checkDate(field, s); err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.DateOnly, s)
}

// ParseImportMapping reads mapping overrides written field=Header, as the
// API's map parameter and the command line's --map take them ("field=#3"
// for the third column, "field=" for none).
func ParseImportMapping(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(pairs))
	for _, m := range pairs {
		field, header, ok := strings.Cut(m, "=")
		if !ok {
			return nil, Invalid("map", "%q: each is field=Header", m)
		}
		out[strings.TrimSpace(field)] = strings.TrimSpace(header)
	}
	return out, nil
}
