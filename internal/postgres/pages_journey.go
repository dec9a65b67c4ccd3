package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/journey"
)

// JourneyColumn is one stage of the journey board with its customers,
// longest in the stage first.
type JourneyColumn struct {
	Stage     journey.Stage
	Customers []JourneyCard
}

// JourneyCard is a customer on the journey board.
type JourneyCard struct {
	CustomerID uuid.UUID
	Name       string
	CSM        string
	Since      time.Time
	Days       int // whole days in the stage this time
}

// JourneyBoard is the journey board: the workspace's stages in order, each
// with its active customers, then any stage a customer is in that the
// workspace no longer lists; and the customers not in any stage yet.
type JourneyBoard struct {
	Columns  []JourneyColumn
	Unstaged []JourneyCard
	Unread   int
}

// LoadJourneyBoard reads the journey board (staff): active customers by
// their current stage (the stages, the unread count and the customers).
func (db *DB) LoadJourneyBoard(ctx context.Context) (*JourneyBoard, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*JourneyBoard, error) {
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		s, err := loadJourney(ctx, tx)
		if err != nil {
			return nil, err
		}
		out := &JourneyBoard{}
		now := time.Now()
		type row struct {
			card  JourneyCard
			stage *string
		}
		if err := tx.QueryRow(ctx, unreadQuery, tx.TenantID(), p.UserID).Scan(&out.Unread); err != nil {
			return nil, err
		}
		rs, err := tx.Query(ctx, `
SELECT c.customer_id, c.name, coalesce(u.name, ''), cs.stage, cs.entered_at
FROM customers c
LEFT JOIN tenant_users u ON u.tenant_id = c.tenant_id AND u.user_id = c.support_member_id
LEFT JOIN LATERAL (
    SELECT s.stage, s.entered_at FROM customer_stages s
    WHERE s.tenant_id = c.tenant_id AND s.customer_id = c.customer_id
    ORDER BY s.entered_at DESC, s.transition_id LIMIT 1) cs ON true
WHERE c.tenant_id = $1 AND c.archived_at IS NULL
ORDER BY cs.entered_at NULLS LAST, c.name`, tx.TenantID())
		if err != nil {
			return nil, fmt.Errorf("journey board: %w", err)
		}
		rows, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (row, error) {
			var x row
			var since *time.Time
			err := r.Scan(&x.card.CustomerID, &x.card.Name, &x.card.CSM, &x.stage, &since)
			if since != nil {
				x.card.Since, x.card.Days = *since, journey.Days(now.Sub(*since))
			}
			return x, err
		})
		if err != nil {
			return nil, err
		}
		at := map[string]int{}
		for _, st := range s.Stages {
			at[st.Key] = len(out.Columns)
			out.Columns = append(out.Columns, JourneyColumn{Stage: st})
		}
		for _, x := range rows {
			if x.stage == nil {
				out.Unstaged = append(out.Unstaged, x.card)
				continue
			}
			i, ok := at[*x.stage]
			if !ok {
				i = len(out.Columns)
				at[*x.stage] = i
				out.Columns = append(out.Columns, JourneyColumn{Stage: journey.Stage{Key: *x.stage, Name: *x.stage}})
			}
			out.Columns[i].Customers = append(out.Columns[i].Customers, x.card)
		}
		return out, nil
	})
}
