package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Quotas (docs/quotas.md): a tenant's limits come from its subscription
// tier and its operator's overrides (tenants.quota_overrides); usage is
// measured where it lives (staff users, webhook endpoints, articles and
// the logo, ai_calls) or, for API calls, counted in quota_usage per month.
// A change that adds to a hard quota checks it in its own transaction,
// under a transaction-scoped advisory lock per tenant and quota, so two
// concurrent requests cannot both pass at the limit.

// GetQuotas reads the caller's tenant's tier, limits and usage (admins).
func (db *DB) GetQuotas(ctx context.Context) (*onboardiq.TenantQuotas, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.TenantQuotas, error) {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return nil, err
		}
		return readTenantQuotas(ctx, tx)
	})
}

// QuotaChange is an operator's setting of a tenant's tier and overrides:
// both replace what the tenant had (Tier nil: no tier).
type QuotaChange struct {
	Tier      *string
	Overrides onboardiq.QuotaOverrides
}

// SetTenantQuotas sets a tenant's subscription tier and quota overrides
// (operators only), recorded as tenant.quotas_changed when it changes
// something. Lowering a limit below the usage removes nothing: the next
// addition is refused.
func (db *DB) SetTenantQuotas(ctx context.Context, id uuid.UUID, in QuotaChange) (*onboardiq.OperatorTenant, error) {
	if in.Tier != nil {
		t := strings.ToLower(strings.TrimSpace(*in.Tier))
		in.Tier = &t
		if t == "" {
			in.Tier = nil
		} else if !slices.Contains(onboardiq.SubscriptionTiers, t) {
			return nil, onboardiq.Invalid("subscription_tier", "must be one of %s, or empty for none", strings.Join(onboardiq.SubscriptionTiers, ", "))
		}
	}
	if in.Overrides == nil {
		in.Overrides = onboardiq.QuotaOverrides{}
	}
	if err := in.Overrides.Validate(); err != nil {
		return nil, err
	}
	tier := ""
	if in.Tier != nil {
		tier = *in.Tier
	}
	data := map[string]any{"subscription_tier": tier, "overrides": in.Overrides}
	return db.changeTenant(ctx, id, onboardiq.EventTenantQuotasChanged, data, func(ctx context.Context, tx *Tx) (bool, error) {
		return changedRows(ctx, tx, `
UPDATE tenants SET subscription_tier = $2, quota_overrides = $3, updated_at = now()
WHERE tenant_id = $1 AND (subscription_tier IS DISTINCT FROM $2 OR quota_overrides <> $3)`, id, in.Tier, in.Overrides)
	})
}

// quotaSettings are a tenant's tier and overrides, and the database's
// time.
type quotaSettings struct {
	tier      *string
	overrides onboardiq.QuotaOverrides
	now       time.Time
}

func (s quotaSettings) limit(q onboardiq.Quota) *int64 {
	l, _ := onboardiq.Limit(q, s.tier, s.overrides)
	return l
}

