package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// The customers list, a customer's page, the projects list and the form
// that starts a project: page-shaped reads, each one read-only transaction
// whose statements travel in one batch.

// SupportMember is a staff user who can be a customer's CSM: an active
// csm or admin.
type SupportMember struct {
	ID    uuid.UUID
	Name  string
	Email string
}

// supportMembersQuery lists the active support members by name.
const supportMembersQuery = `
SELECT s.support_member_id, s.name, s.email FROM support_members s
JOIN tenant_users u ON u.tenant_id = s.tenant_id AND u.user_id = s.support_member_id
WHERE s.tenant_id = $1 AND s.active AND u.disabled_at IS NULL AND u.role IN ('csm', 'admin')
ORDER BY lower(s.name), s.support_member_id`

func queueSupportMembers(b *pgx.Batch, tenant uuid.UUID, into *[]SupportMember) {
	b.Queue(supportMembersQuery, tenant).Query(func(rows pgx.Rows) (err error) {
		*into, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SupportMember, error) {
			var s SupportMember
			return s, r.Scan(&s.ID, &s.Name, &s.Email)
		})
		return err
	})
}

// CustomerSummary is a customer as the customers list shows it: its CSM's
// name ("" when none), how many open projects it has (neither completed
// nor cancelled), and their mean progress (nil without any).
type CustomerSummary struct {
	*onboardiq.Customer
	CSM          string
	OpenProjects int
	Progress     *float64
}

// CustomersPage is the customers list: one page of summaries, the support
// members (the CSM filter's choices), and the caller's unread
// notifications.
type CustomersPage struct {
	Customers      onboardiq.Page[*CustomerSummary]
	SupportMembers []SupportMember
	Unread         int
	CustomFields   []*onboardiq.CustomField // the customer custom fields (filters, the new-customer form)
}

// LoadCustomersPage reads the customers list (staff), filtered and paged
// like ListCustomers; the counts come from the same statement, so the page
// costs the same however many customers and projects there are.
func (db *DB) LoadCustomersPage(ctx context.Context, f CustomerFilter) (*CustomersPage, error) {
	afterName, afterID, err := f.normalise()
	if err != nil {
		return nil, err
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*CustomersPage, error) {
		if err := p.Check(onboardiq.ReadUsers); err != nil {
			return nil, err
		}
		out := &CustomersPage{}
		tenant := tx.TenantID()
		args := []any{tenant, likeEscape(f.Q), f.SupportMemberID, afterName, afterID, f.Limit + 1, f.Archived}
		account, err := f.accountSQL(ctx, tx, &args)
		if err != nil {
			return nil, err
		}
		b := &pgx.Batch{}
		b.Queue(`
SELECT `+customerColumns+`, coalesce(s.name, ''), coalesce(o.n, 0), o.progress
FROM customers c
LEFT JOIN support_members s ON s.tenant_id = c.tenant_id AND s.support_member_id = c.support_member_id
LEFT JOIN (
    SELECT p.customer_id, count(*) AS n, avg(p.progress)::float8 AS progress FROM projects p
    WHERE p.tenant_id = $1 AND p.status NOT IN ('completed', 'cancelled')
    GROUP BY p.customer_id
) o ON o.customer_id = c.customer_id
WHERE c.tenant_id = $1
  AND ($2::text = '' OR c.name ILIKE '%' || $2 || '%')
  AND ($3::uuid IS NULL OR c.support_member_id = $3)
  AND ($4::text IS NULL OR (lower(c.name), c.customer_id) > ($4, $5))
  AND `+archivedSQL(7)+`
  AND `+account+`
ORDER BY lower(c.name), c.customer_id
LIMIT $6`, args...).Query(func(rows pgx.Rows) error {
			items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*CustomerSummary, error) {
				s := &CustomerSummary{}
				var err error
				s.Customer, err = scanCustomer(withExtra(r, &s.CSM, &s.OpenProjects, &s.Progress))
				return s, err
			})
			out.Customers = page(items, f.Limit, func(s *CustomerSummary) []any { return []any{strings.ToLower(s.Name), s.ID} })
			return err
		})
		queueSupportMembers(b, tenant, &out.SupportMembers)
		queueCustomFields(b, tenant, onboardiq.CustomFieldCustomer, &out.CustomFields)
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("customers page: %w", err)
		}
		return out, nil
	})
}

