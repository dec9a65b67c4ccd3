package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq"
)

const customerColumns = `c.tenant_id, c.customer_id, c.name, c.contact_info, c.segment, c.support_member_id, c.archived_at,
    c.parent_id, c.arr::float8, c.renewal_date, c.lifecycle_status, c.external_id, c.custom_fields,
    c.created_at, c.updated_at`

func scanCustomer(row pgx.Row) (*onboardiq.Customer, error) {
	c := &onboardiq.Customer{}
	// The renewal date is formatted here: to_char is not immutable, and
	// Citus refuses it in an INSERT's RETURNING.
	var renewal *time.Time
	err := row.Scan(&c.TenantID, &c.ID, &c.Name, &c.ContactInfo, &c.Segment, &c.SupportMemberID, &c.ArchivedAt,
		&c.ParentID, &c.ARR, &renewal, &c.LifecycleStatus, &c.ExternalID, &c.CustomFields,
		&c.CreatedAt, &c.UpdatedAt)
	if renewal != nil {
		d := renewal.Format(time.DateOnly)
		c.RenewalDate = &d
	}
	return c, err
}

// customerByExternalID returns the id of the tenant's customer with the
// vendor's id externalID (usage events name customers so), or ENOTFOUND.
func customerByExternalID(ctx context.Context, tx *Tx, externalID string) (uuid.UUID, error) {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `SELECT customer_id FROM customers WHERE tenant_id = $1 AND external_id = $2`,
		tx.TenantID(), externalID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "no customer has the external id %q", externalID)
	}
	return id, err
}

// checkExternalID answers ECONFLICT about external_id when another of the
// tenant's customers (not self) has it.
func checkExternalID(ctx context.Context, tx *Tx, externalID *string, self uuid.UUID) error {
	if externalID == nil {
		return nil
	}
	var taken bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM customers WHERE tenant_id = $1 AND external_id = $2 AND customer_id <> $3)`,
		tx.TenantID(), *externalID, self).Scan(&taken)
	if err != nil {
		return fmt.Errorf("check external id: %w", err)
	}
	if taken {
		return externalIDConflict()
	}
	return nil
}

func externalIDConflict() error {
	return &onboardiq.Error{Code: onboardiq.ECONFLICT, Field: "external_id", Message: "external_id: another customer has this external id"}
}

// writeError turns the unique violation of the external id (two writers
// at once) into its conflict.
func customerWriteError(err error, what string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "customers_external_id_idx" {
		return externalIDConflict()
	}
	return fmt.Errorf("%s: %w", what, err)
}

// checkParent returns EINVALID about parent_id unless parent may be the
// parent of customer self (uuid.Nil for a new customer): a customer of
// the tenant, not self, not one of self's descendants (a cycle), and the
// hierarchy no deeper than onboardiq.MaxHierarchyDepth levels.
func checkParent(ctx context.Context, tx *Tx, self uuid.UUID, parent *uuid.UUID) error {
	if parent == nil {
		return nil
	}
	if *parent == self {
		return onboardiq.Invalid("parent_id", "must not be the customer itself")
	}
	// The parent's ancestors, the parent first: its level is their count,
	// and self among them is a cycle.
	var level int
	var cycle bool
	err := tx.QueryRow(ctx, `
WITH RECURSIVE up (customer_id, parent_id, depth) AS (
    SELECT c.customer_id, c.parent_id, 1 FROM customers c WHERE c.tenant_id = $1 AND c.customer_id = $2
    UNION ALL
    SELECT c.customer_id, c.parent_id, up.depth + 1 FROM customers c JOIN up ON c.customer_id = up.parent_id
    WHERE c.tenant_id = $1 AND up.depth <= $4
)
SELECT count(*)::int, coalesce(bool_or(customer_id = $3), false) FROM up`, tx.TenantID(), *parent, self, onboardiq.MaxHierarchyDepth+1).Scan(&level, &cycle)
	if err != nil {
		return fmt.Errorf("check parent: %w", err)
	}
	switch {
	case level == 0:
		return onboardiq.Invalid("parent_id", "no such customer")
	case cycle:
		return onboardiq.Invalid("parent_id", "is a descendant of the customer: the hierarchy would be a cycle")
	}
	height := 1
	if self != uuid.Nil {
		err := tx.QueryRow(ctx, `
