package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// What the settings page lists.
const (
	usersOnSettingsPage      = 200 // by email
	deliveriesOnSettingsPage = 20  // the latest
)

// SettingsPage is what the console's settings page shows, each part only
// to those who may read it: the caller's notification preferences, the
// workspace's notification settings, users and templates; for those who
// manage them, the webhooks with the latest deliveries, and the state of
// the embeddings (for model); for admins, the portal's branding; and the
// caller's unread notifications.
type SettingsPage struct {
	Preferences []onboardiq.Preference
	Settings    onboardiq.NotificationSettings
	Users       []*onboardiq.User
	Templates   []*onboardiq.Template
	Webhooks    []*onboardiq.WebhookEndpoint // ManageWebhooks
	Deliveries  []*onboardiq.Delivery        // ManageWebhooks
	AI          *onboardiq.AIStatus          // ManageAI
	Branding    *onboardiq.Branding          // ManageSettings
	Surveys     *SurveySettings              // ManageSettings
	Unread      int
}

// LoadSettingsPage reads the settings page (staff). What the caller may
// not manage is left out, not refused; what every member of staff reads
// (settings, users, templates) is refused to anyone else.
func (db *DB) LoadSettingsPage(ctx context.Context, model string) (*SettingsPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*SettingsPage, error) {
		for _, a := range []onboardiq.Action{onboardiq.ReadSettings, onboardiq.ReadUsers, onboardiq.ReadTemplates} {
			if err := p.Check(a); err != nil {
				return nil, err
			}
		}
		out := &SettingsPage{}
		var err error
		if out.Preferences, err = loadPreferences(ctx, tx, p.UserID); err != nil {
			return nil, err
		}
		if out.Settings, err = loadSettings(ctx, tx); err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, `SELECT `+userColumns+` FROM tenant_users u WHERE u.tenant_id = $1 ORDER BY u.email LIMIT $2`,
			tx.TenantID(), usersOnSettingsPage)
		if err != nil {
			return nil, fmt.Errorf("settings users: %w", err)
		}
		if out.Users, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.User, error) { return scanUser(r) }); err != nil {
			return nil, err
		}
		if out.Templates, err = loadTemplates(ctx, tx, nil); err != nil {
			return nil, err
		}
		if p.Can(onboardiq.ManageWebhooks) {
			rows, err := tx.Query(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, endpoint_id`, tx.TenantID())
			if err != nil {
				return nil, fmt.Errorf("settings webhooks: %w", err)
			}
			if out.Webhooks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.WebhookEndpoint, error) { return scanWebhook(r) }); err != nil {
				return nil, err
			}
			rows, err = tx.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries d WHERE d.tenant_id = $1
ORDER BY d.created_at DESC, d.delivery_id DESC LIMIT $2`, tx.TenantID(), deliveriesOnSettingsPage)
			if err != nil {
				return nil, fmt.Errorf("settings deliveries: %w", err)
			}
			if out.Deliveries, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Delivery, error) { return scanDelivery(r) }); err != nil {
				return nil, err
			}
		}
		if p.Can(onboardiq.ManageSettings) {
			if out.Branding, err = loadBranding(ctx, tx, p.TenantSlug); err != nil {
				return nil, err
			}
			if out.Surveys, err = surveySettings(ctx, tx); err != nil {
				return nil, err
			}
		}
		if p.Can(onboardiq.ManageAI) {
			if out.AI, err = loadAIStatus(ctx, tx, model); err != nil {
				return nil, err
			}
		}
		if err := tx.QueryRow(ctx, unreadQuery, tx.TenantID(), p.UserID).Scan(&out.Unread); err != nil {
			return nil, fmt.Errorf("unread: %w", err)
		}
		return out, nil
	})
}
