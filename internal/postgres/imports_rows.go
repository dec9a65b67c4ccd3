package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/importing"
)

// resolved is what of the workspace an import's rows name, read in a few
// set-based queries keyed by what the file holds (never the whole
// workspace).
type resolved struct {
	kind        onboardiq.ImportKind
	byExternal  map[string]*existingCustomer
	byName      map[string][]*existingCustomer
	members     map[string]uuid.UUID // active CSM or admin, by email
	users       map[string]*existingUser
	templates   map[string]uuid.UUID // by lower-case name
	defaultTpl  *uuid.UUID
	projects    map[string][]*existingProject // by lower-case name
	projectKeys map[string]bool               // customer id + lower name
	taskKeys    map[string]bool               // project id + lower title
	// claimed are the emails the file gives new users so far: two rows
	// cannot both create one.
	claimed map[string]int
}

type existingCustomer struct {
	id                       uuid.UUID
	name, segment, lifecycle string
	externalID, renewal      *string
	arr                      *float64
	member                   *uuid.UUID
}

type existingUser struct {
	id         uuid.UUID
	name       string
	role       onboardiq.Role
	customerID *uuid.UUID
	disabled   bool
}

type existingProject struct {
	id, customerID uuid.UUID
	cancelled      bool
}

// resolve reads what the records name.
func resolve(ctx context.Context, tx *Tx, kind onboardiq.ImportKind, f *importing.File) (*resolved, error) {
	res := &resolved{kind: kind, byExternal: map[string]*existingCustomer{}, byName: map[string][]*existingCustomer{},
		members: map[string]uuid.UUID{}, users: map[string]*existingUser{}, templates: map[string]uuid.UUID{},
		projects: map[string][]*existingProject{}, projectKeys: map[string]bool{}, taskKeys: map[string]bool{}, claimed: map[string]int{}}
	var refs, names, emails, members, projects []string
	add := func(l *[]string, s string) {
		if s != "" {
			*l = append(*l, s)
		}
	}
	for _, r := range f.Records {
		switch kind {
		case onboardiq.ImportCustomers:
			if r.Customer.ExternalID != nil {
				add(&refs, *r.Customer.ExternalID)
			}
			add(&names, strings.ToLower(r.Customer.Name))
			add(&members, r.CSMEmail)
			for _, c := range append([]*importing.Record{r}, r.Also...) {
				if c.Contact != nil {
					add(&emails, c.Contact.Email)
				}
			}
		case onboardiq.ImportUsers:
			add(&emails, r.User.Email)
			add(&refs, r.CustomerRef)
			add(&names, strings.ToLower(r.CustomerRef))
		case onboardiq.ImportProjects:
			add(&refs, r.CustomerRef)
			add(&names, strings.ToLower(r.CustomerRef))
		case onboardiq.ImportTasks:
			add(&refs, r.CustomerRef)
			add(&names, strings.ToLower(r.CustomerRef))
			add(&projects, strings.ToLower(r.ProjectName))
			add(&emails, r.Assignee)
		}
	}
	t := tx.TenantID()
	b := &pgx.Batch{}
	b.Queue(`
SELECT customer_id, name, segment, lifecycle_status, external_id, renewal_date::text, arr::float8, support_member_id
FROM customers WHERE tenant_id = $1 AND (external_id = ANY($2) OR lower(name) = ANY($3))`, t, refs, names).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			c := &existingCustomer{}
			if err := rows.Scan(&c.id, &c.name, &c.segment, &c.lifecycle, &c.externalID, &c.renewal, &c.arr, &c.member); err != nil {
				return err
			}
			if c.externalID != nil {
				res.byExternal[*c.externalID] = c
			}
			res.byName[strings.ToLower(c.name)] = append(res.byName[strings.ToLower(c.name)], c)
		}
		return rows.Err()
	})
	b.Queue(`
SELECT lower(u.email), s.support_member_id FROM support_members s
JOIN tenant_users u ON u.tenant_id = s.tenant_id AND u.user_id = s.support_member_id
WHERE s.tenant_id = $1 AND s.active AND u.disabled_at IS NULL AND u.role IN ('csm', 'admin') AND lower(u.email) = ANY($2)`, t, members).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var email string
				var id uuid.UUID
				if err := rows.Scan(&email, &id); err != nil {
					return err
				}
				res.members[email] = id
			}
			return rows.Err()
		})
	b.Queue(`SELECT user_id, email, name, role, customer_id, disabled_at IS NOT NULL FROM tenant_users WHERE tenant_id = $1 AND email = ANY($2)`, t, emails).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				u := &existingUser{}
				var email string
				if err := rows.Scan(&u.id, &email, &u.name, &u.role, &u.customerID, &u.disabled); err != nil {
					return err
				}
				res.users[email] = u
			}
			return rows.Err()
		})
	if kind == onboardiq.ImportProjects {
		b.Queue(`SELECT template_id, lower(name), is_default FROM templates WHERE tenant_id = $1`, t).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id uuid.UUID
				var name string
				var def bool
				if err := rows.Scan(&id, &name, &def); err != nil {
					return err
				}
				res.templates[name] = id
				if def {
					res.defaultTpl = &id
				}
			}
			return rows.Err()
		})
		b.Queue(`
SELECT p.customer_id::text || lower(p.name) FROM projects p JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
WHERE p.tenant_id = $1 AND (c.external_id = ANY($2) OR lower(c.name) = ANY($3))`, t, refs, names).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					return err
				}
				res.projectKeys[k] = true
			}
			return rows.Err()
		})
	}
	if kind == onboardiq.ImportTasks {
		b.Queue(`SELECT project_id, customer_id, lower(name), status = 'cancelled' FROM projects WHERE tenant_id = $1 AND lower(name) = ANY($2)`, t, projects).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					p := &existingProject{}
					var name string
					if err := rows.Scan(&p.id, &p.customerID, &name, &p.cancelled); err != nil {
						return err
					}
					res.projects[name] = append(res.projects[name], p)
				}
				return rows.Err()
			})
		b.Queue(`
SELECT t.project_id::text || lower(t.description) FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
WHERE t.tenant_id = $1 AND lower(p.name) = ANY($2)`, t, projects).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					return err
				}
				res.taskKeys[k] = true
			}
			return rows.Err()
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("import: read the workspace: %w", err)
	}
	return res, nil
}

