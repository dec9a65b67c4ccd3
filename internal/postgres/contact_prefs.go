package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// ContactEmailPreference is whether a contact gets one kind of email.
type ContactEmailPreference struct {
	Kind        string `json:"kind"`
	Label       string `json:"label"`
	Description string `json:"description" doc:"When it is sent."`
	Optional    bool   `json:"optional" doc:"false for sign-in mail (the invitation), which is always on."`
	On          bool   `json:"on"`
}

// ContactEmailPreferences are a contact's choices of email: each kind of
// internal/mailtemplate, on or off, and the time zone their emails keep
// (quiet hours, the weekly digest's hour).
type ContactEmailPreferences struct {
	Email       string                   `json:"email" doc:"Where the emails go."`
	Preferences []ContactEmailPreference `json:"preferences"`
	TimeZone    string                   `json:"time_zone" doc:"The contact's IANA time zone; empty: the workspace's."`
	// WorkspaceTimeZone is what an empty TimeZone means.
	WorkspaceTimeZone string `json:"workspace_time_zone"`
}

// ContactEmailChoice turns one kind of email on or off.
type ContactEmailChoice struct {
	Kind string `json:"kind" doc:"A kind of email contacts may turn off: welcome, task_assigned, task_due_soon, …"`
	On   bool   `json:"on"`
}

// GetContactEmailPreferences returns the caller's choices of email (a
// customer contact): every kind, in the settings' order.
func (db *DB) GetContactEmailPreferences(ctx context.Context) (*ContactEmailPreferences, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*ContactEmailPreferences, error) {
		if err := checkContact(p); err != nil {
			return nil, err
		}
		return loadContactPrefs(ctx, tx, p)
	})
}

// SetContactEmailPreferences turns the kinds of email named on or off for
// the caller (a customer contact) and, when timeZone is given, sets their
// time zone ("" for the workspace's). Sign-in mail cannot be turned off; a
// kind that is none, or a time zone that is none, changes nothing.
func (db *DB) SetContactEmailPreferences(ctx context.Context, choices []ContactEmailChoice, timeZone *string) (*ContactEmailPreferences, error) {
	var on, off []string
	for i, c := range choices {
		k, ok := mailtemplate.Find(c.Kind)
		switch {
		case !ok:
			return nil, onboardiq.Invalid(fmt.Sprintf("preferences[%d].kind", i), "is not a kind of email")
		case !k.Optional && !c.On:
			return nil, onboardiq.Invalid(fmt.Sprintf("preferences[%d].on", i), "%s is sign-in mail and cannot be turned off", k.Label)
		case !k.Optional:
			continue
		case c.On:
			on = append(on, c.Kind)
		default:
			off = append(off, c.Kind)
		}
	}
	if timeZone != nil {
		tz, err := checkTimeZone(*timeZone)
		if err != nil {
			return nil, err
		}
		timeZone = &tz
	}
	var out *ContactEmailPreferences
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := checkContact(p); err != nil {
			return err
		}
		before, err := loadContactPrefs(ctx, tx, p)
		if err != nil {
			return err
		}
		for _, set := range []struct {
			kinds []string
			email string
		}{{on, "immediate"}, {off, "off"}} {
			if len(set.kinds) == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `
INSERT INTO notification_preferences (tenant_id, user_id, kind, in_app, email)
SELECT $1, $2, k, true, $4 FROM unnest($3::text[]) AS k
ON CONFLICT (tenant_id, user_id, kind) DO UPDATE SET email = excluded.email
RETURNING kind`, tx.TenantID(), p.UserID, set.kinds, set.email); err != nil {
				return fmt.Errorf("email preferences: %w", err)
			}
		}
		if timeZone != nil {
			if err := setTimeZone(ctx, tx, p, *timeZone); err != nil {
				return err
			}
		}
		if out, err = loadContactPrefs(ctx, tx, p); err != nil {
			return err
		}
		return emitPrefsChanged(ctx, tx, p, before, out)
	})
	return out, err
}

// SetMyTimeZone sets the caller's time zone (a customer contact): an IANA
// name such as Europe/Berlin, or "" for the workspace's.
func (db *DB) SetMyTimeZone(ctx context.Context, timeZone string) error {
	tz, err := checkTimeZone(timeZone)
	if err != nil {
		return err
	}
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := checkContact(p); err != nil {
			return err
		}
		before, err := loadContactPrefs(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := setTimeZone(ctx, tx, p, tz); err != nil {
			return err
		}
		after := *before
		after.TimeZone = tz
		return emitPrefsChanged(ctx, tx, p, before, &after)
	})
}

