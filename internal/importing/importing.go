// Package importing checks a CSV file read by csvin against the fields of
// an import (docs/import.md): it maps columns to fields (guessed, then as
// the user chose), reads every row into the values the store takes and
// lists every problem by line and column, before the workspace is asked
// anything. It is pure; the store (internal/postgres, imports.go) matches
// the rows against the workspace and loads them.
package importing

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/csvin"
)

// File is a checked file.
type File struct {
	// Report has the header, the fields and their columns, the required
	// fields without one, the number of rows and the problems found so
	// far. The store adds what the workspace finds.
	Report  onboardiq.Import
	Records []*Record // the rows without a problem, in file order

	columns map[string]int
	bad     map[int]bool
}

// Record is one good row, read into what the store takes. Only the part of
// its kind is set.
type Record struct {
	Line   int
	Values map[string]string // trimmed, by field name

	// customers: the customer, its CSM's email and a contact
	Customer *onboardiq.NewCustomer
	CSMEmail string
	Contact  *onboardiq.NewContact
	// Also are the later rows of the same customer (their contacts).
	Also []*Record

	// users
	User *onboardiq.NewUser

	// projects and tasks (and users, for a contact): the customer by
	// external id or name
	CustomerRef string

	// projects
	Project  *onboardiq.NewProject
	Template string

	// tasks
	Title, ProjectName, Assignee, Phase, Details string
	Due                                          *time.Time
	Visibility                                   onboardiq.Visibility
}

// Parse checks t against the fields of o.Kind, with the columns guessed
// from the header and then as o.Mapping says (a field mapped to "" has no
// column). A mapping naming a header the file lacks, or one column for two
// fields, is an EINVALID error about "mapping".
func Parse(t *csvin.Table, o onboardiq.ImportOptions) (*File, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	fields := onboardiq.ImportFields(o.Kind)
	cf := make([]csvin.Field, len(fields))
	for i, f := range fields {
		cf[i] = csvin.Field{Name: f.Name, Aliases: f.Aliases, Required: f.Required}
	}
	m := csvin.Guess(t.Header, cf)
	for field, header := range o.Mapping {
		m.Columns[field] = -1
		if header == "" {
			continue
		}
		c := column(t.Header, header)
		if c < 0 {
			return nil, onboardiq.Invalid("mapping", "%s: the file has no column %q", field, header)
		}
		m.Columns[field] = c
	}
	// A column the user gave a field is taken from the field the guess
	// gave it.
	for field, c := range m.Columns {
		if _, chosen := o.Mapping[field]; c < 0 || chosen {
			continue
		}
		for other, header := range o.Mapping {
			if header != "" && column(t.Header, header) == c && other != field {
				m.Columns[field] = -1
			}
		}
	}
	if err := m.Check(t.Header); err != nil {
		return nil, onboardiq.Invalid("mapping", "%s", err)
	}
	f := &File{columns: m.Columns, bad: map[int]bool{}}
	f.Report = onboardiq.Import{Kind: o.Kind, Status: onboardiq.ImportDraft, DryRun: o.DryRun, Mode: o.Mode, Filename: o.Filename,
		Encoding: t.Encoding, Delimiter: string(t.Delimiter), Header: t.Header, Fields: fields, Mapping: map[string]string{},
		Missing: m.Missing(), Rows: len(t.Rows), Problems: []onboardiq.ImportProblem{}, Preview: []onboardiq.ImportRow{}}
	if f.Report.Missing == nil {
		f.Report.Missing = []string{}
	}
	for name, c := range m.Columns {
		if c >= 0 {
			f.Report.Mapping[name] = t.Header[c]
		}
	}
	for _, p := range t.Problems {
		f.Report.Problems = append(f.Report.Problems, onboardiq.ImportProblem(p))
		f.bad[p.Line] = true
	}
	if len(f.Report.Missing) > 0 {
		return f, nil
	}
	read := readers[o.Kind]
	keys := map[string]*Record{}
	for _, row := range t.Rows {
		if f.bad[row.Line] {
			continue
		}
		r := &Record{Line: row.Line, Values: make(map[string]string, len(fields))}
		for _, fd := range fields {
			if v := strings.TrimSpace(m.Value(row, fd.Name)); v != "" {
				r.Values[fd.Name] = v
			}
		}
		key, err := read(r)
		if err != nil {
			f.problem(r.Line, onboardiq.ErrorField(err), "%s", onboardiq.ErrorMessage(err))
			continue
		}
		if first, ok := keys[key]; ok {
			if o.Kind != onboardiq.ImportCustomers {
				f.problem(r.Line, "", "the same %s as line %d", keyName[o.Kind], first.Line)
				continue
			}
			if field := differs(first, r); field != "" {
				f.problem(r.Line, field, "the customer of line %d has another %s there", first.Line, field)
				continue
			}
			first.Also = append(first.Also, r)
			continue
		}
		keys[key] = r
		f.Records = append(f.Records, r)
	}
	return f, nil
}