// customerByRef finds the customer a row names by external id or name.
func (res *resolved) customerByRef(f *importing.File, line int, field, ref string) *existingCustomer {
	if c := res.byExternal[ref]; c != nil {
		return c
	}
	switch same := res.byName[strings.ToLower(ref)]; len(same) {
	case 1:
		return same[0]
	case 0:
		f.Problem(line, field, "no customer has the external id or name %q", ref)
	default:
		f.Problem(line, field, "%d customers are named %q: use the external id", len(same), ref)
	}
	return nil
}

func (res *resolved) planCustomer(f *importing.File, r *importing.Record) *rowPlan {
	in := r.Customer
	pl := &rowPlan{rec: r, action: "create", id: uuid.New(), changes: map[string]any{}}
	var old *existingCustomer
	if in.ExternalID != nil {
		old = res.byExternal[*in.ExternalID]
	} else if same := res.byName[strings.ToLower(in.Name)]; len(same) == 1 {
		old = same[0]
	} else if len(same) > 1 {
		f.Problem(r.Line, "name", "%d customers are named %q: add an external_id column to tell them apart", len(same), in.Name)
		return nil
	}
	var member *uuid.UUID
	if r.CSMEmail != "" {
		id, ok := res.members[r.CSMEmail]
		if !ok {
			f.Problem(r.Line, "csm_email", "%s is no active CSM or admin of this workspace", r.CSMEmail)
			return nil
		}
		member = &id
	}
	if old != nil {
		pl.id, pl.action = old.id, "same"
		v := r.Values
		change := func(field string, from, to any) {
			pl.changes[field] = map[string]any{"from": from, "to": to}
		}
		if in.Name != old.name {
			change("name", old.name, in.Name)
		}
		if v["segment"] != "" && in.Segment != old.segment {
			change("segment", old.segment, in.Segment)
		}
		if in.ARR != nil && (old.arr == nil || *old.arr != *in.ARR) {
			change("arr", old.arr, *in.ARR)
		}
		if in.RenewalDate != nil && (old.renewal == nil || *old.renewal != *in.RenewalDate) {
			change("renewal_date", old.renewal, *in.RenewalDate)
		}
		if v["lifecycle_status"] != "" && string(in.LifecycleStatus) != old.lifecycle {
			change("lifecycle_status", old.lifecycle, in.LifecycleStatus)
		}
		if member != nil && (old.member == nil || *old.member != *member) {
			change("support_member_id", old.member, *member)
		}
		if len(pl.changes) > 0 {
			pl.action = "update"
		}
		// What the row leaves empty stays as it is.
		if v["segment"] == "" {
			in.Segment = old.segment
		}
		if in.ARR == nil {
			in.ARR = old.arr
		}
		if in.RenewalDate == nil {
			in.RenewalDate = old.renewal
		}
		if v["lifecycle_status"] == "" {
			in.LifecycleStatus = onboardiq.LifecycleStatus(old.lifecycle)
		}
		if member == nil {
			member = old.member
		}
		if in.ExternalID == nil {
			in.ExternalID = old.externalID
		}
	}
	in.SupportMemberID = member
	for _, c := range append([]*importing.Record{r}, r.Also...) {
		if c.Contact == nil {
			continue
		}
		email := c.Contact.Email
		if line, ok := res.claimed[email]; ok {
			f.Problem(c.Line, "contact_email", "%s is the contact of line %d already", email, line)
			continue
		}
		res.claimed[email] = c.Line
		u := res.users[email]
		switch {
		case u == nil:
			pl.contacts = append(pl.contacts, contactPlan{id: uuid.New(), name: c.Contact.Name, email: email, create: true})
		case u.role != onboardiq.RoleCustomer:
			f.Problem(c.Line, "contact_email", "%s is a member of staff (%s), not a contact", email, u.role)
			continue
		case old == nil || u.customerID == nil || *u.customerID != old.id:
			f.Problem(c.Line, "contact_email", "%s is a contact of another customer", email)
			continue
		case c.Values["contact_name"] != "" && c.Contact.Name != u.name:
			pl.contacts = append(pl.contacts, contactPlan{id: u.id, name: c.Contact.Name, email: email})
		default:
			continue
		}
		if pl.action == "same" {
			pl.action = "update"
		}
	}
	if f.Bad(r.Line) {
		return nil
	}
	return pl
}

