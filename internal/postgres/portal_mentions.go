package postgres

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// PortalMentionable is someone a contact's comment on a task of a project
// may mention (everyone the notifier accepts on a task customers see:
// Tx.Mentionable), and whether the portal suggests them: the portal
// offers the contact's colleagues and the staff they work with (the
// customer's CSM, and staff who hold a task of the project that customers
// see), not the vendor's whole staff.
type PortalMentionable struct {
	Mentionable
	Suggested bool
	CSM       bool // the customer's support member
}

// portalMentionableQuery is mentionableQuery on a task of customer $2 that
// customers see ($3 true), with whom the portal suggests on project $4.
// The whole set comes back, suggested or not: whether a name mentions one
// person alone depends on everyone the notifier reads.
const portalMentionableQuery = `
SELECT m.user_id, m.name, m.email, m.role,
       m.role = 'customer' OR m.user_id IS NOT DISTINCT FROM c.support_member_id OR EXISTS (
           SELECT FROM tasks t WHERE t.tenant_id = $1 AND t.project_id = $4 AND t.visibility = 'customer' AND t.assigned_to = m.user_id),
       m.user_id IS NOT DISTINCT FROM c.support_member_id
FROM (` + mentionableQuery + `) m
LEFT JOIN customers c ON c.tenant_id = $1 AND c.customer_id = $2
ORDER BY m.user_id IS DISTINCT FROM c.support_member_id, m.role = 'customer', lower(m.name), m.user_id`

// queuePortalMentionable queues on b the read of whom a contact of
// customer may mention on the tasks of project (portalMentionableQuery),
// into *out. The caller has checked that the contact sees the project.
func queuePortalMentionable(b *pgx.Batch, tenant, customer, project uuid.UUID, out *[]PortalMentionable) {
	b.Queue(portalMentionableQuery, tenant, customer, true, project).Query(func(rows pgx.Rows) (err error) {
		*out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (PortalMentionable, error) {
			var m PortalMentionable
			return m, r.Scan(&m.UserID, &m.Name, &m.Email, &m.Role, &m.Suggested, &m.CSM)
		})
		return err
	})
}
