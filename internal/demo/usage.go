package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// coreFeatures are the demo product's core features.
var coreFeatures = []string{"login", "shipment_created", "report_exported", "api_call"}

// usagePlan is how a demo customer used the product: its users, on which
// days before now (working days only), and which features.
type usagePlan struct {
	customer string
	domain   string
	users    func(daysAgo int) int // active users on a day
	features []string
}

// usagePlans: Globex grows steadily and uses every core feature; Initech
// was busy until five weeks ago and has all but stopped (the demo's
// Critical customer, with its blocked, overdue onboarding); Umbrella's
// pilot began a few days ago.
var usagePlans = []usagePlan{
	{"Globex Logistics", "globex.example", func(d int) int { return 6 + (120-d)/30 }, coreFeatures},
	{"Initech Health", "initech.example", func(d int) int {
		switch {
		case d > 35:
			return 6
		case d == 4 || d == 11 || d == 25:
			return 1
		}
		return 0
	}, []string{"login", "shipment_created"}},
	{"Umbrella Retail", "umbrella.example", func(d int) int {
		if d > 2 {
			return 0
		}
		return 3
	}, []string{"login", "report_exported"}},
}

// usageDays is how far back the demo's usage goes; healthDays how far
// back its health history.
const (
	usageDays  = 120
	healthDays = 90
)

// seedUsage sends the demo's usage events, records a few survey answers,
// and scores its customers' health as of every third day of the last 90,
// so the history has a shape.
func seedUsage(ctx context.Context, tx *postgres.Tx, customerIDs map[string]uuid.UUID, now time.Time) error {
	for _, f := range coreFeatures {
		if _, err := tx.Exec(ctx, `INSERT INTO core_features (tenant_id, name) VALUES ($1, $2)`, tx.TenantID(), f); err != nil {
			return fmt.Errorf("core features: %w", err)
		}
	}
	var batch []onboardiq.UsageEventInput
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := tx.IngestUsage(ctx, batch, now)
		if err != nil {
			return err
		}
		if len(res.Rejected) > 0 {
			return fmt.Errorf("demo usage refused: %+v", res.Rejected[0])
		}
		batch = batch[:0]
		return nil
	}
	for _, p := range usagePlans {
		id := customerIDs[p.customer]
		for d := usageDays; d >= 0; d-- {
			day := now.AddDate(0, 0, -d)
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
				continue
			}
			for u := range p.users(d) {
				for i, f := range p.features {
					if i > 0 && (d+u+i)%3 == 0 { // not every feature every day
						continue
					}
					at := time.Date(day.Year(), day.Month(), day.Day(), 9+u%8, 5*i, 0, 0, time.UTC)
					if at.After(now) {
						at = now.Add(-time.Duration(len(p.features)-i) * time.Minute)
					}
					batch = append(batch, onboardiq.UsageEventInput{
						ID:         fmt.Sprintf("demo-%s-%s-u%d-%s", p.domain[:len(p.domain)-8], at.Format("20060102"), u, f),
						CustomerID: id.String(), UserEmail: fmt.Sprintf("user%d@%s", u+1, p.domain), Name: f,
						OccurredAt: at.Format(time.RFC3339)})
					if len(batch) == onboardiq.MaxUsageBatch {
						if err := flush(); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	// The milestones the usage reached (the fan-out would find them too).
	all := make([]uuid.UUID, 0, len(customerIDs))
	for _, id := range customerIDs {
		all = append(all, id)
	}
	if _, err := tx.EvaluateMilestones(ctx, all); err != nil {
		return fmt.Errorf("milestones: %w", err)
	}
	// Survey answers: Globex is pleased; Initech's billing lead gave a
	// detractor's NPS and a poor CSAT a few weeks ago.
	if _, err := tx.Exec(ctx, `
INSERT INTO survey_responses (tenant_id, kind, customer_id, user_id, score, comment, answered_at)
SELECT $1, a.kind, u.customer_id, u.user_id, a.score, NULLIF(a.comment, ''), $2::timestamptz - make_interval(days => a.days)
FROM (VALUES ('hannah.becker@globex.example', 'nps', 9, 'The dispatch rollout went smoothly.', 40),
             ('hannah.becker@globex.example', 'csat', 5, '', 58),
             ('omar.aziz@globex.example', 'csat', 4, '', 20),
             ('raj.patel@initech.example', 'nps', 3, 'We are stuck on the data import and nobody has an answer.', 18),
             ('raj.patel@initech.example', 'csat', 2, 'The kickoff was good, the import is not.', 30)) AS a(email, kind, score, comment, days)
JOIN tenant_users u ON u.tenant_id = $1 AND u.email = a.email
RETURNING 1`, tx.TenantID(), now); err != nil {
		return fmt.Errorf("survey answers: %w", err)
	}
	for d := healthDays; d > 0; d -= 3 {
		// Only the customers that had started using the product by then.
		var ids []uuid.UUID
		for _, p := range usagePlans {
			for since := usageDays; since >= d; since-- {
				if p.users(since) > 0 {
					ids = append(ids, customerIDs[p.customer])
					break
				}
			}
		}
		if _, err := tx.RecomputeHealth(ctx, ids, now.AddDate(0, 0, -d)); err != nil {
			return fmt.Errorf("health history: %w", err)
		}
	}
	_, err := tx.RecomputeHealth(ctx, nil, now)
	return err
}