func (res *resolved) planUser(f *importing.File, r *importing.Record) *rowPlan {
	in := r.User
	pl := &rowPlan{rec: r, action: "create", id: uuid.New()}
	if in.Role == onboardiq.RoleCustomer {
		c := res.customerByRef(f, r.Line, "customer", r.CustomerRef)
		if c == nil {
			return nil
		}
		pl.customerID = &c.id
	}
	if u := res.users[in.Email]; u != nil {
		switch {
		case u.role != in.Role:
			f.Problem(r.Line, "role", "%s is a %s already: change roles in the console", in.Email, u.role)
			return nil
		case pl.customerID != nil && (u.customerID == nil || *u.customerID != *pl.customerID):
			f.Problem(r.Line, "customer", "%s is a contact of another customer", in.Email)
			return nil
		}
		pl.id, pl.action = u.id, "same"
		if u.name != in.Name {
			pl.action = "update"
		}
	}
	return pl
}

func (res *resolved) planProject(f *importing.File, r *importing.Record) *rowPlan {
	c := res.customerByRef(f, r.Line, "customer", r.CustomerRef)
	if c == nil {
		return nil
	}
	pl := &rowPlan{rec: r, action: "create", customerID: &c.id, templateID: res.defaultTpl}
	if r.Template != "" {
		id, ok := res.templates[strings.ToLower(r.Template)]
		if !ok {
			f.Problem(r.Line, "template", "no template is named %q", r.Template)
			return nil
		}
		pl.templateID = &id
	}
	if res.projectKeys[c.id.String()+strings.ToLower(r.Project.Name)] {
		pl.action = "same"
	}
	return pl
}

