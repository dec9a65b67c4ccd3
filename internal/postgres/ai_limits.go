package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// AskLimits bound the calls to the assistant (asks, summaries,
// troubleshooting, unblocking: everything that may call the model).
type AskLimits struct {
	User   onboardiq.Rate // per user
	Tenant onboardiq.Rate // per tenant, all users together
	// UserBudgetPercent is the share of the tenant's monthly token budget
	// (when it has one) that one user may use.
	UserBudgetPercent int
}

// BeginAICall admits a call of the caller to the assistant in a
// transaction of its own (AdmitAICall).
func (db *DB) BeginAICall(ctx context.Context, c onboardiq.AICall, lim AskLimits) (uuid.UUID, error) {
	var id uuid.UUID
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var err error
		id, err = tx.AdmitAICall(ctx, p, c, lim)
		return err
	})
	return id, err
}

// AdmitAICall admits a call of p to the assistant, or refuses it with an
// ELIMIT error naming the limit and when it allows another try: the user's
// or the tenant's rate of calls, the tenant's monthly token budget, or the
// user's share of it. An admitted call is recorded at once (no tokens
// yet), so it counts against the limits on every server; admissions of a
// tenant are serialised by a transaction-scoped advisory lock, so
// concurrent calls cannot all pass the same count. FinishAICall completes
// the record.
func (tx *Tx) AdmitAICall(ctx context.Context, p *onboardiq.Principal, c onboardiq.AICall, lim AskLimits) (uuid.UUID, error) {
	var user *uuid.UUID
	if !p.IsSystem() {
		user = &p.UserID
	}
	if err := checkAskLimits(ctx, tx, user, lim); err != nil {
		return uuid.Nil, err
	}
	if c.Sources == nil {
		c.Sources = []onboardiq.CallSource{}
	}
	var id uuid.UUID
	err := tx.QueryRow(ctx, `
INSERT INTO ai_calls (tenant_id, user_id, kind, question, sources, provider, model, latency_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, 0) RETURNING call_id`,
		tx.TenantID(), user, c.Kind, c.Question, c.Sources, c.Provider, c.Model).Scan(&id)
	if err != nil {
		return uuid.Nil, fmt.Errorf("record ai call: %w", err)
	}
	return id, nil
}

// checkAskLimits takes the tenant's admission lock and refuses a call
// past a limit (user nil: the command line, limited by the tenant's only).
func checkAskLimits(ctx context.Context, tx *Tx, user *uuid.UUID, lim AskLimits) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('onboardiq.ai_calls:' || $1::text, 0))`, tx.TenantID()); err != nil {
		return fmt.Errorf("admit ai call: %w", err)
	}
	var (
		now                   time.Time
		userN, tenantN        int
		userOldest, tenantOld *time.Time
		budget                *int64
		tenantUsed, userUsed  int64
	)
	err := tx.QueryRow(ctx, `
SELECT now(), u.n, u.oldest, t.n, t.oldest, tn.ai_monthly_token_budget, m.tenant_used, m.user_used
FROM tenants tn,
LATERAL (SELECT count(*), min(created_at) FROM (
    SELECT created_at FROM ai_calls WHERE tenant_id = $1 AND user_id = $2 AND created_at > now() - $3::float8 * interval '1 second'
    ORDER BY created_at DESC LIMIT $4) x) u (n, oldest),
LATERAL (SELECT count(*), min(created_at) FROM (
    SELECT created_at FROM ai_calls WHERE tenant_id = $1 AND created_at > now() - $5::float8 * interval '1 second'
    ORDER BY created_at DESC LIMIT $6) x) t (n, oldest),
LATERAL (SELECT coalesce(sum(input_tokens + output_tokens), 0),
                coalesce(sum(input_tokens + output_tokens) FILTER (WHERE user_id = $2), 0)
         FROM ai_calls WHERE tenant_id = $1 AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') m (tenant_used, user_used)
WHERE tn.tenant_id = $1`, tx.TenantID(), user, lim.User.Window.Seconds(), lim.User.N, lim.Tenant.Window.Seconds(), lim.Tenant.N).
		Scan(&now, &userN, &userOldest, &tenantN, &tenantOld, &budget, &tenantUsed, &userUsed)
	if err != nil {
		return fmt.Errorf("admit ai call: %w", err)
	}
	nextMonth := time.Date(now.UTC().Year(), now.UTC().Month()+1, 1, 0, 0, 0, 0, time.UTC)
	switch {
	case user != nil && userN >= lim.User.N:
		wait := userOldest.Add(lim.User.Window).Sub(now)
		return onboardiq.Limited(wait, "You have asked the assistant %s in the last %s, as many as one person may; try again in %s.",
			count(lim.User.N, "time"), strings.TrimPrefix(span(lim.User.Window), "1 "), span(wait))
	case tenantN >= lim.Tenant.N:
		wait := tenantOld.Add(lim.Tenant.Window).Sub(now)
		return onboardiq.Limited(wait, "This workspace has asked the assistant %s in the last %s, as many as it may; try again in %s.",
			count(lim.Tenant.N, "time"), strings.TrimPrefix(span(lim.Tenant.Window), "1 "), span(wait))
	case budget != nil && tenantUsed >= *budget:
		return onboardiq.Limited(nextMonth.Sub(now), "This workspace has used its AI token budget for the month; it renews on %s (UTC), or an admin can raise it (PUT /api/v1/ai/budget).",
			nextMonth.Format("2 January"))
	case budget != nil && user != nil && lim.UserBudgetPercent < 100 && userUsed >= *budget*int64(lim.UserBudgetPercent)/100:
		return onboardiq.Limited(nextMonth.Sub(now), "You have used your share (%d%%) of this workspace's monthly AI token budget; it renews on %s (UTC), or an admin can raise the budget.",
			lim.UserBudgetPercent, nextMonth.Format("2 January"))
	}
	return nil
}

// FinishAICall completes the record of a call begun by BeginAICall: the
// sources given, the provider and model that answered, the tokens, the
// latency, the conversation, and the error if it failed.
func (tx *Tx) FinishAICall(ctx context.Context, id uuid.UUID, c onboardiq.AICall) error {
	if c.Sources == nil {
		c.Sources = []onboardiq.CallSource{}
	}
	_, err := tx.Exec(ctx, `
UPDATE ai_calls SET conversation_id = $3, sources = $4, provider = $5, model = $6, input_tokens = $7, output_tokens = $8, latency_ms = $9, error = $10
WHERE tenant_id = $1 AND call_id = $2`,
		tx.TenantID(), id, c.ConversationID, c.Sources, c.Provider, c.Model, c.InputTokens, c.OutputTokens, c.LatencyMS, c.Error)
	if err != nil {
		return fmt.Errorf("finish ai call: %w", err)
	}
	return nil
}

// span says a duration in words, rounded up to its unit: "10 minutes",
// "40 seconds", "1 hour".
func span(d time.Duration) string {
	unit, name := time.Second, "second"
	switch {
	case d >= time.Hour && d%time.Hour == 0, d > 90*time.Minute:
		unit, name = time.Hour, "hour"
	case d > 90*time.Second:
		unit, name = time.Minute, "minute"
	}
	return count(int((d+unit-1)/unit), name)
}

// count says n things: "1 time", "3 times".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", max(n, 0), thing)
}