WITH RECURSIVE down (customer_id, depth) AS (
    SELECT c.customer_id, 1 FROM customers c WHERE c.tenant_id = $1 AND c.customer_id = $2
    UNION ALL
    SELECT c.customer_id, down.depth + 1 FROM customers c JOIN down ON c.parent_id = down.customer_id
    WHERE c.tenant_id = $1 AND down.depth <= $3
)
SELECT coalesce(max(depth), 1)::int FROM down`, tx.TenantID(), self, onboardiq.MaxHierarchyDepth+1).Scan(&height)
		if err != nil {
			return fmt.Errorf("check parent: %w", err)
		}
	}
	if level+height > onboardiq.MaxHierarchyDepth {
		return onboardiq.Invalid("parent_id", "the hierarchy would be deeper than %d levels", onboardiq.MaxHierarchyDepth)
	}
	return nil
}

// customerDetail fills the customer's children and its roll-up: the ARR
// of it and all its descendants (one round trip).
func customerDetail(ctx context.Context, tx *Tx, c *onboardiq.Customer) error {
	b := &pgx.Batch{}
	queueCustomerDetail(b, tx.TenantID(), c)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("customer detail: %w", err)
	}
	return nil
}

// queueCustomerDetail queues the reads of customerDetail on b.
func queueCustomerDetail(b *pgx.Batch, tenant uuid.UUID, c *onboardiq.Customer) {
	b.Queue(`SELECT c.customer_id, c.name FROM customers c WHERE c.tenant_id = $1 AND c.parent_id = $2 ORDER BY lower(c.name), c.customer_id`,
		tenant, c.ID).Query(func(rows pgx.Rows) (err error) {
		c.Children, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.CustomerRef, error) {
			var ref onboardiq.CustomerRef
			return ref, r.Scan(&ref.ID, &ref.Name)
		})
		return err
	})
	r := &onboardiq.CustomerRollup{}
	b.Queue(`
WITH RECURSIVE down (customer_id, arr, depth) AS (
    SELECT c.customer_id, c.arr, 1 FROM customers c WHERE c.tenant_id = $1 AND c.customer_id = $2
    UNION ALL
    SELECT c.customer_id, c.arr, down.depth + 1 FROM customers c JOIN down ON c.parent_id = down.customer_id
    WHERE c.tenant_id = $1 AND down.depth <= $3
)
SELECT coalesce(sum(down.arr), 0)::float8, count(*)::int, (SELECT t.currency FROM tenants t WHERE t.tenant_id = $1),
       round(coalesce(sum(h.score * down.arr) FILTER (WHERE down.arr > 0) / nullif(sum(down.arr) FILTER (WHERE down.arr > 0 AND h.score IS NOT NULL), 0),
                      avg(h.score)))::int
FROM down LEFT JOIN customer_health h ON h.tenant_id = $1 AND h.customer_id = down.customer_id`,
		tenant, c.ID, onboardiq.MaxHierarchyDepth+1).QueryRow(func(row pgx.Row) error {
		c.Rollup = r
		return row.Scan(&r.ARR, &r.Customers, &r.Currency, &r.Health)
	})
}

// CreateCustomer adds a customer to the tenant tx runs in.
func (tx *Tx) CreateCustomer(ctx context.Context, in onboardiq.NewCustomer) (*onboardiq.Customer, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.SupportMemberID != nil {
		if err := checkSupportMember(ctx, tx, *in.SupportMemberID); err != nil {
			return nil, err
		}
	}
	if err := checkParent(ctx, tx, uuid.Nil, in.ParentID); err != nil {
		return nil, err
	}
	if err := checkExternalID(ctx, tx, in.ExternalID, uuid.Nil); err != nil {
		return nil, err
	}
	cf, err := checkCustomFieldValues(ctx, tx, onboardiq.CustomFieldCustomer, in.CustomFields)
	if err != nil {
		return nil, err
	}
	c, err := scanCustomer(tx.QueryRow(ctx, `