// column finds a header by name, as the mapping names it (ignoring case
// and surrounding spaces), or by its 1-based number ("#3").
func column(header []string, name string) int {
	if n, ok := strings.CutPrefix(name, "#"); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 1 && i <= len(header) {
			return i - 1
		}
	}
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(name)) {
			return i
		}
	}
	return -1
}

// Problem adds a problem about field of the row at line (the whole row
// when field has no column) and marks the row bad.
func (f *File) Problem(line int, field, format string, args ...any) {
	f.problem(line, field, format, args...)
}

func (f *File) problem(line int, field, format string, args ...any) {
	f.bad[line] = true
	p := onboardiq.ImportProblem{Line: line, Message: fmt.Sprintf(format, args...)}
	if c, ok := f.columns[field]; ok && c >= 0 {
		p.Column, p.Field = c+1, f.Report.Header[c]
	} else if field != "" {
		p.Message = field + ": " + p.Message
	}
	f.Report.Problems = append(f.Report.Problems, p)
}

// Bad reports whether the row at line has a problem.
func (f *File) Bad(line int) bool { return f.bad[line] }

var keyName = map[onboardiq.ImportKind]string{
	onboardiq.ImportUsers:    "email",
	onboardiq.ImportProjects: "customer and project name",
	onboardiq.ImportTasks:    "project and title",
}

// readers read a row's values into its record and return the key that
// tells two rows of the same thing apart.
var readers = map[onboardiq.ImportKind]func(*Record) (string, error){
	onboardiq.ImportCustomers: readCustomer,
	onboardiq.ImportUsers:     readUser,
	onboardiq.ImportProjects:  readProject,
	onboardiq.ImportTasks:     readTask,
}

func readCustomer(r *Record) (string, error) {
	v := r.Values
	c := &onboardiq.NewCustomer{Name: v["name"], Segment: v["segment"], LifecycleStatus: onboardiq.LifecycleStatus(strings.ToLower(v["lifecycle_status"]))}
	if s := v["arr"]; s != "" {
		n, err := Number(s)
		if err != nil {
			return "", onboardiq.Invalid("arr", "%s", err)
		}
		c.ARR = &n
	}
	if s := v["renewal_date"]; s != "" {
		c.RenewalDate = &s
	}
	if s := v["external_id"]; s != "" {
		c.ExternalID = &s
	}
	if err := c.Validate(); err != nil {
		return "", err
	}
	r.Customer = c
	if s := v["csm_email"]; s != "" {
		email, err := onboardiq.CheckEmail("csm_email", s)
		if err != nil {
			return "", err
		}
		r.CSMEmail = email
	}
	switch name, email := v["contact_name"], v["contact_email"]; {
	case email != "":
		e, err := onboardiq.CheckEmail("contact_email", email)
		if err != nil {
			return "", err
		}
		if name == "" {
			name = e[:strings.IndexByte(e, '@')]
		}
		if len(name) > 200 {
			return "", onboardiq.Invalid("contact_name", "must be at most 200 characters")
		}
		r.Contact = &onboardiq.NewContact{Name: name, Email: e}
	case name != "":
		return "", onboardiq.Invalid("contact_email", "is needed with contact_name")
	}
	if c.ExternalID != nil {
		return "id:" + *c.ExternalID, nil
	}
	return "name:" + strings.ToLower(c.Name), nil
}

// differs names the first customer field that two rows of one customer
// both give, differently; "" when they agree.
func differs(a, b *Record) string {
	for _, f := range []string{"name", "segment", "arr", "renewal_date", "lifecycle_status", "csm_email"} {
		x, y := a.Values[f], b.Values[f]
		if x != "" && y != "" && !strings.EqualFold(x, y) {
			return f
		}
	}
	return ""
}

