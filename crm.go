package onboardiq

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
)

// CRMProvider names a CRM whose webhooks start onboarding (docs/crm.md).
type CRMProvider string

// The CRMs OnboardIQ understands: HubSpot's webhooks (v3 signature),
// Salesforce (a flow or outbound message, signed by OnboardIQ's own
// header), and a generic JSON format signed the Standard Webhooks way.
const (
	CRMHubSpot    CRMProvider = "hubspot"
	CRMSalesforce CRMProvider = "salesforce"
	CRMGeneric    CRMProvider = "generic"
)

// CRMProviders lists the providers, in the order the console shows them.
var CRMProviders = []CRMProvider{CRMHubSpot, CRMSalesforce, CRMGeneric}

// Valid reports whether p is one of CRMProviders.
func (p CRMProvider) Valid() bool {
	return p == CRMHubSpot || p == CRMSalesforce || p == CRMGeneric
}

// Label is the provider's name for people.
func (p CRMProvider) Label() string {
	switch p {
	case CRMHubSpot:
		return "HubSpot"
	case CRMSalesforce:
		return "Salesforce"
	case CRMGeneric:
		return "Generic JSON"
	}
	return string(p)
}

// DefaultStage is the deal stage that starts onboarding when a connection
// names none: HubSpot's internal id of the default pipeline's closed-won
// stage, Salesforce's stage name; the generic format starts onboarding
// on every event ("" matches any stage).
func (p CRMProvider) DefaultStage() string {
	switch p {
	case CRMHubSpot:
		return "closedwon"
	case CRMSalesforce:
		return "Closed Won"
	}
	return ""
}

// CRMConnection is a workspace's connection to one CRM: whether its
// webhook is accepted, and which deal stage starts onboarding. Its
// signing secret is never shown again after it was set.
type CRMConnection struct {
	Provider CRMProvider `json:"provider" enum:"hubspot,salesforce,generic"`
	// Configured is false for a provider never set up (no secret yet).
	Configured     bool   `json:"configured"`
	Enabled        bool   `json:"enabled"`
	ClosedWonStage string `json:"closed_won_stage" doc:"The deal stage that starts onboarding (HubSpot: the stage's internal id; Salesforce: the stage name; generic: empty for any)."`
	// WebhookPath is where the CRM sends its calls, under the app's
	// address: /api/v1/crm/{workspace}/{provider}.
	WebhookPath     string     `json:"webhook_path"`
	CreatedAt       *time.Time `json:"created_at,omitempty"`
	UpdatedAt       *time.Time `json:"updated_at,omitempty"`
	SecretRotatedAt *time.Time `json:"secret_rotated_at,omitempty"`
}

// CRMConnectionInput is what setting up a connection takes.
type CRMConnectionInput struct {
	Enabled        bool
	ClosedWonStage string
	// Secret, when not empty, is the signing secret to use: HubSpot signs
	// with the app's client secret, which HubSpot chooses. Empty keeps the
	// connection's secret, or makes one for a new connection.
	Secret string
}

// Validate normalises the input and reports the first bad field.
func (in *CRMConnectionInput) Validate() error {
	in.ClosedWonStage = strings.TrimSpace(in.ClosedWonStage)
	if err := checkText("closed_won_stage", in.ClosedWonStage, 0, 100); err != nil {
		return err
	}
	in.Secret = strings.TrimSpace(in.Secret)
	if in.Secret != "" && (len(in.Secret) < 16 || len(in.Secret) > 200) {
		return Invalid("secret", "must be 16 to 200 characters (or empty, to keep the secret or have one made)")
	}
	return nil
}

// CRMRule is one mapping rule: a closed-won deal whose pipeline, amount
// and customer segment match it starts a project from its template. Rules
// are tried in order; the first that matches wins. An empty condition
// matches anything.
type CRMRule struct {
	ID           uuid.UUID `json:"id"`
	Position     int       `json:"position"`
	Name         string    `json:"name"`
	Pipeline     string    `json:"pipeline" doc:"The deal's pipeline (HubSpot: its internal id), any case; empty: any pipeline."`
	Segment      string    `json:"segment" doc:"The customer's segment, any case; empty: any segment."`
	MinAmount    *float64  `json:"min_amount" doc:"The deal's amount is at least this; null: no lower bound."`
	MaxAmount    *float64  `json:"max_amount" doc:"The deal's amount is less than this; null: no upper bound."`
	TemplateID   uuid.UUID `json:"template_id"`
	TemplateName string    `json:"template_name" readOnly:"true"`
}

