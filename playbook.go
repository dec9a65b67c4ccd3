package onboardiq

import (
	"time"

	"github.com/google/uuid"
)

// A Playbook is an automation rule: when its trigger fires for a subject (a
// customer, or one of its projects), and its conditions hold, its actions
// run in order, each once. internal/playbook matches, evaluates and
// validates; the store keeps playbooks and their runs; the fan-out's
// "playbooks" consumer and the hourly schedule job start runs; one job per
// action carries them out (docs/playbooks.md).
//
// The definition fields (Name … MaxRunsPerDay) are what export and import
// carry; the rest is the store's.
type Playbook struct {
	ID              uuid.UUID          `json:"id" yaml:"-"`
	Name            string             `json:"name" yaml:"name" minLength:"1" maxLength:"200"`
	Description     string             `json:"description" yaml:"description,omitempty" required:"false" maxLength:"2000"`
	Enabled         bool               `json:"enabled" yaml:"enabled"`
	Subject         string             `json:"subject" yaml:"subject" enum:"customer,project" doc:"What a run is about, and what the cooldown counts per: a customer, or a project."`
	Trigger         PlaybookTrigger    `json:"trigger" yaml:"trigger"`
	Conditions      PlaybookConditions `json:"conditions" yaml:"conditions" required:"false"`
	Actions         []PlaybookAction   `json:"actions" yaml:"actions" minItems:"1" maxItems:"20"`
	CooldownMinutes int                `json:"cooldown_minutes" yaml:"cooldown_minutes" required:"false" minimum:"0" maximum:"525600" doc:"After a run on a subject, the playbook does not run on that subject again for this long (0: no cooldown)."`
	MaxRunsPerDay   int                `json:"max_runs_per_day" yaml:"max_runs_per_day" required:"false" minimum:"0" maximum:"100000" doc:"At most this many runs in any 24 hours, over all subjects (0: no cap)."`

	// SigningSecret signs the playbook's webhook actions (Standard
	// Webhooks, whsec_…); shown to admins only.
	SigningSecret string     `json:"signing_secret,omitempty" yaml:"-" readOnly:"true"`
	CreatedAt     time.Time  `json:"created_at" yaml:"-" readOnly:"true"`
	UpdatedAt     time.Time  `json:"updated_at" yaml:"-" readOnly:"true"`
	LastRunAt     *time.Time `json:"last_run_at,omitempty" yaml:"-" readOnly:"true"`
	// NeedsSetup names what must be set before the playbook can be
	// enabled (a webhook URL, a recipient), as field paths.
	NeedsSetup []string `json:"needs_setup,omitempty" yaml:"-" readOnly:"true"`
}

// PlaybookDefinition is a playbook's definition fields alone: what the
// store keeps, what export and import carry and the console's JSON view
// shows — never its id, signing secret or times.
type PlaybookDefinition struct {
	Name            string             `json:"name" yaml:"name"`
	Description     string             `json:"description,omitempty" yaml:"description,omitempty"`
	Enabled         bool               `json:"enabled" yaml:"enabled"`
	Subject         string             `json:"subject" yaml:"subject"`
	Trigger         PlaybookTrigger    `json:"trigger" yaml:"trigger"`
	Conditions      PlaybookConditions `json:"conditions" yaml:"conditions"`
	Actions         []PlaybookAction   `json:"actions" yaml:"actions"`
	CooldownMinutes int                `json:"cooldown_minutes" yaml:"cooldown_minutes"`
	MaxRunsPerDay   int                `json:"max_runs_per_day" yaml:"max_runs_per_day"`
}

// Definition returns p's definition fields.
func (p *Playbook) Definition() PlaybookDefinition {
	return PlaybookDefinition{Name: p.Name, Description: p.Description, Enabled: p.Enabled, Subject: p.Subject, Trigger: p.Trigger,
		Conditions: p.Conditions, Actions: p.Actions, CooldownMinutes: p.CooldownMinutes, MaxRunsPerDay: p.MaxRunsPerDay}
}