func readUser(r *Record) (string, error) {
	v := r.Values
	role := onboardiq.Role(strings.ToLower(strings.ReplaceAll(v["role"], " ", "_")))
	if role == "contact" {
		role = onboardiq.RoleCustomer
	}
	u := &onboardiq.NewUser{Email: v["email"], Name: v["name"], Role: role}
	r.CustomerRef = v["customer"]
	if role == onboardiq.RoleCustomer {
		if r.CustomerRef == "" {
			return "", onboardiq.Invalid("customer", "is needed for a contact (role customer)")
		}
		u.CustomerID = &placeholder // the store sets the customer
	} else if r.CustomerRef != "" && role.Valid() {
		return "", onboardiq.Invalid("customer", "is only for contacts (role customer), not for %s", role)
	}
	if err := u.Validate(); err != nil {
		return "", err
	}
	u.CustomerID = nil
	r.User = u
	return u.Email, nil
}

func readProject(r *Record) (string, error) {
	v := r.Values
	p := &onboardiq.NewProject{CustomerID: placeholder, Name: v["name"], Description: v["description"]}
	p.StartDate = time.Now().UTC().Truncate(24 * time.Hour)
	if s := v["start_date"]; s != "" {
		d, err := onboardiq.CheckDate("start_date", s)
		if err != nil {
			return "", err
		}
		p.StartDate = d
	}
	if s := v["deadline"]; s != "" {
		d, err := onboardiq.CheckDate("deadline", s)
		if err != nil {
			return "", err
		}
		p.Deadline = &d
	}
	if err := p.Validate(); err != nil {
		return "", err
	}
	if len(p.Description) > 2000 {
		return "", onboardiq.Invalid("description", "must be at most 2,000 characters")
	}
	r.Project, r.CustomerRef, r.Template = p, v["customer"], v["template"]
	return strings.ToLower(r.CustomerRef) + "\x00" + strings.ToLower(p.Name), nil
}

func readTask(r *Record) (string, error) {
	v := r.Values
	r.Title, r.ProjectName, r.CustomerRef = v["title"], v["project"], v["customer"]
	r.Phase, r.Details = v["phase"], v["details"]
	switch {
	case len(r.Title) > 500:
		return "", onboardiq.Invalid("title", "must be at most 500 characters")
	case len(r.Phase) > 100:
		return "", onboardiq.Invalid("phase", "must be at most 100 characters")
	case len(r.Details) > 20000:
		return "", onboardiq.Invalid("details", "must be at most 20,000 characters")
	}
	if s := v["due_date"]; s != "" {
		d, err := onboardiq.CheckDate("due_date", s)
		if err != nil {
			return "", err
		}
		r.Due = &d
	}
	if s := v["assignee_email"]; s != "" {
		email, err := onboardiq.CheckEmail("assignee_email", s)
		if err != nil {
			return "", err
		}
		r.Assignee = email
	}
	r.Visibility = onboardiq.VisibilityCustomer
	if s := strings.ToLower(v["visibility"]); s != "" {
		r.Visibility = onboardiq.Visibility(s)
		if r.Visibility != onboardiq.VisibilityCustomer && r.Visibility != onboardiq.VisibilityInternal {
			return "", onboardiq.Invalid("visibility", "must be customer or internal")
		}
	}
	return strings.ToLower(r.CustomerRef) + "\x00" + strings.ToLower(r.ProjectName) + "\x00" + strings.ToLower(r.Title), nil
}

// placeholder stands for a customer the store resolves later, so that
// the root package's checks of the rest can run.
var placeholder = uuid.UUID{1}

// Number reads an amount as spreadsheets write it: "12000", "12,000.50",
// "12.000,50", "12000,5", "$ 12 000". With both separators the later one
// is the decimal point; with commas only, a comma followed by exactly
// three digits (and no other comma after) groups thousands, otherwise it
// is the decimal point.
func Number(s string) (float64, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '$', '€', '£', '\'':
			return -1
		}
		return r
	}, s)
	dot, comma := strings.LastIndexByte(clean, '.'), strings.LastIndexByte(clean, ',')
	switch {
	case dot >= 0 && comma >= 0 && comma > dot:
		clean = strings.ReplaceAll(clean, ".", "")
		clean = strings.Replace(clean, ",", ".", 1)
	case dot >= 0 && comma >= 0:
		clean = strings.ReplaceAll(clean, ",", "")
	case comma >= 0 && strings.Count(clean, ",") == 1 && len(clean)-comma-1 != 3:
		clean = strings.Replace(clean, ",", ".", 1)
	case comma >= 0:
		clean = strings.ReplaceAll(clean, ",", "")
	}
	n, err := strconv.ParseFloat(clean, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || strings.ContainsAny(clean, "eExXpP") {
		return 0, fmt.Errorf("must be a number such as 12000 or 12,000.50, not %q", s)
	}
	return n, nil
}
