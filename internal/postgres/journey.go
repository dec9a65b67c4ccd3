package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/journey"
)

// JourneySettings are a workspace's journey stages and the rules that move
// customers between them (internal/journey; docs/customer-success.md).
type JourneySettings struct {
	Stages []journey.Stage `json:"stages" minItems:"1" maxItems:"20"`
	Rules  []journey.Rule  `json:"rules" maxItems:"50"`
}

// StageTransition is one move of a customer into a stage.
type StageTransition struct {
	Stage     string     `json:"stage"`
	Name      string     `json:"name"`
	EnteredAt time.Time  `json:"entered_at"`
	By        *uuid.UUID `json:"by,omitempty" doc:"Who moved the customer; absent when a rule did."`
	Rule      string     `json:"rule,omitempty" doc:"The trigger of the rule that moved it (project.completed, health.level …)."`
	Reason    string     `json:"reason,omitempty"`
}

// StageTime is the time a customer spent in one stage.
type StageTime struct {
	Stage   string    `json:"stage"`
	Name    string    `json:"name"`
	Days    int       `json:"days" doc:"Whole days in the stage, every visit summed (the current one up to now)."`
	Seconds int64     `json:"seconds"`
	Visits  int       `json:"visits"`
	Current bool      `json:"current"`
	Since   time.Time `json:"since" doc:"When the latest visit began."`
}

// CustomerJourney is a customer's journey: the stage it is in, how long it
// spent in each, and every move, newest first.
type CustomerJourney struct {
	CustomerID  uuid.UUID         `json:"customer_id"`
	Stage       string            `json:"stage" doc:"The current stage's key; empty before the first move."`
	StageName   string            `json:"stage_name"`
	Since       *time.Time        `json:"since,omitempty"`
	Stages      []StageTime       `json:"stages"`
	Transitions []StageTransition `json:"transitions"`
}

func loadJourney(ctx context.Context, tx *Tx) (JourneySettings, error) {
	var stages, rules []byte
	if err := tx.QueryRow(ctx, `SELECT journey_stages, journey_rules FROM tenants WHERE tenant_id = $1`, tx.TenantID()).Scan(&stages, &rules); err != nil {
		return JourneySettings{}, fmt.Errorf("journey settings: %w", err)
	}
	return journeyFrom(stages, rules)
}

// journeyFrom reads a workspace's journey settings from their columns
// (NULL: the defaults).
func journeyFrom(stages, rules []byte) (JourneySettings, error) {
	s := JourneySettings{Stages: journey.DefaultStages(), Rules: journey.DefaultRules()}
	if stages != nil {
		if err := json.Unmarshal(stages, &s.Stages); err != nil {
			return s, fmt.Errorf("journey stages: %w", err)
		}
	}
	if rules != nil {
		if err := json.Unmarshal(rules, &s.Rules); err != nil {
			return s, fmt.Errorf("journey rules: %w", err)
		}
	}
	return s, nil
}

func stageName(stages []journey.Stage, key string) string {
	for _, s := range stages {
		if s.Key == key {
			return s.Name
		}
	}
	return key
}

// GetJourneySettings returns the workspace's stages and rules (staff).
func (db *DB) GetJourneySettings(ctx context.Context) (JourneySettings, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (JourneySettings, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return JourneySettings{}, err
		}
		return loadJourney(ctx, tx)
	})
}