func (res *resolved) planTask(f *importing.File, r *importing.Record) *rowPlan {
	candidates := res.projects[strings.ToLower(r.ProjectName)]
	if r.CustomerRef != "" {
		c := res.customerByRef(f, r.Line, "customer", r.CustomerRef)
		if c == nil {
			return nil
		}
		var mine []*existingProject
		for _, p := range candidates {
			if p.customerID == c.id {
				mine = append(mine, p)
			}
		}
		candidates = mine
	}
	switch {
	case len(candidates) == 0:
		f.Problem(r.Line, "project", "no project is named %q", r.ProjectName)
		return nil
	case len(candidates) > 1:
		f.Problem(r.Line, "project", "%d projects are named %q: add a customer column", len(candidates), r.ProjectName)
		return nil
	case candidates[0].cancelled:
		f.Problem(r.Line, "project", "the project %q is cancelled: reopen it to add tasks", r.ProjectName)
		return nil
	}
	p := candidates[0]
	pl := &rowPlan{rec: r, action: "create", projectID: &p.id, customerID: &p.customerID}
	if r.Assignee != "" {
		u := res.users[r.Assignee]
		if u == nil || u.disabled || u.role == onboardiq.RoleCustomer && (u.customerID == nil || *u.customerID != p.customerID) {
			f.Problem(r.Line, "assignee_email", "%s is no active user who may be assigned tasks of this project", r.Assignee)
			return nil
		}
		pl.assigneeID = &u.id
	}
	if res.taskKeys[p.id.String()+strings.ToLower(r.Title)] {
		pl.action = "same"
	}
	return pl
}

// load writes the plans in tx, as p, calling progress now and then with
// the rows done.
func (c *checkedImport) load(ctx context.Context, tx *Tx, p *onboardiq.Principal, baseURL string, progress func(done, total int)) error {
	var todo []*rowPlan
	for _, pl := range c.plans {
		if pl != nil && pl.action != "same" {
			todo = append(todo, pl)
		}
	}
	if c.file.Report.Kind == onboardiq.ImportCustomers {
		return loadCustomers(ctx, tx, p, todo, func(done int) { progress(done, len(todo)) })
	}
	for i, pl := range todo {
		var err error
		switch c.file.Report.Kind {
		case onboardiq.ImportUsers:
			err = loadUser(ctx, tx, p, pl, baseURL)
		case onboardiq.ImportProjects:
			in := *pl.rec.Project
			in.CustomerID, in.TemplateID = *pl.customerID, pl.templateID
			_, err = tx.CreateProject(ctx, in)
		case onboardiq.ImportTasks:
			err = loadTask(ctx, tx, p, pl)
		}
		if err != nil {
			return lineError(pl.rec.Line, err)
		}
		if (i+1)%importProgressEvery == 0 || i+1 == len(todo) {
			progress(i+1, len(todo))
		}
	}
	return nil
}

// lineError names the line of a row the store refused.
func lineError(line int, err error) error {
	var e *onboardiq.Error
	if errors.As(err, &e) {
		out := *e
		out.Message = fmt.Sprintf("line %d: %s", line, e.Message)
		return &out
	}
	return fmt.Errorf("line %d: %w", line, err)
}

