package onboardiq

import (
	"time"

	"github.com/google/uuid"
)

// Notification is an in-app notification.
type Notification struct {
	ID        uuid.UUID      `json:"id"`
	Kind      string         `json:"kind"`
	ProjectID *uuid.UUID     `json:"project_id,omitempty"`
	Title     string         `json:"title"`
	Body      string         `json:"body"`
	Data      map[string]any `json:"data"`
	Read      bool           `json:"read"`
	CreatedAt time.Time      `json:"created_at"`
}

// NotificationSettings are a tenant's rules for notifying people.
type NotificationSettings struct {
	TimeZone          string `json:"time_zone" doc:"IANA name, for quiet hours and the digest."`
	QuietHoursStart   *int   `json:"quiet_hours_start,omitempty" minimum:"0" maximum:"23" doc:"Emails wait from this hour…"`
	QuietHoursEnd     *int   `json:"quiet_hours_end,omitempty" minimum:"0" maximum:"23" doc:"…until this hour (local time); both null: no quiet hours."`
	DigestHour        int    `json:"digest_hour" minimum:"0" maximum:"23" doc:"When the daily digest goes out (local time)."`
	CooldownHours     int    `json:"cooldown_hours" minimum:"0" maximum:"720" doc:"A user gets one notification of a kind per project in this window."`
	EscalateAfterDays int    `json:"escalate_to_admins_after_days" minimum:"1" maximum:"365" doc:"A project still overdue this long after its deadline notifies the admins too."`
	// ContactEmails are the rules of reminders to customer contacts;
	// absent in a PUT: kept as they are.
	ContactEmails *ContactEmailSettings `json:"contact_emails,omitempty"`
}

// ContactEmailSettings say when customer contacts are reminded by email
// (docs/notifications.md, "Emails to contacts").
type ContactEmailSettings struct {
	DueSoonDays      int `json:"due_soon_days" minimum:"0" maximum:"30" doc:"Remind a contact this many days before their task is due; 0: never."`
	OverdueEveryDays int `json:"overdue_every_days" minimum:"1" maximum:"30" doc:"Remind of an overdue task every this many days…"`
	OverdueMax       int `json:"overdue_max" minimum:"0" maximum:"20" doc:"…at most this many times; 0: never."`
	DigestWeekday    int `json:"digest_weekday" minimum:"0" maximum:"6" doc:"The weekly progress email's day: 0 Sunday … 6 Saturday."`
	DigestHour       int `json:"digest_hour" minimum:"0" maximum:"23" doc:"Its hour, in each contact's time zone."`
	ReengageDays     int `json:"reengage_days" minimum:"0" maximum:"90" doc:"Nudge the contacts (and tell the CSM) after this many days without customer activity on an open project; 0: never."`
	DailyCap         int `json:"daily_cap" minimum:"1" maximum:"100" doc:"At most this many emails to one contact in 24 hours (sign-in links apart)."`
}

// DefaultContactEmails are the rules a new workspace starts with.
var DefaultContactEmails = ContactEmailSettings{DueSoonDays: 2, OverdueEveryDays: 3, OverdueMax: 3, DigestWeekday: 1, DigestHour: 9, ReengageDays: 7, DailyCap: 10}

// Validate names the first field out of range.
func (c ContactEmailSettings) Validate() error {
	for _, f := range []struct {
		name      string
		v, lo, hi int
	}{
		{"contact_emails.due_soon_days", c.DueSoonDays, 0, 30},
		{"contact_emails.overdue_every_days", c.OverdueEveryDays, 1, 30},
		{"contact_emails.overdue_max", c.OverdueMax, 0, 20},
		{"contact_emails.digest_weekday", c.DigestWeekday, 0, 6},
		{"contact_emails.digest_hour", c.DigestHour, 0, 23},
		{"contact_emails.reengage_days", c.ReengageDays, 0, 90},
		{"contact_emails.daily_cap", c.DailyCap, 1, 100},
	} {
		if f.v < f.lo || f.v > f.hi {
			return Invalid(f.name, "must be between %d and %d", f.lo, f.hi)
		}
	}
	return nil
}

// Location is the settings' time zone; UTC when it is not one.
func (s NotificationSettings) Location() *time.Location {
	if loc, err := time.LoadLocation(s.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Preference is a user's choice for one kind of notification.
type Preference struct {
	Kind  string `json:"kind" enum:"project_overdue,project_overdue_escalated,project_at_risk,customer_completed_task,customer_blocked_task,customer_reopened_task,customer_commented,mentioned,contact_undeliverable,customer_asked_for_help,task_due_soon,task_overdue,customer_inactive,survey_detractor,quota_warning"`
	InApp bool   `json:"in_app"`
	Email string `json:"email" enum:"immediate,digest,off"`
}
