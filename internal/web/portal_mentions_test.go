package web_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/mailtest"
	"github.com/onboardiq/onboardiq/internal/notify"
)

// TestPortalMentionAutocomplete: a contact's comment box on a task in the
// portal suggests their support contact and colleagues (not the vendor's
// other staff, nor another customer's contacts), inserts the choice with
// Enter without sending the form, and the comment sent notifies the
// person mentioned.
func TestPortalMentionAutocomplete(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	box := mailtest.New(t)
	logger := slog.New(slog.DiscardHandler)
	task := actTaskID(t, a, rollout, `t.visibility = 'customer' AND t.status <> 'cancelled'`)
	field := "#c-" + task

	ctx := browser(t)
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	// shown lists the suggestions under the task's box, each "name (detail)".
	shown := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const box = document.querySelector("`+field+`");
			const list = document.getElementById(box.getAttribute("aria-controls") || "");
			if (!list || list.hidden) return "";
			return Array.from(list.querySelectorAll("[role=option]")).map((o) => o.textContent).join("; ");
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	clear := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { document.querySelector("`+field+`").value = ""; return true })()`)(ctx, tg)
		return err
	})
	do("sign in to the portal",
		chromedp.Navigate(a.url+"/portal/acme/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), "hannah.becker@globex.example"),
		chromedp.Submit(chromedp.CSS("#magic")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.Navigate(a.url+"/dev/mailbox?workspace=acme"),
		chromedp.Click(chromedp.CSS("tr.mail a.link")),
		chromedp.WaitVisible(chromedp.CSS("#continue")),
		chromedp.Click(chromedp.CSS("#continue button")),
		chromedp.WaitVisible(chromedp.CSS("section.project")),
		chromedp.Navigate(a.url+"/portal/acme/projects/"+a.projectID(t, rollout)),
		chromedp.WaitVisible(chromedp.CSS(field)),
	)
	// The workers start once the contact is signed in: the email worker
	// sends a sign-in email with a new secret (ReissueLink), which would
	// void the development mailbox's link before the browser used it.
	runner, err := jobs.Start(context.Background(), jobs.Deps{DB: a.db.App, Embedder: ai.Local{}, Logger: logger,
		Mailer: &notify.Mailer{SMTPURL: box.URL(), From: "Acme <onboarding@acme.example>", BaseURL: a.url, Logger: logger}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Stop(10 * time.Second) })
	for _, c := range []struct{ typed, want string }{
		{"@pri", "Priya Shah Your support contact · priya.shah@acme.example"},
		{"@om", "Omar Aziz Colleague · omar.aziz@globex.example"},
		{"@dana", ""}, // staff who hold no task of the project
		{"@lena", ""}, // Initech's
		{"@hannah", ""},
	} {
		do("type "+c.typed, clear, chromedp.Click(chromedp.CSS(field)), chromedp.Focus(chromedp.CSS(field)), chromedp.KeyEvent(c.typed))
		if got := shown(); got != c.want {
			t.Errorf("%s suggests %q, want %q", c.typed, got, c.want)
		}
		if c.typed == "@pri" {
			screenshot(t, ctx, "portal-mentions")
		}
	}
	do("choose Priya", clear, chromedp.Focus(chromedp.CSS(field)), chromedp.KeyEvent("Thanks @pri"), pressEnter)
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(field)))
	if err != nil || v != "Thanks @Priya Shah " {
		t.Fatalf("Enter inserted %q (%v)", v, err)
	}
	do("send", chromedp.Focus(chromedp.CSS(field)), chromedp.KeyEvent("we are ready"), pressEnter)

	var mentioned []string
	for deadline := time.Now().Add(60 * time.Second); len(mentioned) == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		actScan(t, a, `SELECT coalesce(array_agg(u.email ORDER BY u.email), '{}') FROM notifications n
JOIN tenant_users u ON u.tenant_id = n.tenant_id AND u.user_id = n.user_id
WHERE n.kind = 'mentioned' AND n.data->>'task_id' = $1`, []any{task}, &mentioned)
	}
	if !slices.Equal(mentioned, []string{"priya.shah@acme.example"}) {
		t.Fatalf("mentioned notifications for %v", mentioned)
	}
	if m := box.WaitForText(t, "priya.shah@acme.example", "mentioned you", 30*time.Second); !strings.Contains(m.Data, "Hannah Becker mentioned you") {
		t.Errorf("Priya's email: %q", m.Data)
	}
}