func loadUser(ctx context.Context, tx *Tx, p *onboardiq.Principal, pl *rowPlan, baseURL string) error {
	in := *pl.rec.User
	if pl.action == "update" {
		_, err := tx.Exec(ctx, `UPDATE tenant_users SET name = $3, updated_at = now() WHERE tenant_id = $1 AND user_id = $2`, tx.TenantID(), pl.id, in.Name)
		if err != nil {
			return err
		}
		if err := tx.credentialsChanged(ctx); err != nil {
			return err
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUserUpdated, CustomerID: pl.customerID,
			Data: map[string]any{"user_id": pl.id, "email": in.Email}, Changes: map[string]any{"name": map[string]any{"to": in.Name}}})
	}
	in.CustomerID = pl.customerID
	u, err := tx.CreateUser(ctx, in)
	if err != nil {
		return err
	}
	if u.Role != onboardiq.RoleCustomer {
		_, err = inviteStaff(ctx, tx, p, u, baseURL)
	}
	return err
}

func loadTask(ctx context.Context, tx *Tx, p *onboardiq.Principal, pl *rowPlan) error {
	r := pl.rec
	patch := onboardiq.TaskPatch{Description: onboardiq.Set(r.Title), Visibility: onboardiq.Set(r.Visibility)}
	if r.Details != "" {
		patch.Details = onboardiq.Set(r.Details)
	}
	if r.Phase != "" {
		patch.Phase = onboardiq.Set(r.Phase)
	}
	if r.Due != nil {
		patch.DueAt = onboardiq.Set(*r.Due)
	}
	if pl.assigneeID != nil {
		patch.AssignedTo = onboardiq.Set(*pl.assigneeID)
	}
	_, err := createTask(ctx, tx, p, *pl.projectID, patch)
	return err
}

// loadCustomers writes customers and their contacts set-based: the rows
// go into staging tables by COPY, then one INSERT … SELECT and one
// UPDATE … FROM per table, and one INSERT … SELECT of their events.
func loadCustomers(ctx context.Context, tx *Tx, p *onboardiq.Principal, todo []*rowPlan, progress func(int)) error {
	_, err := tx.Exec(ctx, `
CREATE TEMP TABLE import_customers (customer_id uuid, is_new boolean, name text, segment text, arr numeric(14, 2), renewal_date date,
    lifecycle_status text, external_id text, support_member_id uuid) ON COMMIT DROP;
CREATE TEMP TABLE import_contacts (user_id uuid, customer_id uuid, email text, name text, is_new boolean) ON COMMIT DROP`)
	if err != nil {
		return fmt.Errorf("import: staging tables: %w", err)
	}
	var contacts [][]any
	for start := 0; start < len(todo); start += importProgressEvery {
		chunk := todo[start:min(start+importProgressEvery, len(todo))]
		rows := make([][]any, len(chunk))
		for i, pl := range chunk {
			in := pl.rec.Customer
			var renewal *time.Time
			if in.RenewalDate != nil {
				d, _ := time.Parse(time.DateOnly, *in.RenewalDate)
				renewal = &d
			}
			rows[i] = []any{pl.id, pl.action == "create", in.Name, in.Segment, in.ARR, renewal, string(in.LifecycleStatus), in.ExternalID, in.SupportMemberID}
			for _, c := range pl.contacts {
				contacts = append(contacts, []any{c.id, pl.id, c.email, c.name, c.create})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_customers"},
			[]string{"customer_id", "is_new", "name", "segment", "arr", "renewal_date", "lifecycle_status", "external_id", "support_member_id"},
			pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("import: copy customers: %w", err)
		}
		progress(start + len(chunk))
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_contacts"}, []string{"user_id", "customer_id", "email", "name", "is_new"},
		pgx.CopyFromRows(contacts)); err != nil {
		return fmt.Errorf("import: copy contacts: %w", err)
	}
	t := tx.TenantID()
	b := &pgx.Batch{}
	b.Queue(`
INSERT INTO customers (tenant_id, customer_id, name, segment, arr, renewal_date, lifecycle_status, external_id, support_member_id)
SELECT $1, customer_id, name, segment, arr, renewal_date, lifecycle_status, external_id, support_member_id
FROM import_customers WHERE is_new
RETURNING customer_id`, t)
	b.Queue(`
UPDATE customers c SET name = s.name, segment = s.segment, arr = s.arr, renewal_date = s.renewal_date,
    lifecycle_status = s.lifecycle_status, external_id = s.external_id, support_member_id = s.support_member_id, updated_at = now()
FROM import_customers s
WHERE c.tenant_id = $1 AND c.customer_id = s.customer_id AND NOT s.is_new`, t)
	b.Queue(`
INSERT INTO tenant_users (tenant_id, user_id, email, name, role, customer_id)
SELECT $1, user_id, email, name, 'customer', customer_id FROM import_contacts WHERE is_new
RETURNING user_id`, t)
	b.Queue(`
UPDATE tenant_users u SET name = s.name, updated_at = now()
FROM import_contacts s
WHERE u.tenant_id = $1 AND u.user_id = s.user_id AND NOT s.is_new`, t)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return customerWriteError(err, "import customers")
	}
	if err := tx.credentialsChanged(ctx); err != nil { // contacts renamed
		return err
	}
	// The events, as CreateCustomer, UpdateCustomer and CreateUser record
	// them: the new rows' built from the staging tables in SQL, the rest
	// (changes, fewer) sent as arrays.
	var ev eventRows
	for _, pl := range todo {
		if pl.action == "update" && len(pl.changes) > 0 {
			ev.add(onboardiq.EventCustomerUpdated, pl.id, pl.changes, map[string]any{})
		}
		for _, c := range pl.contacts {
			if !c.create {
				ev.add(onboardiq.EventUserUpdated, pl.id, map[string]any{"name": map[string]any{"to": c.name}}, map[string]any{"user_id": c.id, "email": c.email})
			}
		}
	}
	return tx.emitMany(ctx, p, ev, `
SELECT 'customer.created', customer_id, '{}'::jsonb, jsonb_build_object('name', name, 'segment', segment, 'support_member_id', support_member_id,
    'parent_id', NULL, 'lifecycle_status', lifecycle_status, 'external_id', external_id)
FROM import_customers WHERE is_new
UNION ALL
SELECT 'user.created', customer_id, '{}'::jsonb, jsonb_build_object('user_id', user_id, 'email', email, 'role', 'customer')
FROM import_contacts WHERE is_new`)
}

