package wording_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq/internal/notify/wording"
)

func TestMessages(t *testing.T) {
	t.Parallel()
	p := wording.Project{Name: "Initech Health onboarding", Customer: "Initech Health", Deadline: time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC), Progress: 62.5}
	for _, tc := range []struct {
		name      string
		got, want wording.Message
	}{
		{"overdue", wording.Overdue(p), wording.Message{
			Title: "Initech Health onboarding is past its deadline",
			Body:  "Initech Health onboarding (Initech Health) was due 2 Mar 2026 and is 62% done."}},
		{"escalated", wording.OverdueEscalated(p, p.Deadline.Add(4*24*time.Hour+time.Hour)), wording.Message{
			Title: "Initech Health onboarding is still overdue after 4 days",
			Body:  "Initech Health onboarding (Initech Health) was due 2 Mar 2026 and is 62% done. Its support member and the sales leaders were told when it ran late."}},
		{"at risk", wording.AtRisk(p, "Forecast finish 9 Mar, deadline 2 Mar"), wording.Message{
			Title: "Initech Health onboarding is at risk of missing its deadline",
			Body:  "Forecast finish 9 Mar, deadline 2 Mar"}},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestInvite(t *testing.T) {
	t.Parallel()
	in := wording.Invitation{Contact: "Hannah Becker", Customer: "Globex Logistics", Vendor: "Acme Software", Inviter: "Priya Shah", Days: 7}
	got := wording.Invite(in, "{link}", "http://onboardiq.test/portal/acme/signin")
	want := wording.Message{
		Title: "Acme Software invites you to the onboarding of Globex Logistics",
		Body: "Hello Hannah Becker,\n\nPriya Shah of Acme Software has invited you to the Acme Software onboarding portal, where you and the team share " +
			"the onboarding plan of Globex Logistics: the tasks on your side, what they wait on, and help articles.\n\n" +
			"Open this link to sign in (it works once, within 7 days):\n\n{link}\n\n" +
			"When it has expired, ask for a new sign-in link at http://onboardiq.test/portal/acme/signin.",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	in.Inviter, in.Days = "", 1
	if got := wording.Invite(in, "L", "S"); !strings.Contains(got.Body, "\n\nAcme Software has invited you") || !strings.Contains(got.Body, "within 1 day)") {
		t.Errorf("without an inviter, one day: %q", got.Body)
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]string{
		"project_overdue":           "Project overdue",
		"project_overdue_escalated": "Project still overdue (escalated)",
		"project_at_risk":           "Project at risk",
		"task.blocked":              "Task blocked",
		"webhook_failed":            "Webhook failed",
		"":                          "Notification",
	} {
		if got := wording.Kind(kind); got != want {
			t.Errorf("%q: %q, want %q", kind, got, want)
		}
	}
}
