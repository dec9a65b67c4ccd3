package postgres

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// queueCustomFields adds to a page's batch the read of the tenant's custom
// fields of entity, by position: the console's forms show an input for
// each, and its pages their values (the page still reads in one
// transaction).
func queueCustomFields(b *pgx.Batch, tenant uuid.UUID, entity onboardiq.CustomFieldEntity, into *[]*onboardiq.CustomField) {
	b.Queue(`SELECT `+customFieldColumns+` FROM custom_field_definitions f
WHERE f.tenant_id = $1 AND f.entity = $2
ORDER BY f.position, f.key`, tenant, string(entity)).Query(func(rows pgx.Rows) (err error) {
		*into, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.CustomField, error) { return scanCustomField(r) })
		return err
	})
}