// eventRows are events of customers to record at once.
type eventRows struct {
	kinds     []string
	customers []uuid.UUID
	changes   []map[string]any
	data      []map[string]any
}

func (e *eventRows) add(kind onboardiq.EventKind, customer uuid.UUID, changes, data map[string]any) {
	e.kinds = append(e.kinds, string(kind))
	e.customers = append(e.customers, customer)
	e.changes = append(e.changes, changes)
	e.data = append(e.data, data)
}

// emitMany records many events as Emit records one, the rows in one
// INSERT … SELECT and their fan-out jobs, a job for each EventBatch, in
// one COPY: the events of e, and those that query selects as (kind,
// customer_id, changes, data).
func (tx *Tx) emitMany(ctx context.Context, p *onboardiq.Principal, e eventRows, query string) error {
	cause := tx.cause
	if cause == nil {
		cause = map[string]any{}
	}
	if e.kinds == nil {
		e.kinds, e.customers, e.changes, e.data = []string{}, []uuid.UUID{}, []map[string]any{}, []map[string]any{}
	}
	rows, err := tx.Query(ctx, `
INSERT INTO events (tenant_id, actor_user_id, kind, customer_id, changes, data, occurred_at)
SELECT $1, $2, k, c, ch, d || $7::jsonb, now() FROM (
    SELECT * FROM unnest($3::text[], $4::uuid[], $5::jsonb[], $6::jsonb[]) AS u (k, c, ch, d)
    UNION ALL `+query+`
) AS e (k, c, ch, d)
RETURNING event_id`, tx.TenantID(), p.Actor(), e.kinds, e.customers, e.changes, e.data, cause)
	if err != nil {
		return fmt.Errorf("emit: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("emit: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	if tx.jobs == nil {
		return fmt.Errorf("postgres: no job client")
	}
	if _, err := tx.jobs.InsertManyFastTx(ctx, tx, eventJobs(tx.TenantID(), ids)); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}