INSERT INTO customers AS c (tenant_id, name, contact_info, segment, support_member_id,
    parent_id, arr, renewal_date, lifecycle_status, external_id, custom_fields)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9, $10, $11)
RETURNING `+customerColumns, tx.TenantID(), in.Name, in.ContactInfo, in.Segment, in.SupportMemberID,
		in.ParentID, in.ARR, in.RenewalDate, in.LifecycleStatus, in.ExternalID, cf))
	if err != nil {
		return nil, customerWriteError(err, "insert customer")
	}
	err = tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCustomerCreated, CustomerID: &c.ID,
		Data: map[string]any{"name": c.Name, "segment": c.Segment, "support_member_id": c.SupportMemberID,
			"parent_id": c.ParentID, "lifecycle_status": c.LifecycleStatus, "external_id": c.ExternalID}})
	return c, err
}

// checkSupportMember returns EINVALID unless id is an active support member
// (a csm or admin who is not disabled) of the tenant tx runs in.
func checkSupportMember(ctx context.Context, tx *Tx, id uuid.UUID) error {
	var ok bool
	err := tx.QueryRow(ctx, `
SELECT EXISTS (
    SELECT FROM support_members s JOIN tenant_users u ON u.tenant_id = s.tenant_id AND u.user_id = s.support_member_id
    WHERE s.tenant_id = $1 AND s.support_member_id = $2 AND s.active AND u.disabled_at IS NULL AND u.role IN ('csm', 'admin'))`,
		tx.TenantID(), id).Scan(&ok)
	if err != nil {
		return fmt.Errorf("check support member: %w", err)
	}
	if !ok {
		return onboardiq.Invalid("support_member_id", "is not a support member (a csm or admin) of this workspace")
	}
	return nil
}

// CreateCustomer adds a customer, as the caller (admin or csm).
func (db *DB) CreateCustomer(ctx context.Context, in onboardiq.NewCustomer) (*onboardiq.Customer, error) {
	var c *onboardiq.Customer
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.EditCustomers); err != nil {
			return err
		}
		var err error
		c, err = tx.CreateCustomer(ctx, in)
		return err
	})
	return c, err
}

// customerVisible is the filter that limits a customer contact to their own
// customer; staff see all ($2 is the contact's customer, or NULL).
const customerVisible = `($2::uuid IS NULL OR c.customer_id = $2)`

func contactCustomer(p *onboardiq.Principal) *uuid.UUID {
	if p.IsCustomer() {
		return p.CustomerID
	}
	return nil
}

func getCustomer(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID, lock bool) (*onboardiq.Customer, error) {
	q := `SELECT ` + customerColumns + ` FROM customers c WHERE c.tenant_id = $1 AND ` + customerVisible + ` AND c.customer_id = $3`
	if lock {
		q += ` FOR UPDATE`
	}
	c, err := scanCustomer(tx.QueryRow(ctx, q, tx.TenantID(), contactCustomer(p), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "customer not found")
	}
	return c, err
}

// GetCustomer returns a customer the caller may see: any for staff, their
// own for a contact.
func (db *DB) GetCustomer(ctx context.Context, id uuid.UUID) (*onboardiq.Customer, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Customer, error) {
		c, err := getCustomer(ctx, tx, p, id, false)
		if err != nil || !p.Role.IsStaff() {
			return c, err
		}
		return c, customerDetail(ctx, tx, c)
	})
}

// CustomerFilter narrows ListCustomers (and the customers page).
type CustomerFilter struct {
	onboardiq.ListOptions
	Q               string     // name contains, case-insensitive
	SupportMemberID *uuid.UUID // assigned to this support member
	// Archived picks by archiving: ArchivedExclude (the default, "")
	// lists the active customers, ArchivedOnly the archived ones,
	// ArchivedAny both.
	Archived string
	// The account (docs/accounts.md): children of ParentID, a lifecycle
	// status, renewing on or before RenewalBefore and on or after
	// RenewalAfter (YYYY-MM-DD), the vendor's id, custom field values.
	ParentID        *uuid.UUID
	LifecycleStatus string
	RenewalBefore   string
	RenewalAfter    string
	ExternalID      string
	CustomFields    []CustomFieldFilter
}

// accountSQL is the WHERE clause of f's account filters, with its
// arguments appended to args.
func (f *CustomerFilter) accountSQL(ctx context.Context, tx *Tx, args *[]any) (string, error) {
	arg := func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
	parts := []string{"true"}
	if f.ParentID != nil {
		parts = append(parts, "c.parent_id = "+arg(*f.ParentID))
	}
	if f.LifecycleStatus != "" {
		parts = append(parts, "c.lifecycle_status = "+arg(f.LifecycleStatus))
	}
	if f.RenewalBefore != "" {
		parts = append(parts, "c.renewal_date <= "+arg(f.RenewalBefore)+"::date")
	}
	if f.RenewalAfter != "" {
		parts = append(parts, "c.renewal_date >= "+arg(f.RenewalAfter)+"::date")
	}
	if f.ExternalID != "" {
		parts = append(parts, "c.external_id = "+arg(f.ExternalID))
	}
	cf, err := customFieldSQL(ctx, tx, onboardiq.CustomFieldCustomer, "c", f.CustomFields, args)
	if err != nil {
		return "", err
	}
	return strings.Join(append(parts, cf), " AND "), nil
}

// The values of CustomerFilter.Archived.
const (
	ArchivedExclude = "false"
	ArchivedOnly    = "true"
	ArchivedAny     = "any"
)

// archivedSQL is the filter on c.archived_at for the Archived value in $n.
func archivedSQL(n int) string {
	return fmt.Sprintf(`(CASE $%[1]d::text WHEN 'any' THEN true WHEN 'true' THEN c.archived_at IS NOT NULL ELSE c.archived_at IS NULL END)`, n)
}

func (f *CustomerFilter) normalise() (afterName *string, afterID *uuid.UUID, err error) {
	if err := f.Normalise(); err != nil {
		return nil, nil, err
	}
	switch f.Archived {
	case "":
		f.Archived = ArchivedExclude
	case ArchivedExclude, ArchivedOnly, ArchivedAny:
	default:
		return nil, nil, onboardiq.Invalid("archived", "must be false, true or any")
	}
	if f.LifecycleStatus != "" && !onboardiq.LifecycleStatus(f.LifecycleStatus).Valid() {
		return nil, nil, onboardiq.Invalid("lifecycle_status", "must be prospect, onboarding, active or churned")
	}
	for field, d := range map[string]string{"renewal_before": f.RenewalBefore, "renewal_after": f.RenewalAfter} {
		if d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return nil, nil, onboardiq.Invalid(field, "must be a date as YYYY-MM-DD")
			}
		}
	}
	if f.Cursor != "" {
		var n string
		var id uuid.UUID
		if err := decodeCursor(f.Cursor, &n, &id); err != nil {
			return nil, nil, err
		}
		afterName, afterID = &n, &id
	}
	return afterName, afterID, nil
}

// ListCustomers lists the customers the caller may see, by name: by
// default the active ones (CustomerFilter.Archived).
func (db *DB) ListCustomers(ctx context.Context, f CustomerFilter) (onboardiq.Page[*onboardiq.Customer], error) {
	var out onboardiq.Page[*onboardiq.Customer]
	afterName, afterID, err := f.normalise()
	if err != nil {
		return out, err
	}
	err = db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		args := []any{tx.TenantID(), contactCustomer(p), likeEscape(f.Q), f.SupportMemberID, afterName, afterID, f.Limit + 1, f.Archived}
		account, err := f.accountSQL(ctx, tx, &args)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
SELECT `+customerColumns+` FROM customers c
WHERE c.tenant_id = $1 AND `+customerVisible+`
  AND ($3::text = '' OR c.name ILIKE '%' || $3 || '%')
  AND ($4::uuid IS NULL OR c.support_member_id = $4)
  AND ($5::text IS NULL OR (lower(c.name), c.customer_id) > ($5, $6))
  AND `+archivedSQL(8)+`
  AND `+account+`
ORDER BY lower(c.name), c.customer_id
LIMIT $7`, args...)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Customer, error) { return scanCustomer(r) })
		out = page(items, f.Limit, func(c *onboardiq.Customer) []any { return []any{strings.ToLower(c.Name), c.ID} })
		return err
	})
	return out, err
}