// activityOnCustomerPage is how many of the latest events a customer's
// page shows.
const activityOnCustomerPage = 30

// CustomerPage is what a customer's console page shows: the customer, its
// CSM's name, its contacts (by name), its projects (newest first), its
// latest activity, the support members it can be assigned, and the
// caller's unread notifications.
type CustomerPage struct {
	Customer       *onboardiq.Customer
	CustomFields   []*onboardiq.CustomField // the customer custom fields (values, the edit form)
	CSM            string
	Contacts       []*onboardiq.User
	Projects       []*onboardiq.Project
	Activity       []*onboardiq.Event
	SupportMembers []SupportMember
	// Parents are the customers the edit form offers as the parent.
	Parents []CustomerChoice
	// Health is the customer's health score, its explanation and history
	// (nil for those who may not read the dashboard).
	Health *CustomerHealthView
	Unread int
}

// LoadCustomerPage reads a customer's console page (staff): the customer,
// then everything else in one batch.
func (db *DB) LoadCustomerPage(ctx context.Context, id uuid.UUID) (*CustomerPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*CustomerPage, error) {
		c, err := getCustomer(ctx, tx, p, id, false)
		if err != nil {
			return nil, err
		}
		for _, a := range []onboardiq.Action{onboardiq.ReadUsers, onboardiq.ReadActivity} {
			if err := p.Check(a); err != nil {
				return nil, err
			}
		}
		out := &CustomerPage{Customer: c}
		tenant := tx.TenantID()
		b := &pgx.Batch{}
		queueCustomerDetail(b, tenant, c)
		queueCustomerChoices(b, tenant, false, &out.Parents)
		b.Queue(`SELECT s.name FROM support_members s WHERE s.tenant_id = $1 AND s.support_member_id = $2`, tenant, c.SupportMemberID).
			Query(func(rows pgx.Rows) error {
				_, err := pgx.ForEachRow(rows, []any{&out.CSM}, func() error { return nil })
				return err
			})
		b.Queue(`SELECT `+userColumns+` FROM tenant_users u WHERE u.tenant_id = $1 AND u.customer_id = $2 ORDER BY lower(u.name), u.user_id`, tenant, id).
			Query(func(rows pgx.Rows) (err error) {
				out.Contacts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.User, error) { return scanUser(r) })
				return err
			})
		b.Queue(`SELECT `+projectColumns+` FROM projects p WHERE p.tenant_id = $1 AND p.customer_id = $2 ORDER BY p.created_at DESC, p.project_id`, tenant, id).
			Query(func(rows pgx.Rows) (err error) {
				out.Projects, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Project, error) { return scanProject(r) })
				return err
			})
		b.Queue(`SELECT `+eventColumns+eventFrom+`
WHERE e.tenant_id = $1 AND e.customer_id = $2
ORDER BY e.event_id DESC LIMIT $3`, tenant, id, activityOnCustomerPage).Query(func(rows pgx.Rows) (err error) {
			out.Activity, err = pgx.CollectRows(rows, scanEvent)
			return err
		})
		queueSupportMembers(b, tenant, &out.SupportMembers)
		queueCustomFields(b, tenant, onboardiq.CustomFieldCustomer, &out.CustomFields)
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		var healthConfig []byte
		now := time.Now()
		if p.Can(onboardiq.ReadDashboard) {
			out.Health = &CustomerHealthView{}
			queueCustomerHealth(b, tenant, id, now, out.Health, &healthConfig)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("customer page: %w", err)
		}
		if out.Health != nil {
			if err := finishCustomerHealth(ctx, tx, id, out.Health, healthConfig, now); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

// ProjectsPage is the projects list: one page of projects with their
// customers' and CSMs' names, the choices of its filters (the customers,
// archived ones too, and the support members), and the caller's unread
// notifications.
type ProjectsPage struct {
	Projects       onboardiq.Page[ProjectRow]
	Customers      []CustomerChoice
	SupportMembers []SupportMember
	Unread         int
}

// CustomerChoice is a customer in a form's or a filter's list.
type CustomerChoice struct {
	ID       uuid.UUID
	Name     string
	Archived bool
}

func queueCustomerChoices(b *pgx.Batch, tenant uuid.UUID, activeOnly bool, into *[]CustomerChoice) {
	b.Queue(`SELECT c.customer_id, c.name, c.archived_at IS NOT NULL FROM customers c
WHERE c.tenant_id = $1 AND (NOT $2 OR c.archived_at IS NULL) ORDER BY lower(c.name), c.customer_id`, tenant, activeOnly).
		Query(func(rows pgx.Rows) (err error) {
			*into, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (CustomerChoice, error) {
				var c CustomerChoice
				return c, r.Scan(&c.ID, &c.Name, &c.Archived)
			})
			return err
		})
}