// Playbook returns a playbook of the definition d (no id, secret or times).
func (d PlaybookDefinition) Playbook() Playbook {
	return Playbook{Name: d.Name, Description: d.Description, Enabled: d.Enabled, Subject: d.Subject, Trigger: d.Trigger,
		Conditions: d.Conditions, Actions: d.Actions, CooldownMinutes: d.CooldownMinutes, MaxRunsPerDay: d.MaxRunsPerDay}
}

// PlaybookTrigger is what starts a run: an event of the event stream
// (Event), or a condition checked every hour (Schedule with its
// parameters). Exactly one of Event and Schedule is set.
type PlaybookTrigger struct {
	Event    string `json:"event,omitempty" yaml:"event,omitempty" required:"false" doc:"An event kind (GET /api/v1/events lists them): task.blocked, customer.health_level_changed, customer.stage_changed, project.overdue, milestone.reached, survey.answered …"`
	Schedule string `json:"schedule,omitempty" yaml:"schedule,omitempty" required:"false" enum:"renewal_in_days,no_activity_days,usage_change,health_below,task_blocked_days,project_at_risk" doc:"A condition checked every hour; a subject that meets it runs at most once a day."`
	// Days: renewal_in_days (the renewal is this many days away or fewer),
	// no_activity_days (no usage event nor portal activity for this many
	// days), usage_change (the window), health_below (for this many days),
	// task_blocked_days (a task blocked for this many days).
	Days int `json:"days,omitempty" yaml:"days,omitempty" required:"false" minimum:"0" maximum:"3650"`
	// Percent: usage_change fires when usage over the last Days days
	// changed by this percent or more against the Days before (-30: fell
	// by 30% or more).
	Percent float64 `json:"percent,omitempty" yaml:"percent,omitempty" required:"false" minimum:"-100" maximum:"10000"`
	// Score: health_below fires when the score has stayed below it.
	Score int `json:"score,omitempty" yaml:"score,omitempty" required:"false" minimum:"0" maximum:"100"`
}

// The schedule triggers.
const (
	ScheduleRenewal     = "renewal_in_days"
	ScheduleNoActivity  = "no_activity_days"
	ScheduleUsageChange = "usage_change"
	ScheduleHealthBelow = "health_below"
	ScheduleTaskBlocked = "task_blocked_days"
	ScheduleAtRisk      = "project_at_risk"
)

// PlaybookConditions must hold for a triggered run to act: all of the
// rules, or any of them. No rules: always.
type PlaybookConditions struct {
	Match string              `json:"match" yaml:"match" enum:"all,any" required:"false"`
	Rules []PlaybookCondition `json:"rules" yaml:"rules" required:"false" maxItems:"20"`
}

// PlaybookCondition compares one fact about the subject with a value.
// Fields: customer.name, customer.segment, customer.arr,
// customer.renewal_days, customer.lifecycle, customer.stage,
// customer.health.score, customer.health.previous_score,
// customer.health.level, customer.csm, customer.cf.KEY, project.status,
// project.progress, project.days_late, project.template, project.cf.KEY,
// task.status, task.phase, task.visible_to_customer, event.KEY (a value of
// the triggering event's data or change); docs/playbooks.md lists them.
type PlaybookCondition struct {
	Field string `json:"field" yaml:"field" minLength:"1" maxLength:"100"`
	Op    string `json:"op" yaml:"op" enum:"eq,ne,gt,gte,lt,lte,in,not_in,contains,is_set,is_not_set"`
	// Value is a string, a number, a boolean, or a list of them (in,
	// not_in); none for is_set and is_not_set.
	Value any `json:"value,omitempty" yaml:"value,omitempty" required:"false"`
}

