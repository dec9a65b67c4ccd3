package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/secret"
)

// errNoSecretKey is returned when a secret must be sealed or opened and the
// store was opened without a keyring.
var errNoSecretKey = errors.New("no secret key: webhook signing secrets are stored encrypted; set ONBOARDIQ_SECRET_KEY (onboardiq secret-key prints one)")

// webhookSecretAD binds a sealed webhook secret to its column, tenant and
// endpoint: copied into another row, it does not open.
func webhookSecretAD(tenant, endpoint uuid.UUID) []byte {
	return []byte("webhook_endpoints.secret_sealed\x00" + tenant.String() + "\x00" + endpoint.String())
}

func (tx *Tx) sealWebhookSecret(endpoint uuid.UUID, plain string) ([]byte, error) {
	if tx.secrets == nil {
		return nil, errNoSecretKey
	}
	return tx.secrets.Seal([]byte(plain), webhookSecretAD(tx.tenantID, endpoint))
}

// openWebhookSecret returns an endpoint's signing secret from its row: the
// sealed value, or the plaintext a row stored before secrets were sealed
// still holds until serve or `secrets rotate` seals it.
func (tx *Tx) openWebhookSecret(endpoint uuid.UUID, plain *string, sealed []byte) (string, error) {
	if sealed == nil {
		if plain == nil {
			return "", fmt.Errorf("webhook endpoint %s has no secret", endpoint)
		}
		return *plain, nil
	}
	if tx.secrets == nil {
		return "", errNoSecretKey
	}
	b, err := tx.secrets.Open(sealed, webhookSecretAD(tx.tenantID, endpoint))
	if err != nil {
		return "", fmt.Errorf("webhook endpoint %s: %w", endpoint, err)
	}
	return string(b), nil
}

// ResealReport says what ResealWebhookSecrets did, over webhook endpoints
// and playbooks (whose ids Unreadable may name too).
type ResealReport struct {
	Tenants  int `json:"tenants"`
	Sealed   int `json:"sealed"`   // plaintext secrets sealed
	Resealed int `json:"resealed"` // sealed with another key, now with the first
	Current  int `json:"current"`  // already sealed with the first key
	// Unreadable are endpoints whose secret was sealed with a key the
	// keyring lacks, or does not open: they cannot sign until the key that
	// sealed them is listed again.
	Unreadable []uuid.UUID `json:"unreadable"`
}

// ResealWebhookSecrets goes through every tenant's webhook endpoints and
// seals the secrets still stored in plaintext; with rekey, it also seals
// again, with the first key, the secrets sealed with another. It is the
// operator's path (serve at start-up, `onboardiq secrets rotate`), across
// tenants one tenant transaction at a time. A secret rotated meanwhile is
// left as its rotation wrote it.
func (db *DB) ResealWebhookSecrets(ctx context.Context, rekey bool) (ResealReport, error) {
	r := ResealReport{Unreadable: []uuid.UUID{}}
	if db.secrets == nil {
		return r, errNoSecretKey
	}
	tenants, err := db.AllTenantIDs(ctx)
	if err != nil {
		return r, err
	}
	for _, tenant := range tenants {
		var tr ResealReport
		err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
			tr = ResealReport{}
			return resealTenant(ctx, tx, rekey, &tr)
		})
		if err != nil {
			return r, fmt.Errorf("tenant %s: %w", tenant, err)
		}
		r.Tenants++
		r.Sealed += tr.Sealed
		r.Resealed += tr.Resealed
		r.Current += tr.Current
		r.Unreadable = append(r.Unreadable, tr.Unreadable...)
	}
	return r, nil
}

func resealTenant(ctx context.Context, tx *Tx, rekey bool, r *ResealReport) error {
	type row struct {
		id     uuid.UUID
		plain  *string
		sealed []byte
	}
	rows, err := tx.Query(ctx, `SELECT endpoint_id, secret, secret_sealed FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY endpoint_id`, tx.TenantID())
	if err != nil {
		return err
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.plain, &x.sealed)
	})
	if err != nil {
		return err
	}
	for _, x := range all {
		switch {
		case x.sealed != nil && tx.secrets.Current(x.sealed):
			r.Current++
			continue
		case x.sealed != nil && !tx.secrets.Has(x.sealed):
			r.Unreadable = append(r.Unreadable, x.id)
			continue
		case x.sealed != nil && !rekey:
			continue // sealed with an older key the keyring still has
		}
		plain, err := tx.openWebhookSecret(x.id, x.plain, x.sealed)
		if errors.Is(err, secret.ErrOpen) || errors.Is(err, secret.ErrUnknownKey) {
			r.Unreadable = append(r.Unreadable, x.id)
			continue
		}
		if err != nil {
			return err
		}
		sealed, err := tx.sealWebhookSecret(x.id, plain)
		if err != nil {
			return err
		}
		// Only if the row still holds what was read: a rotation in between
		// wrote a secret sealed with the first key already.
		tag, err := tx.Exec(ctx, `
UPDATE webhook_endpoints SET secret = NULL, secret_sealed = $5
WHERE tenant_id = $1 AND endpoint_id = $2 AND secret IS NOT DISTINCT FROM $3 AND secret_sealed IS NOT DISTINCT FROM $4`,
			tx.TenantID(), x.id, x.plain, x.sealed, sealed)
		if err != nil {
			return fmt.Errorf("seal the secret of endpoint %s: %w", x.id, err)
		}
		switch {
		case tag.RowsAffected() == 0:
		case x.sealed == nil:
			r.Sealed++
		default:
			r.Resealed++
		}
	}
	if err := resealPlaybooks(ctx, tx, rekey, r); err != nil {
		return err
	}
	return resealCRM(ctx, tx, rekey, r)
}

// resealPlaybooks seals again, with the first key, the playbooks' signing
// secrets sealed with another (rekey); they are never stored in plaintext.
func resealPlaybooks(ctx context.Context, tx *Tx, rekey bool, r *ResealReport) error {
	rows, err := tx.Query(ctx, `SELECT playbook_id, secret_sealed FROM playbooks WHERE tenant_id = $1 AND secret_sealed IS NOT NULL ORDER BY playbook_id`, tx.TenantID())
	if err != nil {
		return err
	}
	type row struct {
		id     uuid.UUID
		sealed []byte
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.sealed)
	})
	if err != nil {
		return err
	}
	for _, x := range all {
		switch {
		case tx.secrets.Current(x.sealed):
			r.Current++
			continue
		case !tx.secrets.Has(x.sealed):
			r.Unreadable = append(r.Unreadable, x.id)
			continue
		case !rekey:
			continue
		}
		plain, err := tx.openPlaybookSecret(x.id, x.sealed)
		if errors.Is(err, secret.ErrOpen) || errors.Is(err, secret.ErrUnknownKey) {
			r.Unreadable = append(r.Unreadable, x.id)
			continue
		}
		if err != nil {
			return err
		}
		sealed, err := tx.secrets.Seal([]byte(plain), playbookSecretAD(tx.tenantID, x.id))
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE playbooks SET secret_sealed = $4 WHERE tenant_id = $1 AND playbook_id = $2 AND secret_sealed = $3`,
			tx.TenantID(), x.id, x.sealed, sealed)
		if err != nil {
			return fmt.Errorf("seal the secret of playbook %s: %w", x.id, err)
		}
		if tag.RowsAffected() > 0 {
			r.Resealed++
		}
	}
	return nil
}
