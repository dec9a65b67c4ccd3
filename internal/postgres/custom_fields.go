package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Typed custom fields (docs/accounts.md): the tenant defines them per
// entity (customer, project); the values live in the entity's
// custom_fields, checked here against the definitions when written.

const customFieldColumns = `f.field_id, f.entity, f.key, f.label, f.type, f.options, f.position, f.created_at, f.updated_at`

func scanCustomField(row pgx.Row) (*onboardiq.CustomField, error) {
	f := &onboardiq.CustomField{}
	err := row.Scan(&f.ID, &f.Entity, &f.Key, &f.Label, &f.Type, &f.Options, &f.Position, &f.CreatedAt, &f.UpdatedAt)
	return f, err
}

// customFields lists the tenant's custom fields of an entity ("" for
// both), by position.
func customFields(ctx context.Context, tx *Tx, entity onboardiq.CustomFieldEntity) ([]*onboardiq.CustomField, error) {
	rows, err := tx.Query(ctx, `SELECT `+customFieldColumns+` FROM custom_field_definitions f
WHERE f.tenant_id = $1 AND ($2::text = '' OR f.entity = $2)
ORDER BY f.entity, f.position, f.key`, tx.TenantID(), string(entity))
	if err != nil {
		return nil, fmt.Errorf("custom fields: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.CustomField, error) { return scanCustomField(r) })
	if err != nil {
		return nil, fmt.Errorf("custom fields: %w", err)
	}
	return out, nil
}

// checkCustomFieldValues checks values against the entity's definitions
// (onboardiq.CheckCustomFields).
func checkCustomFieldValues(ctx context.Context, tx *Tx, entity onboardiq.CustomFieldEntity, values map[string]any) (map[string]any, error) {
	if len(values) == 0 {
		return map[string]any{}, nil
	}
	defs, err := customFields(ctx, tx, entity)
	if err != nil {
		return nil, err
	}
	return onboardiq.CheckCustomFields(defs, values)
}

// ListCustomFields lists the tenant's custom fields (staff), of one entity
// or ("") of both, by entity and position.
func (db *DB) ListCustomFields(ctx context.Context, entity onboardiq.CustomFieldEntity) ([]*onboardiq.CustomField, error) {
	if entity != "" && entity != onboardiq.CustomFieldCustomer && entity != onboardiq.CustomFieldProject {
		return nil, onboardiq.Invalid("entity", "must be customer or project")
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]*onboardiq.CustomField, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return nil, err
		}
		return customFields(ctx, tx, entity)
	})
}

func getCustomField(ctx context.Context, tx *Tx, id uuid.UUID) (*onboardiq.CustomField, error) {
	f, err := scanCustomField(tx.QueryRow(ctx, `SELECT `+customFieldColumns+` FROM custom_field_definitions f
WHERE f.tenant_id = $1 AND f.field_id = $2 FOR UPDATE`, tx.TenantID(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "custom field not found")
	}
	return f, err
}

func customFieldEvent(action string, f *onboardiq.CustomField, ch map[string]any) onboardiq.Event {
	return onboardiq.Event{Kind: onboardiq.EventCustomFieldsChanged, Changes: ch,
		Data: map[string]any{"action": action, "field_id": f.ID, "entity": f.Entity, "key": f.Key, "label": f.Label, "type": f.Type}}
}

// CreateCustomField defines a custom field (admins); a key its entity has
// already answers ECONFLICT.
func (db *DB) CreateCustomField(ctx context.Context, in onboardiq.NewCustomField) (*onboardiq.CustomField, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var f *onboardiq.CustomField
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		var err error
		f, err = scanCustomField(tx.QueryRow(ctx, `
INSERT INTO custom_field_definitions AS f (tenant_id, entity, key, label, type, options, position)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id, entity, key) DO NOTHING
RETURNING `+customFieldColumns, tx.TenantID(), in.Entity, in.Key, in.Label, in.Type, in.Options, in.Position))
		if errors.Is(err, pgx.ErrNoRows) {
			return &onboardiq.Error{Code: onboardiq.ECONFLICT, Field: "key",
				Message: fmt.Sprintf("key: the %s field %q exists already", in.Entity, in.Key)}
		}
		if err != nil {
			return fmt.Errorf("create custom field: %w", err)
		}
		return tx.Emit(ctx, customFieldEvent("created", f, nil))
	})
	return f, err
}

