package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

const webhookColumns = `endpoint_id, url, events, format, description, allow_http, disabled_at IS NOT NULL, disabled_reason, created_at, secret_rotated_at`

func scanWebhook(r pgx.Row) (*onboardiq.WebhookEndpoint, error) {
	w := &onboardiq.WebhookEndpoint{}
	err := r.Scan(&w.ID, &w.URL, &w.Events, &w.Format, &w.Description, &w.AllowHTTP, &w.Disabled, &w.DisabledReason, &w.CreatedAt, &w.SecretRotatedAt)
	return w, err
}

// webhookEventNames lists the types an endpoint can subscribe to, for errors.
var webhookEventNames = func() string {
	names := make([]string, len(onboardiq.WebhookEvents))
	for i, k := range onboardiq.WebhookEvents {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}()

// validateWebhook normalises an endpoint's settings and reports the first
// bad one.
func validateWebhook(in *onboardiq.WebhookInput) error {
	if in.Format == "" {
		in.Format = "standard"
	}
	if in.Format != "standard" && in.Format != "slack" {
		return onboardiq.Invalid("format", "must be standard or slack")
	}
	if in.Events == nil {
		in.Events = []string{}
	}
	for i, e := range in.Events {
		if !slices.Contains(onboardiq.WebhookEvents, onboardiq.EventKind(e)) {
			return onboardiq.Invalid(fmt.Sprintf("events[%d]", i), "must be one of %s", webhookEventNames)
		}
	}
	if len([]rune(in.Description)) > 500 {
		return onboardiq.Invalid("description", "must be at most 500 characters")
	}
	return nil
}

// newWebhookSecret makes a Standard Webhooks secret: whsec_ and 32 random
// bytes in base64.
func newWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func getWebhook(ctx context.Context, tx *Tx, id uuid.UUID) (*onboardiq.WebhookEndpoint, error) {
	w, err := scanWebhook(tx.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints WHERE tenant_id = $1 AND endpoint_id = $2`, tx.TenantID(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "webhook endpoint not found")
	}
	return w, err
}

// authorizeWebhookChange checks, in this order, that the caller may manage
// webhooks and that the input is valid. Only then may a URL be checked:
// checking resolves the host, and a caller who may not register webhooks
// must not be able to use that as a DNS probe.
func authorizeWebhookChange(ctx context.Context, in *onboardiq.WebhookInput) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := p.Check(onboardiq.ManageWebhooks); err != nil {
		return err
	}
	return validateWebhook(in)
}

// checkWebhookURL checks the URL with the store's guard (WithWebhookGuard),
// after authorizeWebhookChange.
func (db *DB) checkWebhookURL(ctx context.Context, in onboardiq.WebhookInput) error {
	return db.webhooks.CheckURL(ctx, in.URL, in.AllowHTTP)
}

// CreateWebhook registers an endpoint (admins) and returns it with its
// signing secret, which is shown only now: it is stored sealed with the
// secret key, bound to this endpoint. The URL is checked against the
// store's guard once the caller is known to be an admin.
func (db *DB) CreateWebhook(ctx context.Context, in onboardiq.WebhookInput) (*onboardiq.WebhookEndpoint, string, error) {
	if err := authorizeWebhookChange(ctx, &in); err != nil {
		return nil, "", err
	}
	if err := db.checkWebhookURL(ctx, in); err != nil {
		return nil, "", err
	}
	secret := newWebhookSecret()
	var w *onboardiq.WebhookEndpoint
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageWebhooks); err != nil {
			return err
		}
		if err := checkQuota(ctx, tx, onboardiq.QuotaIntegrations, 1); err != nil {
			return err
		}
		id := uuid.New()
		sealed, err := tx.sealWebhookSecret(id, secret)
		if err != nil {
			return err
		}
		w, err = scanWebhook(tx.QueryRow(ctx, `
INSERT INTO webhook_endpoints (tenant_id, endpoint_id, url, events, format, secret_sealed, description, allow_http)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+webhookColumns, tx.TenantID(), id, in.URL, in.Events, in.Format, sealed, in.Description, in.AllowHTTP))
		if err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventWebhookCreated, Data: map[string]any{"endpoint_id": w.ID, "url": w.URL, "events": w.Events}})
	})
	return w, secret, err
}