func loadQuotaSettings(ctx context.Context, tx *Tx) (quotaSettings, error) {
	var s quotaSettings
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT subscription_tier, quota_overrides, now() FROM tenants WHERE tenant_id = $1`, tx.TenantID()).
		Scan(&s.tier, &raw, &s.now)
	if err != nil {
		return s, fmt.Errorf("read quotas: %w", err)
	}
	if err := json.Unmarshal(raw, &s.overrides); err != nil {
		return s, fmt.Errorf("read quota overrides: %w", err)
	}
	return s, nil
}

// usageQuery measures every quota of tenant $1 in the month starting $2.
// Storage is what the tenant stores as files and text: its
// knowledge-base articles (title and body, in bytes) and its portal logo.
const usageQuery = `
SELECT
  (SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND role <> 'customer' AND disabled_at IS NULL),
  coalesce((SELECT amount FROM quota_usage WHERE tenant_id = $1 AND month = $2 AND quota = 'api_calls'), 0),
  coalesce((SELECT sum(octet_length(title) + octet_length(content)) FROM knowledge_base WHERE tenant_id = $1), 0)
    + coalesce((SELECT octet_length(logo) FROM tenant_branding WHERE tenant_id = $1), 0),
  (SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1),
  coalesce((SELECT sum(input_tokens + output_tokens) FROM ai_calls WHERE tenant_id = $1 AND created_at >= $2::timestamptz), 0)`

func measureQuotas(ctx context.Context, tx *Tx, now time.Time) (map[onboardiq.Quota]int64, error) {
	var users, calls, storage, integrations, tokens int64
	err := tx.QueryRow(ctx, usageQuery, tx.TenantID(), onboardiq.MonthOf(now)).Scan(&users, &calls, &storage, &integrations, &tokens)
	if err != nil {
		return nil, fmt.Errorf("measure quotas: %w", err)
	}
	return map[onboardiq.Quota]int64{onboardiq.QuotaUsers: users, onboardiq.QuotaAPICalls: calls, onboardiq.QuotaStorage: storage,
		onboardiq.QuotaIntegrations: integrations, onboardiq.QuotaAITokens: tokens}, nil
}

// hardQuotaQueries measure the hard quotas of tenant $1, one each.
var hardQuotaQueries = map[onboardiq.Quota]string{
	onboardiq.QuotaUsers: `SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND role <> 'customer' AND disabled_at IS NULL`,
	onboardiq.QuotaStorage: `SELECT coalesce((SELECT sum(octet_length(title) + octet_length(content)) FROM knowledge_base WHERE tenant_id = $1), 0)
    + coalesce((SELECT octet_length(logo) FROM tenant_branding WHERE tenant_id = $1), 0)`,
	onboardiq.QuotaIntegrations: `SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1`,
}

// measureQuota measures one quota.
func measureQuota(ctx context.Context, tx *Tx, q onboardiq.Quota, now time.Time) (int64, error) {
	sql, ok := hardQuotaQueries[q]
	if !ok {
		m, err := measureQuotas(ctx, tx, now)
		return m[q], err
	}
	var n int64
	if err := tx.QueryRow(ctx, sql, tx.TenantID()).Scan(&n); err != nil {
		return 0, fmt.Errorf("measure %s: %w", q, err)
	}
	return n, nil
}

func readTenantQuotas(ctx context.Context, tx *Tx) (*onboardiq.TenantQuotas, error) {
	s, err := loadQuotaSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	usage, err := measureQuotas(ctx, tx, s.now)
	if err != nil {
		return nil, err
	}
	return onboardiq.NewTenantQuotas(s.tier, s.overrides, usage, s.now), nil
}

// checkQuota admits adding n (users, bytes, endpoints) to hard quota q of
// the tenant tx runs in, or refuses it with a *onboardiq.QuotaError. It
// takes the tenant's lock on q until the transaction ends, so a
// concurrent addition waits and then counts this one: call it before the
// insert, in the same transaction. Reaching the warning level records
// the warning (once per quota and month).
func checkQuota(ctx context.Context, tx *Tx, q onboardiq.Quota, n int64) error {
	if n <= 0 {
		return nil
	}
	s, err := loadQuotaSettings(ctx, tx)
	if err != nil {
		return err
	}
	limit := s.limit(q)
	if limit == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('onboardiq.quota:' || $1::text || ':' || $2::text, 0))`, tx.TenantID(), string(q)); err != nil {
		return fmt.Errorf("lock quota: %w", err)
	}
	used, err := measureQuota(ctx, tx, q, s.now)
	if err != nil {
		return err
	}
	if used+n > *limit {
		return onboardiq.ExceedQuota(q, *limit, used, s.now)
	}
	return warnQuota(ctx, tx, q, *limit, used+n, s.now)
}

