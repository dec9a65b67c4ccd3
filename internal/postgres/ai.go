package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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

// GetBudget reads the caller's tenant's budget (admins).
func (db *DB) GetBudget(ctx context.Context) (onboardiq.Budget, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (onboardiq.Budget, error) {
		if err := p.Check(onboardiq.ManageAI); err != nil {
			return onboardiq.Budget{}, err
		}
		return loadBudget(ctx, tx)
	})
}

// SetBudget sets the caller's tenant's monthly token budget (admins); nil
// removes the limit.
func (db *DB) SetBudget(ctx context.Context, tokens *int64) (onboardiq.Budget, error) {
	var b onboardiq.Budget
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageAI); err != nil {
			return err
		}
		if tokens != nil && *tokens < 0 {
			return onboardiq.Invalid("monthly_tokens", "must be 0 or more, or null for no limit")
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET ai_monthly_token_budget = $2, updated_at = now() WHERE tenant_id = $1`, tx.TenantID(), tokens); err != nil {
			return err
		}
		if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventBudgetSet, Data: map[string]any{"monthly_tokens": tokens}}); err != nil {
			return err
		}
		var err error
		b, err = loadBudget(ctx, tx)
		return err
	})
	return b, err
}

// ListAICalls lists the tenant's AI calls, newest first (admins).
func (db *DB) ListAICalls(ctx context.Context, o onboardiq.ListOptions) (onboardiq.Page[*onboardiq.AICall], error) {
	var out onboardiq.Page[*onboardiq.AICall]
	if err := o.Normalise(); err != nil {
		return out, err
	}
	before, beforeID, err := newestFirst(o.Cursor)
	if err != nil {
		return out, err
	}
	err = db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageAI); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
SELECT call_id, user_id, kind, conversation_id, question, sources, provider, model, input_tokens, output_tokens, latency_ms, error, created_at
FROM ai_calls WHERE tenant_id = $1 AND (created_at, call_id) < ($2, $3)
ORDER BY created_at DESC, call_id DESC LIMIT $4`, tx.TenantID(), before, beforeID, o.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.AICall, error) {
			c := &onboardiq.AICall{}
			err := r.Scan(&c.ID, &c.UserID, &c.Kind, &c.ConversationID, &c.Question, &c.Sources, &c.Provider, &c.Model,
				&c.InputTokens, &c.OutputTokens, &c.LatencyMS, &c.Error, &c.CreatedAt)
			return c, err
		})
		out = page(items, o.Limit, func(c *onboardiq.AICall) []any { return []any{c.CreatedAt, c.ID} })
		return err
	})
	return out, err
}

// GetAIStatus reports the caller's tenant's embeddings for model (admins).
func (db *DB) GetAIStatus(ctx context.Context, model string) (*onboardiq.AIStatus, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.AIStatus, error) {
		if err := p.Check(onboardiq.ManageAI); err != nil {
			return nil, err
		}
		return loadAIStatus(ctx, tx, model)
	})
}

func loadAIStatus(ctx context.Context, tx *Tx, model string) (*onboardiq.AIStatus, error) {
	st := &onboardiq.AIStatus{Embeddings: map[string]onboardiq.EmbeddingCounts{}, Jobs: map[string]int{}, Errors: []onboardiq.JobError{}}
	rows, err := tx.Query(ctx, `
SELECT 'articles', count(*), count(*) FILTER (WHERE embedding_model = $2) FROM knowledge_base WHERE tenant_id = $1
UNION ALL SELECT 'tasks', count(*), count(*) FILTER (WHERE embedding_model = $2) FROM tasks WHERE tenant_id = $1
UNION ALL SELECT 'projects', count(*), count(*) FILTER (WHERE embedding_model = $2) FROM projects WHERE tenant_id = $1`,
		tx.TenantID(), model)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		var c onboardiq.EmbeddingCounts
		if err := rows.Scan(&name, &c.Total, &c.Current); err != nil {
			return nil, err
		}
		c.Stale = c.Total - c.Current
		st.Embeddings[name] = c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// River's table is shared by all tenants: its rows are filtered
	// by the tenant id every job carries.
	rows, err = tx.Query(ctx, `
SELECT state::text, count(*) FROM river_job
WHERE kind = 'embed' AND args->>'tenant_id' = $1::text GROUP BY 1`, tx.TenantID())
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		st.Jobs[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `
SELECT args->>'entity', args->>'id', state::text, attempt, coalesce(errors[array_length(errors, 1)]->>'error', ''),
       coalesce((errors[array_length(errors, 1)]->>'at')::timestamptz, attempted_at, created_at)
FROM river_job
WHERE kind = 'embed' AND args->>'tenant_id' = $1::text AND state IN ('retryable', 'discarded')
ORDER BY coalesce(attempted_at, created_at) DESC LIMIT 20`, tx.TenantID())
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e onboardiq.JobError
		if err := rows.Scan(&e.Entity, &e.ID, &e.State, &e.Attempt, &e.Error, &e.At); err != nil {
			return nil, err
		}
		st.Errors = append(st.Errors, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return st, nil
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
	if c.InputTokens+c.OutputTokens == 0 {
		return nil
	}
	return warnAITokens(ctx, tx)
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
	quotas, err := loadQuotaSettings(ctx, tx)
	if err != nil {
		return err
	}
	if limit := quotas.limit(onboardiq.QuotaAITokens); limit != nil && tenantUsed >= *limit {
		return onboardiq.ExceedQuota(onboardiq.QuotaAITokens, *limit, tenantUsed, now)
	}
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

// loadBudget reads the budget of the tenant tx runs in.
func loadBudget(ctx context.Context, tx *Tx) (onboardiq.Budget, error) {
	var b onboardiq.Budget
	err := tx.QueryRow(ctx, `
SELECT t.ai_monthly_token_budget,
       coalesce((SELECT sum(input_tokens + output_tokens) FROM ai_calls
                 WHERE tenant_id = $1 AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), 0)
FROM tenants t WHERE t.tenant_id = $1`, tx.TenantID()).Scan(&b.MonthlyTokens, &b.UsedTokens)
	return b, err
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