// LoadProjectsPage reads the projects list (staff), filtered, ordered and
// paged like ListProjects.
func (db *DB) LoadProjectsPage(ctx context.Context, f ProjectFilter) (*ProjectsPage, error) {
	_, query, sort, err := projectListQuery(&f)
	if err != nil {
		return nil, err
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*ProjectsPage, error) {
		if err := p.Check(onboardiq.ReadUsers); err != nil {
			return nil, err
		}
		out := &ProjectsPage{}
		tenant := tx.TenantID()
		q, args, err := query(ctx, tx, p)
		if err != nil {
			return nil, err
		}
		b := &pgx.Batch{}
		b.Queue(q, args...).Query(func(rows pgx.Rows) error {
			items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProjectRow, error) { return scanProjectRow(r) })
			out.Projects = page(items, f.Limit, func(pr ProjectRow) []any { return []any{f.Sort, sort.value(pr.Project), pr.ID} })
			return err
		})
		queueCustomerChoices(b, tenant, false, &out.Customers)
		queueSupportMembers(b, tenant, &out.SupportMembers)
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("projects page: %w", err)
		}
		return out, nil
	})
}

// TemplateChoice is a template in the new-project form's list.
type TemplateChoice struct {
	ID        uuid.UUID
	Name      string
	IsDefault bool
	Tasks     int
}

// NewProjectForm is what the form that starts a project offers: the
// active customers, the templates (the default first), and the workspace's
// time zone, in which its dates are read.
type NewProjectForm struct {
	Customers []CustomerChoice
	Templates []TemplateChoice
	TimeZone  string
	Unread    int
}

// LoadNewProjectForm reads the choices of the form that starts a project
// (those who may edit projects).
func (db *DB) LoadNewProjectForm(ctx context.Context) (*NewProjectForm, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*NewProjectForm, error) {
		if err := p.Check(onboardiq.EditProjects); err != nil {
			return nil, err
		}
		out := &NewProjectForm{}
		tenant := tx.TenantID()
		b := &pgx.Batch{}
		queueCustomerChoices(b, tenant, true, &out.Customers)
		b.Queue(`
SELECT t.template_id, t.name, t.is_default, (SELECT count(*) FROM template_tasks k WHERE k.tenant_id = t.tenant_id AND k.template_id = t.template_id)
FROM templates t WHERE t.tenant_id = $1 ORDER BY t.is_default DESC, lower(t.name), t.template_id`, tenant).Query(func(rows pgx.Rows) (err error) {
			out.Templates, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (TemplateChoice, error) {
				var t TemplateChoice
				return t, r.Scan(&t.ID, &t.Name, &t.IsDefault, &t.Tasks)
			})
			return err
		})
		b.Queue(`SELECT time_zone FROM tenants WHERE tenant_id = $1`, tenant).QueryRow(func(row pgx.Row) error { return row.Scan(&out.TimeZone) })
		b.Queue(unreadQuery, tenant, p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("new project form: %w", err)
		}
		return out, nil
	})
}
