package jobs

import (
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// A job still running when its server dies is rescued after RescueAfter;
// every worker must finish (or time out) well before that, or a slow live
// job would be run twice, and the window must stay minutes, not River's
// default hour.
func TestTimeoutsAreShorterThanTheRescueWindow(t *testing.T) {
	t.Parallel()
	if RescueAfter > 10*time.Minute {
		t.Errorf("RescueAfter %s: a crashed delivery would wait that long", RescueAfter)
	}
	if c := config(Deps{}, 1); c.RescueStuckJobsAfter != RescueAfter || c.JobTimeout <= 0 || c.JobTimeout >= RescueAfter {
		t.Errorf("River is configured to rescue after %s with a default timeout of %s; want %s and less", c.RescueStuckJobsAfter, c.JobTimeout, RescueAfter)
	}
	timeouts := map[string]time.Duration{
		"event":             (&FanOutWorker{}).Timeout(&river.Job[postgres.EventArgs]{}),
		"event batch":       (&FanOutWorker{}).Timeout(&river.Job[postgres.EventArgs]{Args: postgres.EventArgs{EventIDs: []int64{1, 2}}}),
		"email":             (&EmailWorker{}).Timeout(&river.Job[postgres.EmailArgs]{}),
		"webhook":           (&WebhookWorker{}).Timeout(&river.Job[postgres.WebhookArgs]{}),
		"embed":             (&EmbedWorker{}).Timeout(&river.Job[postgres.EmbedArgs]{}),
		"scan":              (&ScanWorker{}).Timeout(&river.Job[postgres.ScanArgs]{}),
		"digest":            (&DigestWorker{}).Timeout(&river.Job[postgres.DigestArgs]{}),
		"scan one tenant":   (&ScanTenantWorker{}).Timeout(&river.Job[postgres.ScanTenantArgs]{}),
		"digest one tenant": (&DigestTenantWorker{}).Timeout(&river.Job[postgres.DigestTenantArgs]{}),
	}
	for name, d := range timeouts {
		if d <= 0 || d >= RescueAfter {
			t.Errorf("%s worker timeout %s: want an explicit timeout under %s", name, d, RescueAfter)
		}
	}
}