// likeEscape escapes LIKE's wildcards in user input.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.TrimSpace(s))
}

// UpdateCustomer changes a customer's name, contact details or segment
// (admin or csm), archived or not.
func (db *DB) UpdateCustomer(ctx context.Context, id uuid.UUID, patch onboardiq.CustomerPatch) (*onboardiq.Customer, error) {
	var c *onboardiq.Customer
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		before, err := getCustomer(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditCustomers); err != nil {
			return err
		}
		after := *before
		if err := patch.Apply(&after); err != nil {
			return err
		}
		if patch.ParentID.Set {
			if err := checkParent(ctx, tx, id, after.ParentID); err != nil {
				return err
			}
		}
		if err := checkExternalID(ctx, tx, after.ExternalID, id); err != nil {
			return err
		}
		if patch.CustomFields.Set {
			if after.CustomFields, err = checkCustomFieldValues(ctx, tx, onboardiq.CustomFieldCustomer, after.CustomFields); err != nil {
				return err
			}
		}
		c, err = scanCustomer(tx.QueryRow(ctx, `
UPDATE customers c SET name = $3, contact_info = $4, segment = $5, parent_id = $6, arr = $7, renewal_date = $8::date,
    lifecycle_status = $9, external_id = $10, custom_fields = $11, updated_at = now()
WHERE c.tenant_id = $1 AND c.customer_id = $2
RETURNING `+customerColumns, tx.TenantID(), id, after.Name, after.ContactInfo, after.Segment,
			after.ParentID, after.ARR, after.RenewalDate, after.LifecycleStatus, after.ExternalID, after.CustomFields))
		if err != nil {
			return customerWriteError(err, "update customer")
		}
		if ch := changes(before, c, "name", "contact_info", "segment", "parent_id", "arr", "renewal_date",
			"lifecycle_status", "external_id", "custom_fields"); len(ch) > 0 {
			return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCustomerUpdated, CustomerID: &c.ID, Changes: ch})
		}
		return nil
	})
	return c, err
}