// PlaybookAction is one thing a run does. Type says which fields apply.
type PlaybookAction struct {
	Type string `json:"type" yaml:"type" enum:"webhook,email,notify,create_task,start_project,set_stage,set_field,escalate,survey"`

	// webhook: POSTed to URL, signed with the playbook's secret; Format
	// standard (the run as JSON), n8n (the same, flattened for n8n's
	// nodes) or slack (a {"text", "blocks"} message).
	URL    string `json:"url,omitempty" yaml:"url,omitempty" required:"false" maxLength:"2000"`
	Format string `json:"format,omitempty" yaml:"format,omitempty" required:"false" enum:"standard,n8n,slack"`

	// email and notify: the recipients, each "csm", "contacts" (the
	// customer's contacts; email only), "role:ROLE" (every staff user of
	// the role) or "user:EMAIL".
	To      []string `json:"to,omitempty" yaml:"to,omitempty" required:"false" maxItems:"20"`
	Subject string   `json:"subject,omitempty" yaml:"subject,omitempty" required:"false" maxLength:"300" doc:"email, notify (its title), escalate: {{customer_name}}, {{health_score}} … fill in (docs/playbooks.md)."`
	Body    string   `json:"body,omitempty" yaml:"body,omitempty" required:"false" maxLength:"20000" doc:"email (Markdown), notify, escalate: the message, with the same {{…}} variables."`
	// EmailTemplate: an email kind of the workspace's templates
	// (GET /api/v1/settings/email-templates) to send to the contacts
	// instead of Subject and Body.
	EmailTemplate string `json:"email_template,omitempty" yaml:"email_template,omitempty" required:"false"`

	// create_task: in the subject's project (a customer's active project),
	// assigned to Assignee ("csm", "user:EMAIL" or "contact:EMAIL"), due
	// DueDays after the run.
	Task              string `json:"task,omitempty" yaml:"task,omitempty" required:"false" maxLength:"500"`
	Assignee          string `json:"assignee,omitempty" yaml:"assignee,omitempty" required:"false"`
	DueDays           int    `json:"due_days,omitempty" yaml:"due_days,omitempty" required:"false" minimum:"0" maximum:"3650"`
	VisibleToCustomer bool   `json:"visible_to_customer,omitempty" yaml:"visible_to_customer,omitempty" required:"false"`

	// start_project: from the template of this name.
	Template string `json:"template,omitempty" yaml:"template,omitempty" required:"false"`

	// set_stage: the journey stage's key.
	Stage string `json:"stage,omitempty" yaml:"stage,omitempty" required:"false"`

	// set_field: a custom field of the subject ("cf.KEY" or the
	// customer's "segment" or "lifecycle") and its new value.
	Field string `json:"field,omitempty" yaml:"field,omitempty" required:"false"`
	Value any    `json:"value,omitempty" yaml:"value,omitempty" required:"false"`

	// survey: ask the customer's contacts (of the subject's project, for a
	// project playbook) for a CSAT or an NPS answer, through the
	// workspace's survey settings (docs/surveys.md).
	Survey string `json:"survey,omitempty" yaml:"survey,omitempty" required:"false" enum:"csat,nps"`

	// escalate: the ladder; step 1 is told at once, each next step after
	// its delay unless someone acknowledged.
	Ladder []EscalationStep `json:"ladder,omitempty" yaml:"ladder,omitempty" required:"false" maxItems:"10"`
}

// EscalationStep is one rung of an escalation ladder.
type EscalationStep struct {
	To           string `json:"to" yaml:"to" doc:"csm, role:ROLE or user:EMAIL."`
	AfterMinutes int    `json:"after_minutes" yaml:"after_minutes" minimum:"0" maximum:"43200" doc:"How long after the previous step (0 for the first)."`
}