// warnQuota records that q reached the warning level with usage, and
// emits quota.warning, the first time in the month only.
func warnQuota(ctx context.Context, tx *Tx, q onboardiq.Quota, limit, usage int64, now time.Time) error {
	if !onboardiq.ShouldWarn(usage, &limit) {
		return nil
	}
	month := onboardiq.MonthOf(now)
	err := tx.QueryRow(ctx, `
INSERT INTO quota_usage (tenant_id, month, quota, warned_at, updated_at) VALUES ($1, $2, $3, $4, $4)
ON CONFLICT (tenant_id, month, quota) DO UPDATE SET warned_at = $4, updated_at = $4 WHERE quota_usage.warned_at IS NULL
RETURNING quota`, tx.TenantID(), month, string(q), now).Scan(new(string))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // warned already this month
	}
	if err != nil {
		return fmt.Errorf("warn quota: %w", err)
	}
	return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventQuotaWarning, Data: map[string]any{
		"quota": string(q), "limit": limit, "usage": usage, "month": month.Format("2006-01")}})
}

// meterAPICall counts one API call of the tenant tx runs in, in the
// month of now, unless it would go past the tenant's limit: then it
// counts nothing and answers a *onboardiq.QuotaError (429). One UPSERT:
// the row lock serialises the tenant's concurrent calls for the moment
// of the increment (docs/performance.md has the numbers).
func meterAPICall(ctx context.Context, tx *Tx, s quotaSettings) error {
	limit := s.limit(onboardiq.QuotaAPICalls)
	month := onboardiq.MonthOf(s.now)
	if limit != nil && *limit == 0 {
		return onboardiq.ExceedQuota(onboardiq.QuotaAPICalls, 0, 0, s.now)
	}
	var n int64
	var warned bool
	err := tx.QueryRow(ctx, `
INSERT INTO quota_usage (tenant_id, month, quota, amount, updated_at) VALUES ($1, $2, 'api_calls', 1, $3)
ON CONFLICT (tenant_id, month, quota) DO UPDATE SET amount = quota_usage.amount + 1, updated_at = $3
    WHERE $4::bigint IS NULL OR quota_usage.amount < $4
RETURNING amount, warned_at IS NOT NULL`, tx.TenantID(), month, s.now, limit).Scan(&n, &warned)
	if errors.Is(err, pgx.ErrNoRows) {
		return onboardiq.ExceedQuota(onboardiq.QuotaAPICalls, *limit, *limit, s.now)
	}
	if err != nil {
		return fmt.Errorf("meter api call: %w", err)
	}
	if limit == nil || warned {
		return nil
	}
	return warnQuota(ctx, tx, onboardiq.QuotaAPICalls, *limit, n, s.now)
}

// warnAITokens warns, once a month, when the tenant's AI tokens reached
// the warning level (after a call's tokens are recorded).
func warnAITokens(ctx context.Context, tx *Tx) error {
	s, err := loadQuotaSettings(ctx, tx)
	if err != nil {
		return err
	}
	limit := s.limit(onboardiq.QuotaAITokens)
	if limit == nil {
		return nil
	}
	var used int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM ai_calls WHERE tenant_id = $1 AND created_at >= $2::timestamptz`,
		tx.TenantID(), onboardiq.MonthOf(s.now)).Scan(&used); err != nil {
		return fmt.Errorf("measure ai tokens: %w", err)
	}
	return warnQuota(ctx, tx, onboardiq.QuotaAITokens, *limit, used, s.now)
}

// QuotaWarningAudience are the active admins of the tenant tx runs in,
// who hear of a quota.warning.
func (tx *Tx) QuotaWarningAudience(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := tx.Query(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = 'admin' AND disabled_at IS NULL ORDER BY user_id`, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("quota warning audience: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// KindQuotaWarning tells a tenant's admins that a quota reached 80%.
const KindQuotaWarning = "quota_warning"
