package onboardiq

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Usage events: what the vendor's product reports its customers did
// (docs/usage.md). They arrive in batches (POST /api/v1/usage-events, the
// CSV import), each event counted once per id however often it is sent.

// Limits of a batch of usage events.
const (
	MaxUsageBatch         = 1000    // events per call
	MaxUsageEventID       = 200     // characters of an event's id
	MaxUsageEventName     = 100     // characters of an event's name
	MaxUsageProperties    = 4 << 10 // bytes of an event's properties (JSON)
	UsageFutureSkew       = 24 * time.Hour
	DefaultUsageRetention = 400 // days, until an admin changes it
)

// usageName is what an event name (and a core feature) may be spelt with.
var usageName = regexp.MustCompile(`^[a-z0-9_.-]+$`)

// UsageEventInput is one usage event as the sender gives it. It names its
// customer by OnboardIQ's id (customer_id) or by the vendor's own
// (customer_external_id).
type UsageEventInput struct {
	ID                 string          `json:"id" doc:"The sender's id of the event, unique per workspace: an id already received is counted as a duplicate, not again." maxLength:"200"`
	CustomerID         *uuid.UUID      `json:"customer_id,omitempty" doc:"The customer the event belongs to; or customer_external_id."`
	CustomerExternalID string          `json:"customer_external_id,omitempty" doc:"The vendor's own id of the customer, instead of customer_id." maxLength:"200"`
	UserEmail          string          `json:"user_email,omitempty" doc:"Who did it, if known: counts them among the customer's active users."`
	Name               string          `json:"name" doc:"What happened: lower-case letters, digits, '_', '.', '-' (report_exported)." maxLength:"100"`
	Properties         json.RawMessage `json:"properties,omitempty" doc:"Optional facts about the event, a JSON object of at most 4 KB."`
	OccurredAt         time.Time       `json:"occurred_at" doc:"When it happened: at most a day ahead of now, and within the workspace's retention."`
}

// UsageRejection is an event of a batch that was not stored, and why.
type UsageRejection struct {
	Index   int    `json:"index" doc:"The event's position in the batch, from 0."`
	ID      string `json:"id" doc:"The event's id as sent."`
	Field   string `json:"field" doc:"The field at fault, as events[3].name."`
	Message string `json:"message"`
}

// UsageResult is what came of a batch: the events stored, those already
// received before (or twice in the batch), and those refused.
type UsageResult struct {
	Accepted   int              `json:"accepted" doc:"Events stored now."`
	Duplicates int              `json:"duplicates" doc:"Events whose id was already received (or repeated in the batch): not counted again."`
	Rejected   []UsageRejection `json:"rejected" doc:"Events refused, each with the field at fault; the others were stored."`
}

// CheckUsageEvent validates one event of a batch at index i, given the time
// now and the workspace's retention in days, normalising it in place (the
// email lower-cased, empty properties as {}). The error names the field as
// events[i].name.
func CheckUsageEvent(e *UsageEventInput, i int, now time.Time, retentionDays int) error {
	f := func(name string) string { return fmt.Sprintf("events[%d].%s", i, name) }
	switch n := utf8.RuneCountInString(e.ID); {
	case n == 0:
		return Invalid(f("id"), "is required")
	case n > MaxUsageEventID:
		return Invalid(f("id"), "must be at most %d characters", MaxUsageEventID)
	}
	switch {
	case e.CustomerID == nil && e.CustomerExternalID == "":
		return Invalid(f("customer_id"), "is required (or customer_external_id)")
	case e.CustomerID != nil && e.CustomerExternalID != "":
		return Invalid(f("customer_external_id"), "give customer_id or customer_external_id, not both")
	case utf8.RuneCountInString(e.CustomerExternalID) > MaxUsageEventID:
		return Invalid(f("customer_external_id"), "must be at most %d characters", MaxUsageEventID)
	}
	if e.UserEmail != "" {
		s, err := normaliseEmail(f("user_email"), e.UserEmail)
		if err != nil {
			return err
		}
		e.UserEmail = s
	}
	if err := CheckUsageName(f("name"), e.Name); err != nil {
		return err
	}
	switch {
	case len(e.Properties) == 0 || string(e.Properties) == "null":
		e.Properties = json.RawMessage(`{}`)
	case len(e.Properties) > MaxUsageProperties:
		return Invalid(f("properties"), "must be at most %d bytes of JSON", MaxUsageProperties)
	default:
		var obj map[string]any
		if err := json.Unmarshal(e.Properties, &obj); err != nil || obj == nil {
			return Invalid(f("properties"), "must be a JSON object")
		}
	}
	switch {
	case e.OccurredAt.IsZero():
		return Invalid(f("occurred_at"), "is required")
	case e.OccurredAt.After(now.Add(UsageFutureSkew)):
		return Invalid(f("occurred_at"), "is more than a day in the future")
	case e.OccurredAt.Before(now.AddDate(0, 0, -retentionDays)):
		return Invalid(f("occurred_at"), "is older than the workspace keeps usage (%d days)", retentionDays)
	}
	e.OccurredAt = e.OccurredAt.UTC()
	return nil
}

// CheckUsageName checks an event name or a core feature's name.
func CheckUsageName(field, s string) error {
	switch {
	case s == "":
		return Invalid(field, "is required")
	case len(s) > MaxUsageEventName:
		return Invalid(field, "must be at most %d characters", MaxUsageEventName)
	case !usageName.MatchString(s):
		return Invalid(field, "may hold only lower-case letters, digits, '_', '.' and '-'")
	}
	return nil
}

// UsageDay is one day of a customer's usage.
type UsageDay struct {
	Day         string `json:"day" doc:"The day, in UTC (YYYY-MM-DD)."`
	Events      int64  `json:"events" doc:"Events that day."`
	ActiveUsers int    `json:"active_users" doc:"Distinct users (by email) with an event that day."`
}

// UsageSummary is a customer's usage over a span of days.
type UsageSummary struct {
	CustomerID          uuid.UUID  `json:"customer_id"`
	From                string     `json:"from" doc:"The first day, in UTC."`
	To                  string     `json:"to" doc:"The last day, in UTC."`
	Days                []UsageDay `json:"days" doc:"Each day with events, in order."`
	ActiveDays          int        `json:"active_days" doc:"Days with at least one event."`
	Events              int64      `json:"events"`
	ActiveUsers         int        `json:"active_users" doc:"Distinct users over the whole span."`
	CoreFeaturesUsed    []string   `json:"core_features_used" doc:"Core features with at least one event in the span."`
	CoreFeaturesDefined int        `json:"core_features_defined" doc:"How many core features the workspace marks."`
}

// MaxCoreFeatures bounds the core features a workspace marks.
const MaxCoreFeatures = 100
