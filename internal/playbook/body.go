package playbook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/health"
)

// The standard body (docs/playbook-webhook.schema.json).
type (
	stdBody struct {
		Type      string      `json:"type"`
		Timestamp string      `json:"timestamp"`
		Playbook  stdPlaybook `json:"playbook"`
		RunID     uuid.UUID   `json:"run_id"`
		Trigger   stdTrigger  `json:"trigger"`
		Account   stdAccount  `json:"account"`
		Health    *stdHealth  `json:"health"`
		Project   *stdProject `json:"project,omitempty"`
		Task      *stdTask    `json:"task,omitempty"`
	}
	stdPlaybook struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
	}
	stdTrigger struct {
		Kind     string   `json:"kind"`
		EventID  *int64   `json:"event_id,omitempty"`
		Evidence []string `json:"evidence"`
	}
	stdAccount struct {
		ID           uuid.UUID      `json:"id"`
		Name         string         `json:"name"`
		ExternalID   string         `json:"external_id"`
		Segment      string         `json:"segment"`
		Stage        string         `json:"stage"`
		ARR          *float64       `json:"arr"`
		RenewalDate  *string        `json:"renewal_date"`
		CSM          *Person        `json:"csm"`
		CustomFields map[string]any `json:"custom_fields"`
	}
	stdHealth struct {
		Score         int                `json:"score"`
		PreviousScore *int               `json:"previous_score"`
		Level         string             `json:"level"`
		LevelName     string             `json:"level_name"`
		Components    []health.Component `json:"components"`
		ComputedAt    string             `json:"computed_at"`
	}
	stdProject struct {
		ID       uuid.UUID `json:"id"`
		Name     string    `json:"name"`
		Status   string    `json:"status"`
		Progress int       `json:"progress"`
		DaysLate int       `json:"days_late"`
		Deadline *string   `json:"deadline"`
	}
	stdTask struct {
		ID            uuid.UUID `json:"id"`
		Title         string    `json:"title"`
		Status        string    `json:"status"`
		Phase         string    `json:"phase"`
		BlockedReason string    `json:"blocked_reason"`
	}
)

func dateString(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.DateOnly)
	return &s
}

func standard(r Run) stdBody {
	f := r.Facts
	if f == nil {
		f = &Facts{}
	}
	c := f.Customer
	b := stdBody{
		Type:      "playbook.triggered",
		Timestamp: r.At.UTC().Format(time.RFC3339),
		Playbook:  stdPlaybook{ID: r.PlaybookID, Name: r.PlaybookName},
		RunID:     r.ID,
		Trigger:   stdTrigger{Kind: r.Trigger, EventID: r.EventID, Evidence: append([]string{}, r.Evidence...)},
		Account: stdAccount{
			ID: c.ID, Name: c.Name, ExternalID: c.ExternalID, Segment: c.Segment, Stage: c.Stage,
			ARR: c.ARR, RenewalDate: dateString(c.RenewalDate), CSM: c.CSM, CustomFields: map[string]any{},
		},
	}
	for k, v := range c.Custom {
		b.Account.CustomFields[k] = v
	}
	if h := c.Health; h != nil {
		comps := make([]health.Component, len(h.Components))
		copy(comps, h.Components)
		for i := range comps {
			ev := make([]health.Evidence, len(comps[i].Evidence))
			copy(ev, comps[i].Evidence)
			for j := range ev {
				if ev[j].EventIDs == nil {
					ev[j].EventIDs = []string{}
				}
			}
			comps[i].Evidence = ev
		}
		b.Health = &stdHealth{
			Score: h.Score, PreviousScore: h.PreviousScore, Level: h.Level, LevelName: h.LevelName,
			Components: comps, ComputedAt: h.ComputedAt.UTC().Format(time.RFC3339),
		}
	}
	if p := f.Project; p != nil {
		b.Project = &stdProject{ID: p.ID, Name: p.Name, Status: p.Status, Progress: p.Progress, DaysLate: p.DaysLate, Deadline: dateString(p.Deadline)}
	}
	if t := f.Task; t != nil {
		b.Task = &stdTask{ID: t.ID, Title: t.Title, Status: t.Status, Phase: t.Phase, BlockedReason: t.BlockedReason}
	}
	return b
}

// n8nBody is the standard body with flat keys for n8n's nodes, which
// read {{$json.body.account_name}} more easily than nested objects.
type n8nBody struct {
	stdBody
	Text          string   `json:"text"`
	AccountName   string   `json:"account_name"`
	ARR           *float64 `json:"arr"`
	RenewalDate   *string  `json:"renewal_date"`
	HealthScore   *int     `json:"health_score"`
	PreviousScore *int     `json:"previous_score"`
	CSMName       *string  `json:"csm_name"`
	CSMEmail      *string  `json:"csm_email"`
}

// slackText is the one-line summary of a run, in Slack's mrkdwn.
func slackText(r Run) string {
	v := vars(r)
	var b strings.Builder
	icon := ":bell:"
	if h := r.Facts; h != nil && h.Customer.Health != nil && (h.Customer.Health.Level == "critical" || h.Customer.Health.Level == "at_risk") {
		icon = ":rotating_light:"
	}
	fmt.Fprintf(&b, "%s *%s*", icon, slackEscape(v["customer_name"]))
	var parts []string
	if v["health_score"] != "" {
		s := "health " + v["health_score"]
		if v["previous_score"] != "" {
			s += " (was " + v["previous_score"] + ")"
		}
		if v["health_level"] != "" {
			s += ", " + slackEscape(v["health_level"])
		}
		parts = append(parts, s)
	}
	if v["project_name"] != "" {
		parts = append(parts, "project "+slackEscape(v["project_name"]))
	}
	if v["task_title"] != "" {
		parts = append(parts, "task "+slackEscape(v["task_title"]))
	}
	if len(parts) > 0 {
		b.WriteString(" — " + strings.Join(parts, "; ") + ".")
	}
	var acct []string
	if v["customer_arr"] != "" {
		acct = append(acct, "ARR "+v["customer_arr"])
	}
	if v["renewal_date"] != "" {
		acct = append(acct, "renews "+v["renewal_date"])
	}
	if len(acct) > 0 {
		b.WriteString(" " + strings.Join(acct, ", ") + ".")
	}
	if v["csm_name"] != "" {
		b.WriteString(" CSM " + slackEscape(v["csm_name"]) + ".")
	}
	fmt.Fprintf(&b, " Playbook “%s”.", slackEscape(r.PlaybookName))
	return b.String()
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func body(format string, r Run) ([]byte, error) {
	switch format {
	case "", "standard":
		return json.Marshal(standard(r))
	case "n8n":
		b := n8nBody{stdBody: standard(r), Text: slackText(r)}
		b.AccountName = b.Account.Name
		b.ARR = b.Account.ARR
		b.RenewalDate = b.Account.RenewalDate
		if h := b.Health; h != nil {
			b.HealthScore, b.PreviousScore = &h.Score, h.PreviousScore
		}
		if c := b.Account.CSM; c != nil {
			b.CSMName, b.CSMEmail = &c.Name, &c.Email
		}
		return json.Marshal(b)
	case "slack":
		text := slackText(r)
		ctx := "Trigger: " + r.Trigger
		if len(r.Evidence) > 0 {
			ctx += " · " + slackEscape(strings.Join(r.Evidence, "; "))
		}
		msg := map[string]any{
			"text": text,
			"blocks": []any{
				map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}},
				map[string]any{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": ctx}}},
			},
		}
		return json.Marshal(msg)
	}
	return nil, fmt.Errorf("playbook: unknown webhook format %q", format)
}