// PlaybookRun is one execution of a playbook on a subject: its trigger,
// the conditions with the values they saw, and each action's outcome.
type PlaybookRun struct {
	ID           uuid.UUID   `json:"id"`
	PlaybookID   uuid.UUID   `json:"playbook_id"`
	PlaybookName string      `json:"playbook_name"`
	Trigger      string      `json:"trigger" doc:"What started it: the event kind, the schedule, or manual."`
	TriggerKey   string      `json:"trigger_key" doc:"event:ID, schedule:KIND:DAY or manual:ID: a playbook runs once per trigger key and subject."`
	EventID      *int64      `json:"event_id,omitempty"`
	CustomerID   *uuid.UUID  `json:"customer_id,omitempty"`
	CustomerName string      `json:"customer_name,omitempty"`
	ProjectID    *uuid.UUID  `json:"project_id,omitempty"`
	ProjectName  string      `json:"project_name,omitempty"`
	Status       string      `json:"status" enum:"skipped,running,done,failed" doc:"skipped: the conditions did not hold, or the cooldown or the daily cap held it back (reason)."`
	Reason       string      `json:"reason,omitempty"`
	Conditions   []Condition `json:"conditions"`
	Actions      []ActionRun `json:"actions"`
	By           *uuid.UUID  `json:"by,omitempty" doc:"Who ran it by hand."`
	StartedAt    time.Time   `json:"started_at"`
	FinishedAt   *time.Time  `json:"finished_at,omitempty"`
	Evidence     []string    `json:"evidence,omitempty" doc:"For a schedule trigger, what met it (\"no activity for 9 days\")."`
}

// Condition is one condition as a run saw it.
type Condition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value any    `json:"value,omitempty"`
	Saw   any    `json:"saw" doc:"The subject's value; null when it has none."`
	OK    bool   `json:"ok"`
}

// ActionRun is one action of a run and how it went.
type ActionRun struct {
	Index          int         `json:"index"`
	Type           string      `json:"type"`
	Status         string      `json:"status" enum:"pending,done,failed,skipped"`
	Outcome        string      `json:"outcome,omitempty"`
	IdempotencyKey string      `json:"idempotency_key"`
	Attempts       int         `json:"attempts"`
	DeliveryIDs    []uuid.UUID `json:"delivery_ids" doc:"The email or webhook deliveries it made (GET /api/v1/deliveries)."`
	CreatedIDs     []uuid.UUID `json:"created_ids,omitempty" doc:"What it created: the task, the project, the notifications, the escalation."`
	FinishedAt     *time.Time  `json:"finished_at,omitempty"`
}

// DryRun is what a playbook would do now, changing nothing: every subject
// that would match, with its conditions and the actions it would run.
type DryRun struct {
	PlaybookID uuid.UUID     `json:"playbook_id"`
	Checked    int           `json:"checked" doc:"How many subjects were checked."`
	Matches    []DryRunMatch `json:"matches"`
	Note       string        `json:"note,omitempty" doc:"For an event trigger: the subjects whose conditions hold now, which the next such event would run on."`
}

// DryRunMatch is one subject a dry run matched.
type DryRunMatch struct {
	CustomerID   uuid.UUID   `json:"customer_id"`
	CustomerName string      `json:"customer_name"`
	ProjectID    *uuid.UUID  `json:"project_id,omitempty"`
	ProjectName  string      `json:"project_name,omitempty"`
	Conditions   []Condition `json:"conditions"`
	Evidence     []string    `json:"evidence,omitempty"`
	Blocked      string      `json:"blocked,omitempty" doc:"Why it would not run now (the cooldown, the daily cap)."`
	Actions      []string    `json:"actions" doc:"What each action would do, in words."`
}

// Escalation is a running escalation ladder.
type Escalation struct {
	ID             uuid.UUID        `json:"id"`
	RunID          uuid.UUID        `json:"run_id"`
	PlaybookName   string           `json:"playbook_name"`
	CustomerID     *uuid.UUID       `json:"customer_id,omitempty"`
	ProjectID      *uuid.UUID       `json:"project_id,omitempty"`
	Title          string           `json:"title"`
	Message        string           `json:"message"`
	Ladder         []EscalationStep `json:"ladder"`
	Step           int              `json:"step" doc:"The last step told (1-based)."`
	AcknowledgedAt *time.Time       `json:"acknowledged_at,omitempty"`
	AcknowledgedBy *uuid.UUID       `json:"acknowledged_by,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
}