// UpdateCustomField changes a custom field's label, options or position
// (admins). Values of a one_of field that are no longer among its options
// stay until their customer or project is next written.
func (db *DB) UpdateCustomField(ctx context.Context, id uuid.UUID, patch onboardiq.CustomFieldPatch) (*onboardiq.CustomField, error) {
	var f *onboardiq.CustomField
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		before, err := getCustomField(ctx, tx, id)
		if err != nil {
			return err
		}
		after := *before
		if err := patch.Apply(&after); err != nil {
			return err
		}
		f, err = scanCustomField(tx.QueryRow(ctx, `
UPDATE custom_field_definitions f SET label = $3, options = $4, position = $5, updated_at = now()
WHERE f.tenant_id = $1 AND f.field_id = $2
RETURNING `+customFieldColumns, tx.TenantID(), id, after.Label, after.Options, after.Position))
		if err != nil {
			return fmt.Errorf("update custom field: %w", err)
		}
		if ch := changes(before, f, "label", "options", "position"); len(ch) > 0 {
			return tx.Emit(ctx, customFieldEvent("updated", f, ch))
		}
		return nil
	})
	return f, err
}

// DeleteCustomField deletes a custom field and its values on every
// customer or project (admins).
func (db *DB) DeleteCustomField(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		f, err := getCustomField(ctx, tx, id)
		if err != nil {
			return err
		}
		table := "customers"
		if f.Entity == onboardiq.CustomFieldProject {
			table = "projects"
		}
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET custom_fields = custom_fields - $2::text
WHERE tenant_id = $1 AND custom_fields ? $2::text`, tx.TenantID(), f.Key); err != nil {
			return fmt.Errorf("delete custom field values: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM custom_field_definitions WHERE tenant_id = $1 AND field_id = $2`, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete custom field: %w", err)
		}
		return tx.Emit(ctx, customFieldEvent("deleted", f, nil))
	})
}

// CustomFieldFilter is a list filter on a custom field's value: cf.<key>
// (Op "eq") or, for number and date fields, cf.<key>.gte / .lte.
type CustomFieldFilter struct {
	Key   string
	Op    string // eq, gte, lte
	Value string
}

// ParseCustomFieldFilters reads the cf.<key>[.gte|.lte] parameters of a
// list's query.
func ParseCustomFieldFilters(query map[string][]string) []CustomFieldFilter {
	var out []CustomFieldFilter
	for name, vs := range query {
		key, ok := strings.CutPrefix(name, "cf.")
		if !ok || len(vs) == 0 {
			continue
		}
		op := "eq"
		for _, o := range []string{"gte", "lte"} {
			if k, found := strings.CutSuffix(key, "."+o); found {
				key, op = k, o
			}
		}
		out = append(out, CustomFieldFilter{Key: key, Op: op, Value: vs[0]})
	}
	return out
}

// customFieldSQL is the WHERE clause of the filters on alias's
// custom_fields, with its arguments appended to args; an unknown key or a
// value not of the field's type answers EINVALID naming "cf.<key>".
func customFieldSQL(ctx context.Context, tx *Tx, entity onboardiq.CustomFieldEntity, alias string, filters []CustomFieldFilter, args *[]any) (string, error) {
	if len(filters) == 0 {
		return "true", nil
	}
	defs, err := customFields(ctx, tx, entity)
	if err != nil {
		return "", err
	}
	byKey := map[string]*onboardiq.CustomField{}
	for _, d := range defs {
		byKey[d.Key] = d
	}
	var parts []string
	arg := func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
	for _, f := range filters {
		name := "cf." + f.Key
		if f.Op != "eq" {
			name += "." + f.Op
		}
		d, ok := byKey[f.Key]
		if !ok {
			return "", onboardiq.Invalid(name, "is not a custom field of this workspace")
		}
		v, err := onboardiq.CustomFieldValue(d, name, f.Value)
		if err != nil {
			return "", err
		}
		col := alias + ".custom_fields"
		switch {
		case f.Op == "eq":
			doc, _ := json.Marshal(map[string]any{f.Key: v})
			parts = append(parts, col+" @> "+arg(string(doc))+"::jsonb")
		case d.Type == onboardiq.CustomFieldNumber:
			k := arg(f.Key)
			cmp := map[string]string{"gte": ">=", "lte": "<="}[f.Op]
			parts = append(parts, fmt.Sprintf("(CASE WHEN jsonb_typeof(%s -> %s::text) = 'number' THEN (%s ->> %s::text)::float8 END) %s %s::float8",
				col, k, col, k, cmp, arg(v)))
		case d.Type == onboardiq.CustomFieldDate:
			k := arg(f.Key)
			cmp := map[string]string{"gte": ">=", "lte": "<="}[f.Op]
			parts = append(parts, fmt.Sprintf("(%s ->> %s::text) %s %s::text", col, k, cmp, arg(v)))
		default:
			return "", onboardiq.Invalid(name, "only number and date fields compare with .gte and .lte")
		}
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}
