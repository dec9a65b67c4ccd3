package onboardiq

import (
	"testing"
	"time"
)

func TestQuotaLimits(t *testing.T) {
	t.Parallel()
	starter, enterprise := "starter", "enterprise"
	ten := int64(10)
	for _, tc := range []struct {
		name string
		q    Quota
		tier *string
		o    QuotaOverrides
		want *int64
		src  QuotaSource
	}{
		{"starter users", QuotaUsers, &starter, nil, ptr(int64(5)), SourceTier},
		{"starter storage", QuotaStorage, &starter, nil, ptr(GiB), SourceTier},
		{"no tier: a self-hosted install is not limited", QuotaAPICalls, nil, nil, nil, SourceNone},
		{"no tier, an override", QuotaUsers, nil, QuotaOverrides{QuotaUsers: &ten}, &ten, SourceOverride},
		{"enterprise: unlimited unless set", QuotaAITokens, &enterprise, nil, nil, SourceTier},
		{"override to no limit", QuotaUsers, &starter, QuotaOverrides{QuotaUsers: nil}, nil, SourceOverride},
		{"override of another quota keeps the tier's", QuotaIntegrations, &starter, QuotaOverrides{QuotaUsers: &ten}, ptr(int64(2)), SourceTier},
	} {
		got, src := Limit(tc.q, tc.tier, tc.o)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want || src != tc.src {
			t.Errorf("%s: %v %s, want %v %s", tc.name, deref(got), src, deref(tc.want), tc.src)
		}
	}
	for tier := range TierLimits {
		for _, q := range Quotas {
			if l, ok := TierLimits[tier][q]; ok && l <= 0 {
				t.Errorf("%s %s: %d", tier, q, l)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

func deref(p *int64) any {
	if p == nil {
		return "none"
	}
	return *p
}

func TestQuotaErrors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	hard := ExceedQuota(QuotaUsers, 5, 5, now)
	if ErrorCode(hard) != EFORBIDDEN || RetryAfter(hard) != 0 || AsQuotaError(hard) != hard {
		t.Errorf("users: %s, retry %s", ErrorCode(hard), RetryAfter(hard))
	}
	rate := ExceedQuota(QuotaAPICalls, 10000, 10000, now)
	if ErrorCode(rate) != ELIMIT || RetryAfter(rate) != 3*24*time.Hour+15*time.Hour {
		t.Errorf("api calls: %s, retry %s", ErrorCode(rate), RetryAfter(rate))
	}
	if got, want := ErrorMessage(rate), "This workspace has reached its quota of monthly API calls: 10,000 used of 10,000. It renews on 1 December (UTC). Ask your provider to raise the limit or upgrade the subscription tier."; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if got := ErrorMessage(ExceedQuota(QuotaStorage, GiB, GiB-1, now)); got != "This workspace has reached its quota of storage: 1024 MiB used of 1 GiB. Ask your provider to raise the limit or upgrade the subscription tier, or free some up." {
		t.Errorf("storage message %q", got)
	}
}

func TestQuotaWarningAndUsage(t *testing.T) {
	t.Parallel()
	five := int64(5)
	if ShouldWarn(3, &five) || !ShouldWarn(4, &five) || !ShouldWarn(5, &five) || ShouldWarn(1000, nil) {
		t.Error("ShouldWarn: want 80% and more of a limit only")
	}
	tier := "starter"
	q := NewTenantQuotas(&tier, QuotaOverrides{QuotaAITokens: nil}, map[Quota]int64{QuotaUsers: 4, QuotaStorage: 3 * GiB}, time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))
	if q.Month != "2026-02" || !q.Renews.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || len(q.Quotas) != len(Quotas) {
		t.Fatalf("%+v", q)
	}
	users, storage, tokens := q.Quotas[0], q.Quotas[2], q.Quotas[4]
	if users.PercentValue() != 80 || !users.Warning() || users.Over() || users.UsageText() != "4 of 5" {
		t.Errorf("users %+v", users)
	}
	if storage.PercentValue() != 300 || storage.BarPercent() != 100 || !storage.Over() || storage.UsageText() != "3 GiB of 1 GiB" {
		t.Errorf("storage %+v %s", storage, storage.UsageText())
	}
	if tokens.Limit != nil || tokens.Percent != nil || tokens.UsageText() != "0 (no limit)" || tokens.Warning() {
		t.Errorf("tokens %+v", tokens)
	}
	if err := (QuotaOverrides{"seats": &five}).Validate(); ErrorField(err) != "overrides.seats" {
		t.Errorf("unknown quota: %v", err)
	}
}
