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
	Kind  string `json:"kind" enum:"project_overdue,project_overdue_escalated,project_at_risk,customer_completed_task,customer_blocked_task,customer_reopened_task,customer_commented,mentioned,customer_asked_for_help"`
	InApp bool   `json:"in_app"`
	Email string `json:"email" enum:"immediate,digest,off"`
}
