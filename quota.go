package onboardiq

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Quotas: what a tenant's subscription tier allows, per tenant overridable
// by its operator (docs/quotas.md, docs/decisions/0018-quotas.md).

// Quota names one limited resource.
type Quota string

// The quotas. Users, storage and integrations are hard limits on what the
// tenant holds now; API calls and AI tokens are rates, counted per UTC
// calendar month.
const (
	QuotaUsers        Quota = "users"        // active staff users, invited ones included
	QuotaAPICalls     Quota = "api_calls"    // authenticated API calls this month
	QuotaStorage      Quota = "storage"      // bytes: knowledge-base articles and the portal logo
	QuotaIntegrations Quota = "integrations" // webhook endpoints (and, later, CRM connections)
	QuotaAITokens     Quota = "ai_tokens"    // assistant tokens (input and output) this month
)

// Quotas lists every quota, in the order pages show them.
var Quotas = []Quota{QuotaUsers, QuotaAPICalls, QuotaStorage, QuotaIntegrations, QuotaAITokens}

// Valid reports whether q is a quota.
func (q Quota) Valid() bool { return slices.Contains(Quotas, q) }

// Monthly reports whether q is a rate that renews on the first of each
// month (UTC): going over it answers 429 with Retry-After; the others are
// hard limits (403).
func (q Quota) Monthly() bool { return q == QuotaAPICalls || q == QuotaAITokens }

// Label is q in words, for pages and messages.
func (q Quota) Label() string {
	switch q {
	case QuotaUsers:
		return "Staff users"
	case QuotaAPICalls:
		return "API calls this month"
	case QuotaStorage:
		return "Storage"
	case QuotaIntegrations:
		return "Integrations"
	case QuotaAITokens:
		return "AI tokens this month"
	}
	return string(q)
}

// Noun is q in a sentence: "the quota of staff users".
func (q Quota) Noun() string {
	switch q {
	case QuotaAPICalls:
		return "monthly API calls"
	case QuotaAITokens:
		return "monthly AI tokens"
	}
	return strings.ToLower(q.Label())
}

// Format says an amount of q for people: bytes in KiB, MiB or GiB for
// storage, a number with thousands separators otherwise.
func (q Quota) Format(n int64) string {
	if q == QuotaStorage {
		return formatBytes(n)
	}
	return thousands(n)
}

func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + []string{"KiB", "MiB", "GiB", "TiB"}[exp]
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// GiB is 2^30 bytes.
const GiB = int64(1) << 30

// QuotaLimits are limits by quota; a quota absent has no limit.
type QuotaLimits map[Quota]int64

// TierLimits are the product's default limits of each subscription tier
// (docs/quotas.md). Enterprise has none unless its operator sets them.
var TierLimits = map[string]QuotaLimits{
	"starter":      {QuotaUsers: 5, QuotaAPICalls: 10_000, QuotaStorage: 1 * GiB, QuotaIntegrations: 2, QuotaAITokens: 200_000},
	"professional": {QuotaUsers: 25, QuotaAPICalls: 100_000, QuotaStorage: 10 * GiB, QuotaIntegrations: 10, QuotaAITokens: 2_000_000},
	"business":     {QuotaUsers: 100, QuotaAPICalls: 1_000_000, QuotaStorage: 100 * GiB, QuotaIntegrations: 50, QuotaAITokens: 10_000_000},
	"enterprise":   {},
}

// QuotaOverrides are an operator's limits for one tenant, replacing its
// tier's: a number is the limit, null (a nil pointer) removes the limit,
// and a quota absent keeps the tier's.
type QuotaOverrides map[Quota]*int64

// Validate reports the first bad entry, named as overrides.QUOTA.
func (o QuotaOverrides) Validate() error {
	for q, v := range o {
		if !q.Valid() {
			return Invalid("overrides."+string(q), "is not a quota: use one of %s", quotaNames())
		}
		if v != nil && *v < 0 {
			return Invalid("overrides."+string(q), "must be 0 or more, or null for no limit")
		}
	}
	return nil
}

func quotaNames() string {
	names := make([]string, len(Quotas))
	for i, q := range Quotas {
		names[i] = string(q)
	}
	return strings.Join(names, ", ")
}

// QuotaSource says where a tenant's limit comes from.
type QuotaSource string

// Where limits come from.
const (
	SourceTier     QuotaSource = "tier"     // the subscription tier's default
	SourceOverride QuotaSource = "override" // set by the operator for this tenant
	SourceNone     QuotaSource = "none"     // no tier: a self-hosted install is not limited
)

// Limit is the limit of quota q for a tenant on tier (nil: no tier) with
// overrides o: nil means no limit. A tenant without a tier has no limits
// but those its operator sets, so that a self-hosted install is never
// limited by default.
func Limit(q Quota, tier *string, o QuotaOverrides) (*int64, QuotaSource) {
	if v, ok := o[q]; ok {
		return v, SourceOverride
	}
	if tier == nil {
		return nil, SourceNone
	}
	if n, ok := TierLimits[*tier][q]; ok {
		return &n, SourceTier
	}
	return nil, SourceTier
}

// QuotaWarnPercent is the share of a limit at which the tenant's admins
// are warned, once per quota and month.
const QuotaWarnPercent = 80

