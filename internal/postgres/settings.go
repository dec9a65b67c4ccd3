package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/schedule"
)

func loadSettings(ctx context.Context, tx *Tx) (onboardiq.NotificationSettings, error) {
	return scanSettings(tx.QueryRow(ctx, settingsQuery, tx.TenantID()))
}

// settingsColumns are the notification settings in tenants, as
// scanSettings reads them: the delay scan reads them with more in its
// first round trip.
const settingsColumns = `time_zone, quiet_hours_start, quiet_hours_end, digest_hour, notification_cooldown_hours, escalate_to_admins_after_days,
    contact_due_soon_days, contact_overdue_every_days, contact_overdue_max, contact_digest_weekday, contact_digest_hour,
    contact_reengage_days, contact_daily_cap`

const settingsQuery = `SELECT ` + settingsColumns + ` FROM tenants WHERE tenant_id = $1`

// scanSettings reads settingsColumns from row, then the columns after them
// into extra.
func scanSettings(row pgx.Row, extra ...any) (onboardiq.NotificationSettings, error) {
	var s onboardiq.NotificationSettings
	var start, end *int16
	var digest, weekday, hour int16
	c := &onboardiq.ContactEmailSettings{}
	err := row.Scan(append([]any{&s.TimeZone, &start, &end, &digest, &s.CooldownHours, &s.EscalateAfterDays,
		&c.DueSoonDays, &c.OverdueEveryDays, &c.OverdueMax, &weekday, &hour, &c.ReengageDays, &c.DailyCap}, extra...)...)
	if err != nil {
		return s, fmt.Errorf("notification settings: %w", err)
	}
	s.DigestHour = int(digest)
	c.DigestWeekday, c.DigestHour = int(weekday), int(hour)
	s.ContactEmails = c
	if start != nil && end != nil {
		a, b := int(*start), int(*end)
		s.QuietHoursStart, s.QuietHoursEnd = &a, &b
	}
	return s, nil
}

// quietUntil returns when an email due at now may go: now, or the end of
// the quiet hours that now falls in (internal/schedule).
func quietUntil(s onboardiq.NotificationSettings, now time.Time) time.Time {
	if s.QuietHoursStart == nil || s.QuietHoursEnd == nil {
		return now
	}
	return schedule.QuietHours{Start: *s.QuietHoursStart, End: *s.QuietHoursEnd, Loc: s.Location()}.Until(now)
}

// GetNotificationSettings returns the caller's tenant's settings (staff).
func (db *DB) GetNotificationSettings(ctx context.Context) (onboardiq.NotificationSettings, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (onboardiq.NotificationSettings, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return onboardiq.NotificationSettings{}, err
		}
		return loadSettings(ctx, tx)
	})
}

// SetNotificationSettings replaces the caller's tenant's settings (admins).
func (db *DB) SetNotificationSettings(ctx context.Context, s onboardiq.NotificationSettings) (onboardiq.NotificationSettings, error) {
	if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "" {
		return s, onboardiq.Invalid("time_zone", "must be an IANA time zone such as Europe/Berlin")
	}
	if (s.QuietHoursStart == nil) != (s.QuietHoursEnd == nil) {
		return s, onboardiq.Invalid("quiet_hours_end", "set both quiet_hours_start and quiet_hours_end, or neither")
	}
	if s.ContactEmails != nil {
		if err := s.ContactEmails.Validate(); err != nil {
			return s, err
		}
	}
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		before, err := loadSettings(ctx, tx)
		if err != nil {
			return err
		}
		if s.ContactEmails == nil {
			s.ContactEmails = before.ContactEmails
		}
		c := s.ContactEmails
		_, err = tx.Exec(ctx, `
UPDATE tenants SET time_zone = $2, quiet_hours_start = $3, quiet_hours_end = $4, digest_hour = $5,
    notification_cooldown_hours = $6, escalate_to_admins_after_days = $7,
    contact_due_soon_days = $8, contact_overdue_every_days = $9, contact_overdue_max = $10, contact_digest_weekday = $11,
    contact_digest_hour = $12, contact_reengage_days = $13, contact_daily_cap = $14, updated_at = now()
WHERE tenant_id = $1`, tx.TenantID(), s.TimeZone, s.QuietHoursStart, s.QuietHoursEnd, s.DigestHour, s.CooldownHours, s.EscalateAfterDays,
			c.DueSoonDays, c.OverdueEveryDays, c.OverdueMax, c.DigestWeekday, c.DigestHour, c.ReengageDays, c.DailyCap)
		if err != nil {
			return fmt.Errorf("notification settings: %w", err)
		}
		ch := changes(before, s, "time_zone", "quiet_hours_start", "quiet_hours_end", "digest_hour", "cooldown_hours", "escalate_to_admins_after_days", "contact_emails")
		if len(ch) == 0 {
			return nil
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventNotificationSettingsChanged, Changes: ch})
	})
	return s, err
}

// GetPreferences returns the caller's preferences, with the defaults (in
// the app, email at once) for kinds they did not set.
func (db *DB) GetPreferences(ctx context.Context) ([]onboardiq.Preference, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]onboardiq.Preference, error) {
		return loadPreferences(ctx, tx, p.UserID)
	})
}

func loadPreferences(ctx context.Context, tx *Tx, userID uuid.UUID) ([]onboardiq.Preference, error) {
	rows, err := tx.Query(ctx, `
SELECT k, coalesce(np.in_app, true), coalesce(np.email, 'immediate')
FROM unnest($3::text[]) AS k
LEFT JOIN notification_preferences np ON np.tenant_id = $1 AND np.user_id = $2 AND np.kind = k
ORDER BY array_position($3::text[], k)`, tx.TenantID(), userID, NotificationKinds)
	if err != nil {
		return nil, fmt.Errorf("preferences: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.Preference, error) {
		var pr onboardiq.Preference
		return pr, r.Scan(&pr.Kind, &pr.InApp, &pr.Email)
	})
}

// SetPreferences saves the caller's preferences for the kinds given.
func (db *DB) SetPreferences(ctx context.Context, prefs []onboardiq.Preference) ([]onboardiq.Preference, error) {
	for i, pr := range prefs {
		known := false
		for _, k := range NotificationKinds {
			known = known || pr.Kind == k
		}
		if !known {
			return nil, onboardiq.Invalid(fmt.Sprintf("preferences[%d].kind", i), "is not a notification kind")
		}
		if pr.Email != "immediate" && pr.Email != "digest" && pr.Email != "off" {
			return nil, onboardiq.Invalid(fmt.Sprintf("preferences[%d].email", i), "must be immediate, digest or off")
		}
	}
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if p.IsSystem() {
			return onboardiq.Invalid("user", "preferences belong to a user")
		}
		for _, pr := range prefs {
			if _, err := tx.Exec(ctx, `
INSERT INTO notification_preferences (tenant_id, user_id, kind, in_app, email) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, user_id, kind) DO UPDATE SET in_app = excluded.in_app, email = excluded.email`,
				tx.TenantID(), p.UserID, pr.Kind, pr.InApp, pr.Email); err != nil {
				return fmt.Errorf("preferences: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.GetPreferences(ctx)
}