// ListWebhooks lists the tenant's endpoints (admins).
func (db *DB) ListWebhooks(ctx context.Context) ([]*onboardiq.WebhookEndpoint, error) {
	out := []*onboardiq.WebhookEndpoint{}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageWebhooks); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, endpoint_id`, tx.TenantID())
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.WebhookEndpoint, error) { return scanWebhook(r) })
		return err
	})
	return out, err
}

// GetWebhook returns an endpoint (admins).
func (db *DB) GetWebhook(ctx context.Context, id uuid.UUID) (*onboardiq.WebhookEndpoint, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.WebhookEndpoint, error) {
		if err := p.Check(onboardiq.ManageWebhooks); err != nil {
			return nil, err
		}
		return getWebhook(ctx, tx, id)
	})
}

// UpdateWebhook replaces an endpoint's settings and enables or disables it
// (admins). A new URL, or a change of allow_http, is checked against the
// guard once the caller is known to be an admin and the endpoint to exist; an
// unchanged one is not, so that an endpoint whose host no longer resolves
// can still be disabled (sends check every address again when they dial).
func (db *DB) UpdateWebhook(ctx context.Context, id uuid.UUID, in onboardiq.WebhookInput, disabled bool) (*onboardiq.WebhookEndpoint, error) {
	if err := authorizeWebhookChange(ctx, &in); err != nil {
		return nil, err
	}
	current, err := db.GetWebhook(ctx, id)
	if err != nil {
		return nil, err
	}
	if current.URL != in.URL || current.AllowHTTP != in.AllowHTTP {
		if err := db.checkWebhookURL(ctx, in); err != nil {
			return nil, err
		}
	}
	var w *onboardiq.WebhookEndpoint
	err = db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageWebhooks); err != nil {
			return err
		}
		before, err := getWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		w, err = scanWebhook(tx.QueryRow(ctx, `
UPDATE webhook_endpoints SET url = $3, events = $4, format = $5, description = $6, allow_http = $7,
    disabled_at = CASE WHEN $8 THEN coalesce(disabled_at, $9) END,
    disabled_reason = CASE WHEN $8 THEN coalesce(disabled_reason, 'disabled by an admin') END, updated_at = now()
WHERE tenant_id = $1 AND endpoint_id = $2 RETURNING `+webhookColumns,
			tx.TenantID(), id, in.URL, in.Events, in.Format, in.Description, in.AllowHTTP, disabled, time.Now()))
		if err != nil {
			return fmt.Errorf("update webhook: %w", err)
		}
		if ch := changes(before, w, "url", "events", "format", "description", "allow_http", "disabled"); len(ch) > 0 {
			return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventWebhookUpdated, Data: map[string]any{"endpoint_id": id}, Changes: ch})
		}
		return nil
	})
	return w, err
}

// DeleteWebhook removes an endpoint and its delivery log (admins).
func (db *DB) DeleteWebhook(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageWebhooks); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND endpoint_id = $2`, tx.TenantID(), id)
		if err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "webhook endpoint not found")
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventWebhookDeleted, Data: map[string]any{"endpoint_id": id}})
	})
}

// RotateWebhookSecret gives an endpoint a new secret, returned only now
// (admins). Deliveries signed from now on use it.
func (db *DB) RotateWebhookSecret(ctx context.Context, id uuid.UUID) (string, error) {
	secret := newWebhookSecret()
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageWebhooks); err != nil {
			return err
		}
		sealed, err := tx.sealWebhookSecret(id, secret)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
UPDATE webhook_endpoints SET secret = NULL, secret_sealed = $3, secret_rotated_at = now(), updated_at = now() WHERE tenant_id = $1 AND endpoint_id = $2`,
			tx.TenantID(), id, sealed)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "webhook endpoint not found")
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventWebhookSecretRotated, Data: map[string]any{"endpoint_id": id}})
	})
	return secret, err
}

// TestWebhook sends a webhook.test event to one endpoint, whatever it
// subscribed to (admins), and returns the delivery's id.
func (db *DB) TestWebhook(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	var delivery uuid.UUID
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageWebhooks); err != nil {
			return err
		}
		w, err := getWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		body := map[string]any{"type": EventWebhookTest, "timestamp": time.Now().UTC().Format(time.RFC3339),
			"data": map[string]any{"message": "A test event from OnboardIQ.", "endpoint_id": w.ID}}
		err = tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, endpoint_id, event_type, payload, recipient, message_id)
VALUES ($1, 'webhook', $2, $3, $4, $5, $6) RETURNING delivery_id`, tx.TenantID(), w.ID, EventWebhookTest, body, w.URL, newMessageID()).Scan(&delivery)
		if err != nil {
			return err
		}
		return tx.Enqueue(ctx, WebhookArgs{TenantID: tx.TenantID(), DeliveryID: delivery})
	})
	return delivery, err
}
