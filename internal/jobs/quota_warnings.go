package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// warnOfQuota tells the workspace's active admins, in the app and by
// email as they prefer, that a quota reached 80% of its limit
// (quota.warning, emitted once per quota and month). The notification
// opens the quotas page; it is made once per admin and event.
func warnOfQuota(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	if e.Kind != onboardiq.EventQuotaWarning {
		return nil
	}
	q := onboardiq.Quota(text(e.Data["quota"]))
	limit, usage := number(e.Data["limit"]), number(e.Data["usage"])
	admins, err := tx.QuotaWarningAudience(ctx)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s: %d%% of the workspace's quota used", q.Label(), onboardiq.QuotaWarnPercent)
	body := fmt.Sprintf("This workspace has used %s of its quota of %s (%s). ", q.Format(usage), q.Noun(), q.Format(limit))
	if q.Monthly() {
		body += "It starts again on the first of next month (UTC). "
	}
	body += "Past the limit, requests are refused: ask your provider to raise it or upgrade the subscription tier."
	_, err = tx.NotifyUsers(ctx, postgres.StaffNotice{Kind: postgres.KindQuotaWarning, Title: title, Body: body,
		Data: map[string]any{"link": "/app/settings/quotas", "quota": string(q), "event_id": e.ID},
		Key:  fmt.Sprintf("%d", e.ID), Users: admins}, time.Now())
	return err
}

// number is a JSON number of an event's data (0 for none).
func number(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}