// ArchiveCustomer archives a customer (admin or csm): it leaves the default
// customers list and takes no new project; its projects, tasks and
// contacts stay as they are. An archived customer answers ECONFLICT.
func (db *DB) ArchiveCustomer(ctx context.Context, id uuid.UUID) (*onboardiq.Customer, error) {
	return db.setArchived(ctx, id, true)
}

// UnarchiveCustomer makes an archived customer active again (admin or
// csm); an active one answers ECONFLICT.
func (db *DB) UnarchiveCustomer(ctx context.Context, id uuid.UUID) (*onboardiq.Customer, error) {
	return db.setArchived(ctx, id, false)
}

func (db *DB) setArchived(ctx context.Context, id uuid.UUID, archive bool) (*onboardiq.Customer, error) {
	var c *onboardiq.Customer
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		before, err := getCustomer(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditCustomers); err != nil {
			return err
		}
		switch {
		case archive && before.Archived():
			return onboardiq.Errorf(onboardiq.ECONFLICT, "the customer is archived already")
		case !archive && !before.Archived():
			return onboardiq.Errorf(onboardiq.ECONFLICT, "the customer is not archived")
		}
		var at *time.Time
		kind := onboardiq.EventCustomerUnarchived
		if archive {
			now := time.Now()
			at, kind = &now, onboardiq.EventCustomerArchived
		}
		c, err = scanCustomer(tx.QueryRow(ctx, `
UPDATE customers c SET archived_at = $3, updated_at = now()
WHERE c.tenant_id = $1 AND c.customer_id = $2
RETURNING `+customerColumns, tx.TenantID(), id, at))
		if err != nil {
			return fmt.Errorf("archive customer: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: kind, CustomerID: &c.ID, Data: map[string]any{"name": c.Name}})
	})
	return c, err
}

