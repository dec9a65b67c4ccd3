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

// UsageEventInput is one usage event as the sender gives it, every field
// as text so that one bad event is refused on its own (CheckUsageEvent)
// rather than failing its batch. It names its customer by OnboardIQ's id
// (customer_id) or by the vendor's own (customer_external_id).
type UsageEventInput struct {
	ID                 string          `json:"id"`
	CustomerID         string          `json:"customer_id,omitempty"`
	CustomerExternalID string          `json:"customer_external_id,omitempty"`
	UserEmail          string          `json:"user_email,omitempty"`
	Name               string          `json:"name"`
	Properties         json.RawMessage `json:"properties,omitempty"`
	OccurredAt         string          `json:"occurred_at"` // RFC 3339
}

// UsageEvent is a usage event that passed CheckUsageEvent.
type UsageEvent struct {
	ID                 string
	CustomerID         *uuid.UUID // or CustomerExternalID
	CustomerExternalID string
	UserEmail          string // lower-case; "" when not given
	Name               string
	Properties         json.RawMessage // a JSON object, {} when not given
	OccurredAt         time.Time       // UTC
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
// now and the workspace's retention in days, and returns it parsed. The
// error names the field as events[i].name.
func CheckUsageEvent(in UsageEventInput, i int, now time.Time, retentionDays int) (UsageEvent, error) {
	f := func(name string) string { return fmt.Sprintf("events[%d].%s", i, name) }
	e := UsageEvent{ID: in.ID, CustomerExternalID: in.CustomerExternalID, Name: in.Name, Properties: in.Properties}
	switch n := utf8.RuneCountInString(in.ID); {
	case n == 0:
		return e, Invalid(f("id"), "is required")
	case n > MaxUsageEventID:
		return e, Invalid(f("id"), "must be at most %d characters", MaxUsageEventID)
	}
	switch {
	case in.CustomerID == "" && in.CustomerExternalID == "":
		return e, Invalid(f("customer_id"), "is required (or customer_external_id)")
	case in.CustomerID != "" && in.CustomerExternalID != "":
		return e, Invalid(f("customer_external_id"), "give customer_id or customer_external_id, not both")
	case utf8.RuneCountInString(in.CustomerExternalID) > MaxUsageEventID:
		return e, Invalid(f("customer_external_id"), "must be at most %d characters", MaxUsageEventID)
	case in.CustomerID != "":
		id, err := uuid.Parse(in.CustomerID)
		if err != nil || len(in.CustomerID) != 36 {
			return e, Invalid(f("customer_id"), "must be a customer's id (a UUID)")
		}
		e.CustomerID = &id
	}
	if in.UserEmail != "" {
		s, err := normaliseEmail(f("user_email"), in.UserEmail)
		if err != nil {
			return e, err
		}
		e.UserEmail = s
	}
	if err := CheckUsageName(f("name"), in.Name); err != nil {
		return e, err
	}
	switch {
	case len(in.Properties) == 0 || string(in.Properties) == "null":
		e.Properties = json.RawMessage(`{}`)
	case len(in.Properties) > MaxUsageProperties:
		return e, Invalid(f("properties"), "must be at most %d bytes of JSON", MaxUsageProperties)
	default:
		var obj map[string]any
		if err := json.Unmarshal(in.Properties, &obj); err != nil || obj == nil {
			return e, Invalid(f("properties"), "must be a JSON object")
		}
	}
	if in.OccurredAt == "" {
		return e, Invalid(f("occurred_at"), "is required")
	}
	at, err := time.Parse(time.RFC3339Nano, in.OccurredAt)
	switch {
	case err != nil:
		return e, Invalid(f("occurred_at"), "must be a time such as 2026-03-01T09:30:00Z")
	case at.After(now.Add(UsageFutureSkew)):
		return e, Invalid(f("occurred_at"), "is more than a day in the future")
	case at.Before(now.AddDate(0, 0, -retentionDays)):
		return e, Invalid(f("occurred_at"), "is older than the workspace keeps usage (%d days)", retentionDays)
	}
	e.OccurredAt = at.UTC()
	return e, nil
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