// checkContact refuses anyone but a customer contact: these are the
// portal's own settings (staff have theirs in the console).
func checkContact(p *onboardiq.Principal) error {
	if !p.IsCustomer() {
		return onboardiq.Errorf(onboardiq.EFORBIDDEN, "these are a customer contact's email preferences; staff set theirs in the console's settings")
	}
	return nil
}

// checkTimeZone returns tz trimmed if it is an IANA time zone (or empty).
func checkTimeZone(tz string) (string, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" {
		return "", nil
	}
	if utf8.RuneCountInString(tz) > 64 || tz == "Local" {
		return "", onboardiq.Invalid("time_zone", "must be an IANA time zone such as Europe/Berlin, or empty for the workspace's")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "", onboardiq.Invalid("time_zone", "must be an IANA time zone such as Europe/Berlin, or empty for the workspace's")
	}
	return tz, nil
}

func setTimeZone(ctx context.Context, tx *Tx, p *onboardiq.Principal, tz string) error {
	if _, err := tx.Exec(ctx, `UPDATE tenant_users SET time_zone = $3, updated_at = $4 WHERE tenant_id = $1 AND user_id = $2`,
		tx.TenantID(), p.UserID, tz, time.Now()); err != nil {
		return fmt.Errorf("time zone: %w", err)
	}
	return nil
}

// loadContactPrefs reads p's choices: a kind is on unless its preference's
// email is off.
func loadContactPrefs(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*ContactEmailPreferences, error) {
	out := &ContactEmailPreferences{}
	var off []string
	err := tx.QueryRow(ctx, `
SELECT u.email, u.time_zone, tn.time_zone,
       coalesce((SELECT array_agg(np.kind) FROM notification_preferences np
                 WHERE np.tenant_id = u.tenant_id AND np.user_id = u.user_id AND np.email = 'off'), '{}')
FROM tenant_users u JOIN tenants tn ON tn.tenant_id = u.tenant_id
WHERE u.tenant_id = $1 AND u.user_id = $2`, tx.TenantID(), p.UserID).Scan(&out.Email, &out.TimeZone, &out.WorkspaceTimeZone, &off)
	if err != nil {
		return nil, storeError(err, "user")
	}
	for _, k := range mailtemplate.Kinds {
		isOff := false
		for _, o := range off {
			isOff = isOff || o == k.Name
		}
		out.Preferences = append(out.Preferences, ContactEmailPreference{Kind: k.Name, Label: k.Label, Description: k.Description,
			Optional: k.Optional, On: !k.Optional || !isOff})
	}
	return out, nil
}

// emitPrefsChanged records what a contact changed of their email choices
// (user.updated, as an unsubscribe link records it), when anything.
func emitPrefsChanged(ctx context.Context, tx *Tx, p *onboardiq.Principal, before, after *ContactEmailPreferences) error {
	ch := map[string]any{}
	if b, a := offKinds(before), offKinds(after); !slices.Equal(b, a) {
		ch["email_preferences"] = map[string]any{"from": b, "to": a}
	}
	if before.TimeZone != after.TimeZone {
		ch["time_zone"] = map[string]any{"from": before.TimeZone, "to": after.TimeZone}
	}
	if len(ch) == 0 {
		return nil
	}
	return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUserUpdated, CustomerID: p.CustomerID, Changes: ch,
		Data: map[string]any{"user_id": p.UserID}})
}

// offKinds are the kinds of email c has turned off.
func offKinds(c *ContactEmailPreferences) []string {
	out := []string{}
	for _, p := range c.Preferences {
		if !p.On {
			out = append(out, p.Kind)
		}
	}
	return out
}

// UnsubscribeToken is the signed token of the unsubscribe link for kind in
// an email to the contact user, in tx's tenant, as queueContactMail puts it
// in each email (for test fixtures); "" when the store has no keyring.
func (tx *Tx) UnsubscribeToken(user uuid.UUID, kind string) string {
	if tx.secrets == nil {
		return ""
	}
	return unsubscribeToken(tx, user, kind)
}
