package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// overdueSQL is whether the projects row p is past its deadline and still
// running; false for a project without a deadline, and for one completed,
// on hold or cancelled.
const overdueSQL = `coalesce(p.deadline < now() AND p.status NOT IN ('completed', 'on_hold', 'cancelled'), false)`

// projectVisible limits a customer contact ($2) to their own customer's
// projects; staff ($2 NULL) see all.
const projectVisible = `($2::uuid IS NULL OR p.customer_id = $2)`

// projectColumns: a project older than the record of status changes
// (migration 00011) changed status last when it completed, or when it was
// created, as far as anyone knows.
const projectColumns = `p.tenant_id, p.project_id, p.customer_id, p.template_id, p.name, p.description, p.status,
    p.status_reason, coalesce(p.status_changed_at, p.completed_at, p.created_at), p.held_days,
    p.progress, p.start_date, p.deadline, p.completed_at, ` + overdueSQL + `, p.forecast_finish, p.at_risk, p.risk_reason,
    p.custom_fields, p.created_at, p.updated_at`

func scanProject(row pgx.Row) (*onboardiq.Project, error) {
	p := &onboardiq.Project{}
	err := row.Scan(&p.TenantID, &p.ID, &p.CustomerID, &p.TemplateID, &p.Name, &p.Description, &p.Status,
		&p.StatusReason, &p.StatusChangedAt, &p.HeldDays,
		&p.Progress, &p.StartDate, &p.Deadline, &p.CompletedAt, &p.Overdue, &p.ForecastFinish, &p.AtRisk, &p.RiskReason, &p.CustomFields, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// getProject returns a project the principal may see; lock takes its row
// lock, which every change to the project's tasks holds.
func getProject(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID, lock bool) (*onboardiq.Project, error) {
	q := `SELECT ` + projectColumns + ` FROM projects p
WHERE p.tenant_id = $1 AND ` + projectVisible + ` AND p.project_id = $3`
	if lock {
		q += ` FOR UPDATE`
	}
	pr, err := scanProject(tx.QueryRow(ctx, q, tx.TenantID(), contactCustomer(p), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "project not found")
	}
	return pr, err
}

// CreateProject creates a project for a customer (admin or csm); with a
// template, its tasks come with it.
func (db *DB) CreateProject(ctx context.Context, in onboardiq.NewProject) (*onboardiq.Project, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var pr *onboardiq.Project
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.EditProjects); err != nil {
			return err
		}
		if err := customerTakesProjects(ctx, tx, p, in.CustomerID); err != nil {
			return err
		}
		if in.TemplateID != nil {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM templates WHERE tenant_id = $1 AND template_id = $2)`, tx.TenantID(), *in.TemplateID).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				return onboardiq.Invalid("template_id", "no such template")
			}
		}
		created, err := tx.CreateProject(ctx, in)
		if err != nil {
			return err
		}
		if err := tx.RefreshProject(ctx, created.ID); err != nil {
			return err
		}
		pr, err = getProject(ctx, tx, p, created.ID, false)
		return err
	})
	return pr, err
}

// GetProject returns a project the caller may see.
func (db *DB) GetProject(ctx context.Context, id uuid.UUID) (*onboardiq.Project, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Project, error) {
		return getProject(ctx, tx, p, id, false)
	})
}

// ProjectFilter narrows and orders ListProjects (and the projects page).
type ProjectFilter struct {
	onboardiq.ListOptions
	CustomerID      *uuid.UUID
	SupportMemberID *uuid.UUID // the CSM of the project's customer
	Status          onboardiq.Status
	Overdue         bool   // deadline passed and not completed, on hold or cancelled
	AtRisk          bool   // forecast to miss its deadline, and running (not completed, on hold or cancelled)
	Q               string // name contains, case-insensitive
	Sort            string // one of projectSortNames; default -created_at
	CustomFields    []CustomFieldFilter
}

// projectSort is a whitelisted ordering: its key expression, the type its
// cursor value is cast to, and how an item's cursor value is written.
type projectSort struct {
	key, typ string
	desc     bool
	value    func(*onboardiq.Project) string
}

var projectSorts = map[string]projectSort{}

// projectSortNames are the orders ListProjects accepts; "-" means descending.
var projectSortNames = []string{"created_at", "-created_at", "deadline", "-deadline", "name", "-name", "progress", "-progress"}

// ProjectSorts lists the orders ListProjects accepts ("-" for descending).
func ProjectSorts() []string { return append([]string(nil), projectSortNames...) }

func init() {
	base := map[string]projectSort{
		"created_at": {key: "p.created_at", typ: "timestamptz", value: func(p *onboardiq.Project) string { return p.CreatedAt.Format(time.RFC3339Nano) }},
		"deadline": {key: "coalesce(p.deadline, 'infinity'::timestamptz)", typ: "timestamptz", value: func(p *onboardiq.Project) string {
			if p.Deadline == nil {
				return "infinity"
			}
			return p.Deadline.Format(time.RFC3339Nano)
		}},
		"name":     {key: "lower(p.name)", typ: "text", value: func(p *onboardiq.Project) string { return strings.ToLower(p.Name) }},
		"progress": {key: "p.progress", typ: "numeric", value: func(p *onboardiq.Project) string { return strconv.FormatFloat(p.Progress, 'f', 2, 64) }},
	}
	for name, s := range base {
		projectSorts[name] = s
		s.desc = true
		projectSorts["-"+name] = s
	}
}

// ListProjects lists the projects the caller may see.
func (db *DB) ListProjects(ctx context.Context, f ProjectFilter) (onboardiq.Page[*onboardiq.Project], error) {
	var out onboardiq.Page[*onboardiq.Project]
	_, query, sort, err := projectListQuery(&f)
	if err != nil {
		return out, err
	}
	err = db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		q, args, err := query(ctx, tx, p)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Project, error) {
			row, err := scanProjectRow(r)
			return row.Project, err
		})
		out = page(items, f.Limit, func(pr *onboardiq.Project) []any { return []any{f.Sort, sort.value(pr), pr.ID} })
		return err
	})
	return out, err
}

// ProjectRow is a project as the projects page lists it: with its
// customer's name and its CSM's (the customer's support member; "" when
// none is assigned).
type ProjectRow struct {
	*onboardiq.Project
	Customer string
	CSM      string
}

func scanProjectRow(row pgx.Row) (ProjectRow, error) {
	pr := ProjectRow{}
	var err error
	pr.Project, err = scanProject(withExtra(row, &pr.Customer, &pr.CSM))
	return pr, err
}

// extraRow is a row whose columns after those a scan function reads go
// to extra: a page's read scans the entity as its own scan function does,
// and whatever the page adds after it.
type extraRow struct {
	pgx.Row
	extra []any
}

func (r extraRow) Scan(dst ...any) error { return r.Row.Scan(append(dst, r.extra...)...) }

func withExtra(row pgx.Row, extra ...any) pgx.Row { return extraRow{row, extra} }

// projectListQuery checks and normalises f and returns the query listing
// its page (one more than the limit, as ProjectRows), the arguments it
// takes in a transaction, and the ordering.
func projectListQuery(f *ProjectFilter) (string, func(context.Context, *Tx, *onboardiq.Principal) (string, []any, error), projectSort, error) {
	if err := f.Normalise(); err != nil {
		return "", nil, projectSort{}, err
	}
	if f.Sort == "" {
		f.Sort = "-created_at"
	}
	sort, ok := projectSorts[f.Sort]
	if !ok {
		return "", nil, sort, onboardiq.Invalid("sort", "must be one of %s", strings.Join(projectSortNames, ", "))
	}
	if f.Status != "" && !f.Status.ValidForProject() {
		return "", nil, sort, onboardiq.Invalid("status", "must be one of not_started, in_progress, blocked, completed, on_hold, cancelled")
	}
	var afterValue *string
	var afterID uuid.UUID
	if f.Cursor != "" {
		var v, sortName string
		if err := decodeCursor(f.Cursor, &sortName, &v, &afterID); err != nil || sortName != f.Sort {
			return "", nil, sort, onboardiq.Invalid("cursor", "is not a cursor from this list and order")
		}
		afterValue = &v
	}
	cmp, dir := ">", "ASC"
	if sort.desc {
		cmp, dir = "<", "DESC"
	}
	// The ordering's pieces come from the whitelist above, never from input.
	q := fmt.Sprintf(`
SELECT `+projectColumns+`, c.name, coalesce(s.name, '') FROM projects p
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
LEFT JOIN support_members s ON s.tenant_id = c.tenant_id AND s.support_member_id = c.support_member_id
WHERE p.tenant_id = $1 AND `+projectVisible+`
  AND ($3::uuid IS NULL OR p.customer_id = $3)
  AND ($4::text = '' OR p.status = $4)
  AND (NOT $5 OR `+overdueSQL+`)
  AND ($6::text = '' OR p.name ILIKE '%%' || $6 || '%%')
  AND ($7::text IS NULL OR (%[1]s, p.project_id) %[3]s ($7::%[2]s, $8))
  AND ($10::uuid IS NULL OR c.support_member_id = $10)
  AND (NOT $11 OR (p.at_risk AND p.status NOT IN ('completed', 'on_hold', 'cancelled')))
  AND %[5]s
ORDER BY %[1]s %[4]s, p.project_id %[4]s
LIMIT $9`, sort.key, sort.typ, cmp, dir, "%[5]s")
	// The custom field filters need the definitions, read in the
	// transaction: they fill the query's last placeholder.
	query := func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (string, []any, error) {
		args := []any{tx.TenantID(), contactCustomer(p), f.CustomerID, f.Status, f.Overdue, likeEscape(f.Q), afterValue, afterID, f.Limit + 1,
			f.SupportMemberID, f.AtRisk}
		cf, err := customFieldSQL(ctx, tx, onboardiq.CustomFieldProject, "p", f.CustomFields, &args)
		if err != nil {
			return "", nil, err
		}
		return strings.Replace(q, "%[5]s", cf, 1), args, nil
	}
	return "", query, sort, nil
}

// UpdateProject changes a project's name, description or deadline (admin or
// csm). Status and progress follow the tasks.
func (db *DB) UpdateProject(ctx context.Context, id uuid.UUID, patch onboardiq.ProjectPatch) (*onboardiq.Project, error) {
	var pr *onboardiq.Project
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		before, err := getProject(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditProjects); err != nil {
			return err
		}
		after := *before
		if err := patch.Apply(&after); err != nil {
			return err
		}
		if patch.CustomFields.Set {
			if after.CustomFields, err = checkCustomFieldValues(ctx, tx, onboardiq.CustomFieldProject, after.CustomFields); err != nil {
				return err
			}
		}
		// Read back apart: projectColumns names now() (overdue), which
		// Citus refuses in an UPDATE's RETURNING.
		if _, err := tx.Exec(ctx, `
UPDATE projects p SET name = $3, description = $4, deadline = $5, custom_fields = $6, updated_at = now()
WHERE p.tenant_id = $1 AND p.project_id = $2`, tx.TenantID(), id, after.Name, after.Description, after.Deadline, after.CustomFields); err != nil {
			return fmt.Errorf("update project: %w", err)
		}
		pr, err = scanProject(tx.QueryRow(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.tenant_id = $1 AND p.project_id = $2`, tx.TenantID(), id))
		if err != nil {
			return fmt.Errorf("update project: %w", err)
		}
		ch := changes(before, pr, "name", "description", "deadline", "custom_fields")
		if len(ch) == 0 {
			return nil
		}
		if before.Name != pr.Name || before.Description != pr.Description {
			if err := enqueueEmbed(ctx, tx, EntityProject, pr.ID); err != nil {
				return err
			}
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventProjectUpdated, CustomerID: &pr.CustomerID, ProjectID: &pr.ID, Changes: ch})
	})
	return pr, err
}

// DeleteProject deletes a project and its tasks (admin or csm).
func (db *DB) DeleteProject(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		pr, err := getProject(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditProjects); err != nil {
			return err
		}
		if err := clearReferences(ctx, tx, projectReferences, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete project: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM projects WHERE tenant_id = $1 AND project_id = $2`, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete project: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventProjectDeleted, CustomerID: &pr.CustomerID, ProjectID: &pr.ID, Data: map[string]any{"name": pr.Name}})
	})
}
