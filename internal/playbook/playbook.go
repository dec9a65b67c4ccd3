// Package playbook is the pure part of playbooks (automation rules): which
// events trigger a playbook, whether a schedule trigger is due, how its
// conditions evaluate against the facts the store gathered about a
// subject, validation that names the field, the defaults a new workspace
// starts with, the webhook bodies, the {{…}} variables of messages, and
// playbooks as code (YAML and JSON). It touches no database and no network:
// the store gathers Facts and records what Evaluate and Due saw.
package playbook

import (
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/health"
)

// Facts are what the store knows about one subject when a playbook is
// checked: its customer (always), the project and task the trigger names,
// the triggering event, and the signals the schedule triggers read.
type Facts struct {
	Now      time.Time
	Customer CustomerFacts
	Project  *ProjectFacts // the event's project, or the subject
	Task     *TaskFacts    // the event's task
	Event    *onboardiq.Event

	// Schedule signals. LastActivityAt: the latest usage event or portal
	// activity of the customer's contacts (nil: never). UsageRecent and
	// UsagePrevious: usage events in the last Days days and the Days
	// before (trigger usage_change). HealthBelowSince: since when the
	// score has stayed below the trigger's Score (nil: it is not below).
	// Blocked: the subject's blocked tasks. AtRisk: the project's forecast
	// says it will miss its deadline (AtRiskReason says why).
	LastActivityAt             *time.Time
	UsageRecent, UsagePrevious *float64
	HealthBelowSince           *time.Time
	Blocked                    []BlockedTask
	AtRisk                     bool
	AtRiskReason               string
}

// Person is a staff user or contact.
type Person struct {
	ID    uuid.UUID `json:"id"`
	Name  string    `json:"name"`
	Email string    `json:"email"`
}

// CustomerFacts are a customer's fields.
type CustomerFacts struct {
	ID         uuid.UUID
	Name       string
	ExternalID string
	Segment    string
	Lifecycle  string
	Stage      string // journey stage key; "" before the first move
	StageName  string
	ARR        *float64
	// RenewalDate is a civil date (midnight UTC).
	RenewalDate *time.Time
	CSM         *Person
	Health      *Health
	Custom      map[string]any // custom fields by key
}

// Health is a customer's current health score.
type Health struct {
	Score         int
	PreviousScore *int
	Level         string
	LevelName     string
	Components    []health.Component
	ComputedAt    time.Time
}

// ProjectFacts are a project's fields.
type ProjectFacts struct {
	ID       uuid.UUID
	Name     string
	Status   string
	Template string // the template's name; "" when none
	Progress int    // percent of tasks done
	DaysLate int    // working days past the deadline (0: not late)
	Deadline *time.Time
	Custom   map[string]any
}

// TaskFacts are a task's fields.
type TaskFacts struct {
	ID                uuid.UUID
	Title             string
	Status            string
	Phase             string
	VisibleToCustomer bool
	BlockedReason     string
	Due               *time.Time
}

// BlockedTask is a task blocked since a time.
type BlockedTask struct {
	ID    uuid.UUID
	Title string
	Since time.Time
}