// customerTakesProjects returns EINVALID about customer_id unless the
// customer exists, is visible to p, and is not archived; it locks the
// customer's row, so archiving waits for a project being created.
func customerTakesProjects(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID) error {
	c, err := getCustomer(ctx, tx, p, id, true)
	switch {
	case onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND:
		return onboardiq.Invalid("customer_id", "no such customer")
	case err != nil:
		return err
	case c.Archived():
		return onboardiq.Invalid("customer_id", "the customer is archived: unarchive it to start a project")
	}
	return nil
}

// AssignSupportMember makes a support member (a csm or admin) the
// customer's, or unassigns with nil (admin or csm).
func (db *DB) AssignSupportMember(ctx context.Context, customerID uuid.UUID, memberID *uuid.UUID) (*onboardiq.Customer, error) {
	var c *onboardiq.Customer
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		before, err := getCustomer(ctx, tx, p, customerID, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditCustomers); err != nil {
			return err
		}
		if memberID != nil {
			if err := checkSupportMember(ctx, tx, *memberID); err != nil {
				return err
			}
		}
		c, err = scanCustomer(tx.QueryRow(ctx, `
UPDATE customers c SET support_member_id = $3, updated_at = now()
WHERE c.tenant_id = $1 AND c.customer_id = $2
RETURNING `+customerColumns, tx.TenantID(), customerID, memberID))
		if err != nil {
			return fmt.Errorf("assign support member: %w", err)
		}
		if ch := changes(before, c, "support_member_id"); len(ch) > 0 {
			return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventSupportMemberAssigned, CustomerID: &c.ID, Changes: ch})
		}
		return nil
	})
	return c, err
}

// DeleteCustomer deletes a customer with its projects, tasks and contacts
// (admin or csm). The activity log keeps its history.
func (db *DB) DeleteCustomer(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		c, err := getCustomer(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditCustomers); err != nil {
			return err
		}
		if err := refuseWithChildren(ctx, tx, id); err != nil {
			return err
		}
		if err := clearReferences(ctx, tx, customerReferences, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete customer: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM customers WHERE tenant_id = $1 AND customer_id = $2`, tx.TenantID(), id); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23503" {
				return onboardiq.Errorf(onboardiq.ECONFLICT, "the customer is still referenced: %s", pgErr.ConstraintName)
			}
			return fmt.Errorf("delete customer: %w", err)
		}
		if err := tx.credentialsChanged(ctx); err != nil { // its contacts went with it
			return err
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCustomerDeleted, CustomerID: &c.ID, Data: map[string]any{"name": c.Name}})
	})
}

// SupportMemberName returns the name of a customer's support member, or "".
func (tx *Tx) SupportMemberName(ctx context.Context, customerID uuid.UUID) (string, error) {
	var name *string
	err := tx.QueryRow(ctx, `
SELECT s.name FROM customers c LEFT JOIN support_members s ON s.tenant_id = c.tenant_id AND s.support_member_id = c.support_member_id
WHERE c.tenant_id = $1 AND c.customer_id = $2`, tx.TenantID(), customerID).Scan(&name)
	if err != nil || name == nil {
		return "", err
	}
	return *name, nil
}

// refuseWithChildren answers ECONFLICT, naming them, when customer id has
// children: they would lose their parent (docs/accounts.md).
func refuseWithChildren(ctx context.Context, tx *Tx, id uuid.UUID) error {
	rows, err := tx.Query(ctx, `SELECT c.name FROM customers c WHERE c.tenant_id = $1 AND c.parent_id = $2 ORDER BY lower(c.name), c.customer_id LIMIT 11`,
		tx.TenantID(), id)
	if err != nil {
		return fmt.Errorf("children: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(names) == 0 {
		return err
	}
	list := strings.Join(names[:min(len(names), 10)], ", ")
	if len(names) > 10 {
		list += ", …"
	}
	return onboardiq.Errorf(onboardiq.ECONFLICT, "the customer has child customers (%s): move or delete them first", list)
}