// ShouldWarn reports whether usage has reached QuotaWarnPercent of limit.
func ShouldWarn(usage int64, limit *int64) bool {
	return limit != nil && *limit > 0 && usage*100 >= *limit*QuotaWarnPercent
}

// QuotaUsage is one quota of a tenant: its limit (nil: none), where the
// limit comes from, and what is used.
type QuotaUsage struct {
	Quota   Quota       `json:"quota" enum:"users,api_calls,storage,integrations,ai_tokens"`
	Label   string      `json:"label"`
	Limit   *int64      `json:"limit" doc:"null: no limit"`
	Usage   int64       `json:"usage"`
	Source  QuotaSource `json:"source" enum:"tier,override,none"`
	Monthly bool        `json:"monthly" doc:"Counted per calendar month (UTC) and renewed on the first."`
	Percent *int        `json:"percent" doc:"Usage as a whole percentage of the limit (null without a limit)."`
}

// Warning reports whether q's usage has reached the warning level.
func (q QuotaUsage) Warning() bool { return ShouldWarn(q.Usage, q.Limit) }

// Over reports whether q's usage has reached its limit.
func (q QuotaUsage) Over() bool { return q.Limit != nil && q.Usage >= *q.Limit }

// PercentValue is Percent, 0 without a limit.
func (q QuotaUsage) PercentValue() int {
	if q.Percent == nil {
		return 0
	}
	return *q.Percent
}

// BarPercent is Percent capped at 100 (0 without a limit), for a bar.
func (q QuotaUsage) BarPercent() int {
	if q.Percent == nil {
		return 0
	}
	return min(*q.Percent, 100)
}

// UsageText is "4 of 5" or "4 (no limit)".
func (q QuotaUsage) UsageText() string {
	if q.Limit == nil {
		return q.Quota.Format(q.Usage) + " (no limit)"
	}
	return q.Quota.Format(q.Usage) + " of " + q.Quota.Format(*q.Limit)
}

// TenantQuotas are a tenant's tier, overrides and every quota's usage in
// the month that holds At.
type TenantQuotas struct {
	Tier      *string        `json:"subscription_tier"`
	Overrides QuotaOverrides `json:"overrides"`
	Month     string         `json:"month" example:"2026-11" doc:"The month (UTC) the monthly quotas count."`
	Renews    time.Time      `json:"renews_at" doc:"When the monthly quotas start again from zero."`
	Quotas    []QuotaUsage   `json:"quotas"`
}

// NewTenantQuotas builds a tenant's quotas from its tier, overrides and
// usage at now.
func NewTenantQuotas(tier *string, o QuotaOverrides, usage map[Quota]int64, now time.Time) *TenantQuotas {
	if o == nil {
		o = QuotaOverrides{}
	}
	t := &TenantQuotas{Tier: tier, Overrides: o, Month: MonthOf(now).Format("2006-01"), Renews: NextMonth(now)}
	for _, q := range Quotas {
		limit, src := Limit(q, tier, o)
		t.Quotas = append(t.Quotas, QuotaUsage{Quota: q, Label: q.Label(), Limit: limit, Source: src, Monthly: q.Monthly()})
		t.SetUsage(len(t.Quotas)-1, usage[q])
	}
	return t
}

// SetUsage sets the usage of t.Quotas[i], and its percentage.
func (t *TenantQuotas) SetUsage(i int, usage int64) {
	u := &t.Quotas[i]
	u.Usage = usage
	if u.Limit != nil {
		p := 100
		if *u.Limit > 0 {
			p = int(min(usage*100 / *u.Limit, 1000))
		}
		u.Percent = &p
	}
}

// MonthOf is the first instant of t's month, in UTC.
func MonthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// NextMonth is the first instant of the month after t's, in UTC.
func NextMonth(t time.Time) time.Time { return MonthOf(t).AddDate(0, 1, 0) }

// QuotaError is the error of a change or call that would take a tenant
// past a quota: it names the quota, its limit and the usage. A monthly
// quota's is an ELIMIT error (429) that allows another try next month;
// the others are EFORBIDDEN (403).
type QuotaError struct {
	Quota Quota
	Limit int64
	Usage int64
	err   error
}

// ExceedQuota returns the error of going past quota q (limit, usage) at
// now.
func ExceedQuota(q Quota, limit, usage int64, now time.Time) *QuotaError {
	msg := fmt.Sprintf("This workspace has reached its quota of %s: %s used of %s. %s",
		q.Noun(), q.Format(usage), q.Format(limit), raiseHint(q, now))
	e := &QuotaError{Quota: q, Limit: limit, Usage: usage}
	if q.Monthly() {
		e.err = Limited(NextMonth(now).Sub(now), "%s", msg)
	} else {
		e.err = Errorf(EFORBIDDEN, "%s", msg)
	}
	return e
}

func raiseHint(q Quota, now time.Time) string {
	ask := "Ask your provider to raise the limit or upgrade the subscription tier"
	if q.Monthly() {
		return fmt.Sprintf("It renews on %s (UTC). %s.", NextMonth(now).Format("2 January"), ask)
	}
	return ask + ", or free some up."
}

func (e *QuotaError) Error() string { return e.err.Error() }
func (e *QuotaError) Unwrap() error { return e.err }

// AsQuotaError returns the QuotaError in err's chain, or nil.
func AsQuotaError(err error) *QuotaError {
	var qe *QuotaError
	if errors.As(err, &qe) {
		return qe
	}
	return nil
}
