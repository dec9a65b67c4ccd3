package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtest"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestContactEmail: an email to a contact arrives with its Markdown as
// sanitised HTML in the workspace's colour, its text part, a Reply-To, and
// for a kind the contact may turn off, the unsubscribe link in the footer
// and in List-Unsubscribe with one-click POST; the invitation has none.
func TestContactEmail(t *testing.T) {
	t.Parallel()
	box := mailtest.New(t)
	m := &notify.Mailer{SMTPURL: box.URL(), From: "Acme <onboarding@acme.example>", BaseURL: "https://onboarding.acme.example/"}
	send := func(to string, payload map[string]any) string {
		t.Helper()
		o := &postgres.Outbound{Delivery: onboardiq.Delivery{ID: uuid.New(), Channel: "email", Recipient: to, MessageID: "msg_" + strings.Repeat("ab", 12)},
			Payload: payload, ReplyTo: "reply+abc@reply.acme.example"}
		if out := m.Send(context.Background(), o); !out.OK {
			t.Fatalf("send: %+v", out)
		}
		data := strings.ReplaceAll(box.WaitFor(t, to, 5e9).Data, "\r\n", "\n")
		head, body, _ := strings.Cut(data, "\n\n")
		return strings.ReplaceAll(head, "\n ", " ") + "\n\n" + body // headers unfolded
	}
	mail := send("dana@globex.example", map[string]any{
		"subject": "Due Tue 8 Dec: Send the SSO metadata", "kind": "task_due_soon",
		"markdown":  "Hello Dana,\n\n**Send the SSO metadata** is due.\n\n<script>alert(1)</script>\n\n[Open the task](https://onboarding.acme.example/portal/acme/magic?next=%2Ftasks%2F1&token=oiql_x)",
		"text":      "Hello Dana,\n\nSend the SSO metadata is due.\n\nOpen the task: https://onboarding.acme.example/portal/acme/magic?next=%2Ftasks%2F1&token=oiql_x",
		"workspace": "Acme Onboarding", "accent": "#ff6600", "portal": "/portal/acme",
		"unsubscribe": "/portal/acme/unsubscribe?token=u1", "token_id": uuid.New().String(), "link": "https://onboarding.acme.example/portal/acme/magic?token=oiql_x",
	})
	for _, want := range []string{
		"Subject: Due Tue 8 Dec: Send the SSO metadata",
		"Reply-To: <reply+abc@reply.acme.example>",
		"List-Unsubscribe: <https://onboarding.acme.example/portal/acme/unsubscribe?token=u1>",
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"Open the task: https://onboarding.acme.example/portal/acme/magic?next=%2Ftasks%2F1&token=oiql_x",
		"Unsubscribe from these emails: https://onboarding.acme.example/portal/acme/unsubscribe?token=u1",
		"<strong>Send the SSO metadata</strong>",
		"border-bottom: 3px solid #ff6600",
		"https://onboarding.acme.example/portal/acme/preferences",
	} {
		if !strings.Contains(mail, want) {
			t.Errorf("the email lacks %q:\n%s", want, mail)
		}
	}
	if strings.Contains(mail, "<script>") {
		t.Errorf("raw HTML from the Markdown reached the email:\n%s", mail)
	}

	invitation := send("new@globex.example", map[string]any{
		"subject": "Acme invites you", "kind": "invitation", "markdown": "[Sign in](L)", "text": "Sign in: L",
		"workspace": "Acme", "accent": "red; background: url(x)", "portal": "/portal/acme",
		"token_id": uuid.New().String(), "link": "https://onboarding.acme.example/portal/acme/magic?token=oiql_y",
	})
	if strings.Contains(invitation, "List-Unsubscribe") || strings.Contains(invitation, "Unsubscribe") {
		t.Errorf("sign-in mail offers to unsubscribe:\n%s", invitation)
	}
	if strings.Contains(invitation, "url(x)") || !strings.Contains(invitation, "solid #0b57d0") {
		t.Errorf("an accent that is not a colour must fall back to the default:\n%s", invitation)
	}

	// A link email whose link was not issued is not sent.
	o := &postgres.Outbound{Delivery: onboardiq.Delivery{ID: uuid.New(), Channel: "email", Recipient: "x@globex.example", MessageID: "msg_00"},
		Payload: map[string]any{"subject": "s", "markdown": "m", "text": "t", "token_id": uuid.New().String()}}
	if out := m.Send(context.Background(), o); out.OK || !strings.Contains(out.Result, "not issued") {
		t.Errorf("an unissued link: %+v", out)
	}
}
