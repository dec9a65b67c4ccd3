package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/health"
	"github.com/onboardiq/onboardiq/internal/journey"
)

// HealthCall is a customer to call today: at one of the two worst levels,
// or fallen by more than the drop points in 30 days, with the reason.
type HealthCall struct {
	Row    HealthRow
	Reason string
}

// HealthPage is the health overview: the customers by the filter, whom to
// call today (of the caller's customers for a CSM who has some, else of
// everyone's), and the filters' choices.
type HealthPage struct {
	Rows     []HealthRow
	Call     []HealthCall
	CallMine bool // Call lists the caller's own customers
	Levels   []health.Level
	Stages   []journey.Stage
	CSMs     []SupportMember
	Filter   HealthFilter
	Unread   int
}

// MaxCalls is how many customers "call today" lists at most.
const MaxCalls = 8

// LoadHealthPage reads the health overview (staff).
func (db *DB) LoadHealthPage(ctx context.Context, f HealthFilter) (*HealthPage, error) {
	if f.Sort == "" {
		f.Sort = "score"
	}
	if !slices.Contains(HealthSorts, f.Sort) {
		f.Sort = "score"
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*HealthPage, error) {
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		cfg, err := loadHealthConfig(ctx, tx)
		if err != nil {
			return nil, err
		}
		js, err := loadJourney(ctx, tx)
		if err != nil {
			return nil, err
		}
		out := &HealthPage{Levels: cfg.Levels, Stages: js.Stages, Filter: f}
		b := &pgx.Batch{}
		queueSupportMembers(b, tx.TenantID(), &out.CSMs)
		b.Queue(unreadQuery, tx.TenantID(), p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("health page: %w", err)
		}
		var csm *uuid.UUID
		switch {
		case f.CSM == "me":
			csm = &p.UserID
		case f.CSM != "":
			if id, err := uuid.Parse(f.CSM); err == nil {
				csm = &id
			} else {
				out.Filter.CSM = ""
			}
		}
		if f.Level != "" && f.Level != "none" && !slices.ContainsFunc(cfg.Levels, func(l health.Level) bool { return l.Key == f.Level }) {
			out.Filter.Level = ""
		}
		now := time.Now()
		// One read serves the table and whom to call (every customer, the
		// worst first).
		all, err := healthOverview(ctx, tx, cfg, js, now)
		if err != nil {
			return nil, err
		}
		out.Rows = filterHealthRows(all, out.Filter, csm)
		out.Call, out.CallMine, err = whomToCall(ctx, tx, cfg, filterHealthRows(all, HealthFilter{Sort: "score"}, nil), p.UserID)
		return out, err
	})
}

// whomToCall picks the customers to call today from rows (the worst score
// first): those at one of the two worst levels or fallen by more than the
// drop points, the caller's own when it has any such, and the reason of
// each.
func whomToCall(ctx context.Context, tx *Tx, cfg health.Config, rows []HealthRow, me uuid.UUID) ([]HealthCall, bool, error) {
	worst := map[string]bool{}
	for _, l := range cfg.Levels[max(0, len(cfg.Levels)-2):] {
		worst[l.Key] = true
	}
	if len(cfg.Levels) < 3 { // with one or two levels only the last is worrying
		clear(worst)
		worst[cfg.Levels[len(cfg.Levels)-1].Key] = true
	}
	var mine, everyone []HealthRow
	for _, r := range rows {
		if r.Score == nil || !(worst[*r.Level] || r.Trend != nil && -*r.Trend > cfg.DropPoints) {
			continue
		}
		everyone = append(everyone, r)
		if r.CSMID != nil && *r.CSMID == me {
			mine = append(mine, r)
		}
	}
	pick, isMine := everyone, false
	if len(mine) > 0 {
		pick, isMine = mine, true
	}
	pick = pick[:min(MaxCalls, len(pick))]
	if len(pick) == 0 {
		return nil, false, nil
	}
	ids := make([]uuid.UUID, len(pick))
	for i, r := range pick {
		ids[i] = r.CustomerID
	}
	q, err := tx.Query(ctx, `SELECT customer_id, components FROM customer_health WHERE tenant_id = $1 AND customer_id = ANY($2)`, tx.TenantID(), ids)
	if err != nil {
		return nil, false, fmt.Errorf("whom to call: %w", err)
	}
	reasons := map[uuid.UUID]string{}
	var id uuid.UUID
	var raw []byte
	_, err = pgx.ForEachRow(q, []any{&id, &raw}, func() error {
		var sc health.Score
		if err := json.Unmarshal(raw, &sc.Components); err != nil {
			return err
		}
		reasons[id] = sc.Reason()
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("whom to call: %w", err)
	}
	out := make([]HealthCall, len(pick))
	for i, r := range pick {
		out[i] = HealthCall{Row: r, Reason: reasons[r.CustomerID]}
		if r.Trend != nil && -*r.Trend > cfg.DropPoints {
			out[i].Reason = fmt.Sprintf("fell %d points in 30 days; %s", -*r.Trend, out[i].Reason)
		}
	}
	return out, isMine, nil
}

// CustomerHealthView is a customer's health as its console page shows it:
// the score with its explanation, and the daily history of the last 180
// days.
type CustomerHealthView struct {
	Health  *CustomerHealth
	Reason  string
	History []HealthPoint
	Levels  []health.Level
	// Milestones are the milestones the customer reached, earliest first.
	Milestones []MilestoneHit
}

// queueCustomerHealth queues the reads of a customer's health for its
// page on b: the workspace's configuration, the stored score, the
// milestones reached and the history of the last 180 days. finishCustomerHealth completes it.
func queueCustomerHealth(b *pgx.Batch, tenant, customer uuid.UUID, now time.Time, v *CustomerHealthView, raw *[]byte) {
	b.Queue(healthConfigQuery, tenant).QueryRow(func(row pgx.Row) error { return row.Scan(raw) })
	b.Queue(storedHealthQuery, tenant, customer).QueryRow(func(row pgx.Row) (err error) {
		v.Health, err = scanStoredHealth(row, customer)
		return err
	})
	b.Queue(customerHitsQuery, tenant, customer).Query(func(rows pgx.Rows) (err error) {
		v.Milestones, err = collectHits(rows)
		return err
	})
	today := now.UTC().Truncate(24 * time.Hour)
	b.Queue(healthHistoryQuery, tenant, customer, today.AddDate(0, 0, -179).Format(time.DateOnly), today.Format(time.DateOnly)).
		Query(func(rows pgx.Rows) (err error) {
			v.History, err = collectHealthHistory(rows)
			return err
		})
}

// finishCustomerHealth completes the view after the batch: a customer
// never scored is scored on the spot (one more batch); the level's name,
// the explanation and the reason.
func finishCustomerHealth(ctx context.Context, tx *Tx, customer uuid.UUID, v *CustomerHealthView, raw []byte, now time.Time) error {
	cfg, err := parseHealthConfig(raw)
	if err != nil {
		return err
	}
	if v.Health == nil {
		scores, err := scoreCustomers(ctx, tx, cfg, []uuid.UUID{customer}, now)
		if err != nil {
			return err
		}
		v.Health = scores[0].view(now)
	}
	v.Health.describe(cfg)
	v.Levels = cfg.Levels
	v.Reason = health.Score{Components: v.Health.Components}.Reason()
	return nil
}
