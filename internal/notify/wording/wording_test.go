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

func TestKind(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]string{
		"project_overdue":           "Project overdue",
		"project_overdue_escalated": "Project still overdue (escalated)",
		"project_at_risk":           "Project at risk",
		"customer_blocked_task":     "A customer blocked a task",
		"mentioned":                 "Someone mentioned you",
		"task.blocked":              "Task blocked",
		"webhook_failed":            "Webhook failed",
		"":                          "Notification",
	} {
		if got := wording.Kind(kind); got != want {
			t.Errorf("%q: %q, want %q", kind, got, want)
		}
	}
}

func TestCustomerAction(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a           wording.Action
		title, body string
	}{
		{wording.Action{Kind: "customer_completed_task", Actor: "Jo Kim", Customer: "Initech", Task: "Send the logo", Project: "Rollout"},
			"Jo Kim completed “Send the logo”", "Jo Kim (Initech) completed “Send the logo” in Rollout."},
		{wording.Action{Kind: "customer_blocked_task", Actor: "Jo Kim", Task: "SSO", Project: "Rollout", Detail: "No IdP access"},
			"Jo Kim marked blocked “SSO”", "Jo Kim marked blocked “SSO” in Rollout.\n\nReason: No IdP access"},
		{wording.Action{Kind: "customer_reopened_task", Actor: "Jo Kim", Customer: "Initech", Task: "SSO", Project: "Rollout"},
			"Jo Kim reopened “SSO”", "Jo Kim (Initech) reopened “SSO” in Rollout."},
		{wording.Action{Kind: "customer_commented", Actor: "Jo Kim", Customer: "Initech", Task: "SSO", Project: "Rollout", Detail: "Any news?"},
			"Jo Kim commented on “SSO”", "Jo Kim (Initech) commented on “SSO” in Rollout.\n\nAny news?"},
	} {
		got := wording.CustomerAction(c.a)
		if got.Title != c.title || got.Body != c.body {
			t.Errorf("%s: %q / %q, want %q / %q", c.a.Kind, got.Title, got.Body, c.title, c.body)
		}
	}
	long := wording.CustomerAction(wording.Action{Kind: "customer_commented", Actor: "Jo", Task: strings.Repeat("x", 400), Detail: strings.Repeat("y", 20000)})
	if n := len([]rune(long.Title)); n != 300 {
		t.Errorf("a long title has %d characters, want 300", n)
	}
	if n := len([]rune(long.Body)); n != 10000 || !strings.HasSuffix(long.Body, "…") {
		t.Errorf("a long body has %d characters, want 10000 ending …", n)
	}
	if m := wording.Mentioned("Jo Kim", "SSO", "Rollout", "@Priya Patel look"); m.Title != "Jo Kim mentioned you on “SSO”" || !strings.HasSuffix(m.Body, "in Rollout:\n\n@Priya Patel look") {
		t.Errorf("mentioned: %+v", m)
	}
}

func TestAskedForHelp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		h    wording.Help
		want wording.Message
	}{
		{"asked", wording.Help{Actor: "Hannah Becker", Customer: "Globex", Subject: "SSO", Opened: true, Body: "How do I set it up?"}, wording.Message{
			Title: "Hannah Becker asks: SSO",
			Body:  "Hannah Becker (Globex) asks for help: “SSO”\n\nHow do I set it up?"}},
		{"with the assistant's answer", wording.Help{Actor: "Hannah Becker", Customer: "Globex", Subject: "SSO", Opened: true, Body: "SSO?", Answer: "Upload the metadata."}, wording.Message{
			Title: "Hannah Becker asks: SSO",
			Body:  "Hannah Becker (Globex) asks for help: “SSO”\n\nSSO?\n\nThe assistant had answered:\n\nUpload the metadata."}},
		{"replied", wording.Help{Actor: "Hannah Becker", Customer: "Globex", Subject: "SSO", Body: "Still failing."}, wording.Message{
			Title: "Hannah Becker replied to “SSO”",
			Body:  "Hannah Becker (Globex) replied to “SSO”:\n\nStill failing."}},
	} {
		if diff := cmp.Diff(c.want, wording.AskedForHelp(c.h)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	if got := wording.Kind("customer_asked_for_help"); got != "A customer asked for help" {
		t.Errorf("the kind reads %q", got)
	}
}