// SetJourneySettings replaces the workspace's stages and rules (admins),
// refusing stages or rules internal/journey finds wrong, naming the field.
// Customers in a stage that is no longer listed keep it until they move.
func (db *DB) SetJourneySettings(ctx context.Context, s JourneySettings) (JourneySettings, error) {
	if err := journey.ValidateStages(s.Stages); err != nil {
		return s, err
	}
	if s.Rules == nil {
		s.Rules = []journey.Rule{}
	}
	if err := journey.ValidateRules(s.Rules, s.Stages); err != nil {
		return s, err
	}
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		before, err := loadJourney(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET journey_stages = $2, journey_rules = $3, updated_at = now() WHERE tenant_id = $1`,
			tx.TenantID(), s.Stages, s.Rules); err != nil {
			return fmt.Errorf("journey settings: %w", err)
		}
		ch := changes(before, s, "stages", "rules")
		if len(ch) == 0 {
			return nil
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventNotificationSettingsChanged, Changes: ch, Data: map[string]any{"settings": "journey"}})
	})
	return s, err
}

// SetCustomerStage moves a customer to a stage by hand (admins and CSMs),
// with an optional reason. Moving it to the stage it is in changes
// nothing.
func (db *DB) SetCustomerStage(ctx context.Context, customerID uuid.UUID, stage, reason string) (*CustomerJourney, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > 500 {
		return nil, onboardiq.Invalid("reason", "must be at most 500 characters")
	}
	var out *CustomerJourney
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if _, err := getCustomer(ctx, tx, p, customerID, true); err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditCustomers); err != nil {
			return err
		}
		s, err := loadJourney(ctx, tx)
		if err != nil {
			return err
		}
		known := false
		for _, st := range s.Stages {
			known = known || st.Key == stage
		}
		if !known {
			keys := make([]string, len(s.Stages))
			for i, st := range s.Stages {
				keys[i] = st.Key
			}
			return onboardiq.Invalid("stage", "must be one of %s", strings.Join(keys, ", "))
		}
		by := p.Actor()
		if err := moveCustomer(ctx, tx, s, customerID, stage, by, "", reason, nil, time.Now()); err != nil {
			return err
		}
		out, err = customerJourney(ctx, tx, s, customerID, time.Now())
		return err
	})
	return out, err
}

// moveCustomer records a customer's move to stage, and its event, unless
// it is in that stage already, or the event that caused it (eventID, for
// a rule) moved it before.
func moveCustomer(ctx context.Context, tx *Tx, s JourneySettings, customer uuid.UUID, stage string, by *uuid.UUID, rule, reason string, eventID *int64, now time.Time) error {
	current, err := currentStage(ctx, tx, customer)
	if err != nil || current == stage {
		return err
	}
	tag, err := tx.Exec(ctx, `
INSERT INTO customer_stages (tenant_id, customer_id, stage, entered_at, by_user, rule, reason, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (tenant_id, event_id) WHERE event_id IS NOT NULL DO NOTHING`,
		tx.TenantID(), customer, stage, now, by, nullIfEmpty(rule), nullIfEmpty(reason), eventID)
	if err != nil {
		return fmt.Errorf("move customer: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	data := map[string]any{"stage": stage, "stage_name": stageName(s.Stages, stage)}
	if current != "" {
		data["from"] = current
	}
	if rule != "" {
		data["rule"] = rule
	}
	if reason != "" {
		data["reason"] = reason
	}
	return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCustomerStageChanged, CustomerID: &customer, Data: data})
}

func currentStage(ctx context.Context, tx *Tx, customer uuid.UUID) (string, error) {
	var stage string
	err := tx.QueryRow(ctx, `SELECT stage FROM customer_stages WHERE tenant_id = $1 AND customer_id = $2 ORDER BY entered_at DESC, transition_id LIMIT 1`,
		tx.TenantID(), customer).Scan(&stage)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return stage, err
}

// ApplyJourneyRules moves a customer by the workspace's rules when trigger
// happens to it (a project started or completed, a health level reached),
// in tx; it reports the stage it moved to, or "" when no rule applies or
// event (the change that is the trigger) moved it already.
func (tx *Tx) ApplyJourneyRules(ctx context.Context, customer uuid.UUID, trigger journey.Trigger, event int64, now time.Time) (string, error) {
	var seen bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM customer_stages WHERE tenant_id = $1 AND event_id = $2)`, tx.TenantID(), event).Scan(&seen); err != nil || seen {
		return "", err
	}
	s, err := loadJourney(ctx, tx)
	if err != nil {
		return "", err
	}
	current, err := currentStage(ctx, tx, customer)
	if err != nil {
		return "", err
	}
	to, ok := journey.Next(current, trigger, s.Rules, s.Stages)
	if !ok {
		return "", nil
	}
	if err := moveCustomer(ctx, tx, s, customer, to, nil, trigger.On, "", &event, now); err != nil {
		return "", err
	}
	return to, nil
}

// CustomerStages returns a customer's journey: its stage, the time in each
// stage, and its moves (staff: a vendor's view of its customer, not shown
// to the customer's contacts).
func (db *DB) CustomerStages(ctx context.Context, customerID uuid.UUID) (*CustomerJourney, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*CustomerJourney, error) {
		if _, err := getCustomer(ctx, tx, p, customerID, false); err != nil {
			return nil, err
		}
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		s, err := loadJourney(ctx, tx)
		if err != nil {
			return nil, err
		}
		return customerJourney(ctx, tx, s, customerID, time.Now())
	})
}

func customerJourney(ctx context.Context, tx *Tx, s JourneySettings, customer uuid.UUID, now time.Time) (*CustomerJourney, error) {
	rows, err := tx.Query(ctx, `
SELECT stage, entered_at, by_user, coalesce(rule, ''), coalesce(reason, '') FROM customer_stages
WHERE tenant_id = $1 AND customer_id = $2 ORDER BY entered_at DESC, transition_id`, tx.TenantID(), customer)
	if err != nil {
		return nil, err
	}
	moves, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StageTransition, error) {
		var t StageTransition
		err := r.Scan(&t.Stage, &t.EnteredAt, &t.By, &t.Rule, &t.Reason)
		t.Name = stageName(s.Stages, t.Stage)
		return t, err
	})
	if err != nil {
		return nil, err
	}
	out := &CustomerJourney{CustomerID: customer, Transitions: moves, Stages: []StageTime{}}
	if len(moves) == 0 {
		return out, nil
	}
	out.Stage, out.StageName, out.Since = moves[0].Stage, moves[0].Name, &moves[0].EnteredAt
	history := make([]journey.Transition, len(moves))
	for i, m := range moves {
		history[len(moves)-1-i] = journey.Transition{To: m.Stage, At: m.EnteredAt}
	}
	for _, st := range journey.Durations(history, now) {
		out.Stages = append(out.Stages, StageTime{Stage: st.Stage, Name: stageName(s.Stages, st.Stage), Days: journey.Days(st.Duration),
			Seconds: int64(st.Duration.Seconds()), Visits: st.Visits, Current: st.Current, Since: st.Since})
	}
	return out, nil
}