// CRMRuleInput is one rule of the list SetCRMRules takes.
type CRMRuleInput struct {
	Name       string    `json:"name,omitempty" maxLength:"100"`
	Pipeline   string    `json:"pipeline,omitempty" maxLength:"100"`
	Segment    string    `json:"segment,omitempty" maxLength:"100"`
	MinAmount  *float64  `json:"min_amount,omitempty"`
	MaxAmount  *float64  `json:"max_amount,omitempty"`
	TemplateID uuid.UUID `json:"template_id"`
}

// MaxCRMRules bounds a workspace's mapping rules.
const MaxCRMRules = 50

// CheckCRMRules normalises a list of rules and reports the first bad
// field, as rules[i].field.
func CheckCRMRules(rules []CRMRuleInput) error {
	if len(rules) > MaxCRMRules {
		return Invalid("rules", "at most %d rules", MaxCRMRules)
	}
	for i := range rules {
		r := &rules[i]
		f := func(name string) string { return fmt.Sprintf("rules[%d].%s", i, name) }
		r.Name, r.Pipeline, r.Segment = strings.TrimSpace(r.Name), strings.TrimSpace(r.Pipeline), strings.TrimSpace(r.Segment)
		for name, v := range map[string]string{"name": r.Name, "pipeline": r.Pipeline, "segment": r.Segment} {
			if err := checkText(f(name), v, 0, 100); err != nil {
				return err
			}
		}
		for name, v := range map[string]*float64{"min_amount": r.MinAmount, "max_amount": r.MaxAmount} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 || *v > 1e15) {
				return Invalid(f(name), "must be a number from 0 to 10^15")
			}
		}
		if r.MinAmount != nil && r.MaxAmount != nil && *r.MaxAmount <= *r.MinAmount {
			return Invalid(f("max_amount"), "must be more than the minimum amount (%g)", *r.MinAmount)
		}
		if r.TemplateID == uuid.Nil {
			return Invalid(f("template_id"), "is required")
		}
	}
	return nil
}

// Matches reports whether a deal in pipeline, of amount (nil: unknown),
// for a customer in segment matches r. A rule with an amount bound does
// not match a deal without an amount.
func (r *CRMRule) Matches(pipeline, segment string, amount *float64) bool {
	if r.Pipeline != "" && !strings.EqualFold(r.Pipeline, strings.TrimSpace(pipeline)) {
		return false
	}
	if r.Segment != "" && !strings.EqualFold(r.Segment, strings.TrimSpace(segment)) {
		return false
	}
	if r.MinAmount != nil && (amount == nil || *amount < *r.MinAmount) {
		return false
	}
	if r.MaxAmount != nil && (amount == nil || *amount >= *r.MaxAmount) {
		return false
	}
	return true
}

// PickCRMRule returns the index of the first rule that matches, or -1.
func PickCRMRule(rules []CRMRule, pipeline, segment string, amount *float64) int {
	for i := range rules {
		if rules[i].Matches(pipeline, segment, amount) {
			return i
		}
	}
	return -1
}

// What came of an inbound CRM call, as the log records it.
const (
	CRMStarted      = "started"       // the customer created or updated, a project started
	CRMUpdated      = "updated"       // the customer updated; the deal had started a project already
	CRMIgnored      = "ignored"       // not a closed-won deal: nothing to do
	CRMDuplicate    = "duplicate"     // the same event again: the first outcome answered, nothing done
	CRMBadSignature = "bad_signature" // refused (401): signature missing, wrong or too old
	CRMInvalid      = "invalid"       // refused (422): the body is not of the documented form
	CRMFailed       = "failed"        // could not be applied (an archived customer, …); not remembered as done
	CRMDisabled     = "disabled"      // refused (404): the connection is turned off
)

// CRMInbound is one entry of the inbound CRM log.
type CRMInbound struct {
	ID          uuid.UUID   `json:"id"`
	Provider    CRMProvider `json:"provider" enum:"hubspot,salesforce,generic"`
	EventID     string      `json:"event_id"`
	DealID      string      `json:"deal_id"`
	ReceivedAt  time.Time   `json:"received_at"`
	SignatureOK bool        `json:"signature_ok"`
	Outcome     string      `json:"outcome" enum:"started,updated,ignored,duplicate,bad_signature,invalid,failed,disabled"`
	Detail      string      `json:"detail"`
	CustomerID  *uuid.UUID  `json:"customer_id"`
	ProjectID   *uuid.UUID  `json:"project_id"`
	TemplateID  *uuid.UUID  `json:"template_id"`
	Error       string      `json:"error"`
}
