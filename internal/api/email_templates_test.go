package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// TestEmailTemplateRoundTrip: an admin's own version is what the API
// answers, previews and resets; the preview's HTML is the mailer's (the
// branded page, the footer with the unsubscribe link); a test email is in
// the delivery log.
func TestEmailTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	must := func(want int, method, path string, body any) map[string]any {
		t.Helper()
		st, out := e.do(t, "admin", method, path, body)
		if st != want {
			t.Fatalf("%s %s: %d %s", method, path, st, out)
		}
		var m map[string]any
		_ = json.Unmarshal(out, &m)
		return m
	}
	must(200, "PUT", "/settings/branding", map[string]any{"portal_name": "Acme hub", "accent_color": "#aa3300"})
	got := must(200, "PUT", "/email-templates/task_overdue", map[string]any{"subject": "Still open: {{task_title}}", "body": "**{{task_title}}** is {{days_overdue}} days late."})
	if got["customised"] != true || got["subject"] != "Still open: {{task_title}}" {
		t.Errorf("saved: %v", got)
	}
	pv := must(200, "POST", "/email-templates/task_overdue/preview", nil)
	html, _ := pv["html"].(string)
	for _, want := range []string{"<strong>Send the SSO metadata</strong> is 3 days late.", "#aa3300", "Acme hub", "http://test/portal/acme/unsubscribe?token=example"} {
		if !strings.Contains(html, want) {
			t.Errorf("the preview's HTML lacks %q: %s", want, html)
		}
	}
	if pv["subject"] != "Still open: Send the SSO metadata" || !strings.Contains(pv["text"].(string), "Send the SSO metadata is 3 days late.") {
		t.Errorf("the preview: %v", pv)
	}
	typed := must(200, "POST", "/email-templates/task_overdue/preview", map[string]any{"body": "Only {{contact_name}}"})
	if typed["subject"] != "Still open: Send the SSO metadata" || !strings.Contains(typed["html"].(string), "Only Dana Reyes") {
		t.Errorf("the typed body's preview: %v", typed)
	}
	sent := must(http.StatusAccepted, "POST", "/email-templates/task_overdue/test", map[string]any{"subject": "Test"})
	id, _ := sent["delivery_id"].(string)
	if st, out := e.do(t, "admin", "GET", "/deliveries", nil); st != 200 || id == "" || !strings.Contains(string(out), id) || !strings.Contains(string(out), `"event_type":"test"`) {
		t.Errorf("the delivery log (%d) lacks the test %q: %s", st, id, out)
	}
	reset := must(200, "DELETE", "/email-templates/task_overdue", nil)
	if reset["customised"] != false || reset["subject"] != reset["default_subject"] {
		t.Errorf("reset: %v", reset)
	}
	list := must(200, "GET", "/email-templates", nil)
	if items, _ := list["items"].([]any); len(items) != len(mailtemplate.Kinds) {
		t.Errorf("%d kinds listed, want %d", len(items), len(mailtemplate.Kinds))
	}
}

// TestMyEmailPreferences: a contact turns a kind off and sets their time
// zone through the API; sign-in mail cannot be turned off.
func TestMyEmailPreferences(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st, out := e.do(t, "contact", "PUT", "/me/email-preferences", map[string]any{"preferences": []map[string]any{{"kind": "weekly_digest", "on": false}}, "time_zone": "America/New_York"})
	if st != 200 || !strings.Contains(string(out), `{"kind":"weekly_digest","label":"Weekly progress"`) || !strings.Contains(string(out), `"time_zone":"America/New_York"`) {
		t.Fatalf("set: %d %s", st, out)
	}
	st, out = e.do(t, "contact", "GET", "/me/email-preferences", nil)
	var got struct {
		Preferences []struct {
			Kind string
			On   bool
		}
		TimeZone string `json:"time_zone"`
	}
	if err := json.Unmarshal(out, &got); st != 200 || err != nil {
		t.Fatalf("get: %d %s", st, out)
	}
	for _, p := range got.Preferences {
		if p.On == (p.Kind == "weekly_digest") {
			t.Errorf("%s on: %v", p.Kind, p.On)
		}
	}
	for body, field := range map[string]string{
		`{"preferences":[{"kind":"invitation","on":false}]}`: "body.preferences[0].on",
		`{"preferences":[{"kind":"digest","on":false}]}`:     "body.preferences[0].kind",
		`{"preferences":[],"time_zone":"Moon/Base"}`:         "body.time_zone",
	} {
		st, out := e.do(t, "contact", "PUT", "/me/email-preferences", json.RawMessage(body))
		if st != 422 || !strings.Contains(string(out), `"location":"`+field+`"`) {
			t.Errorf("%s: %d %s, want 422 at %s", body, st, out, field)
		}
	}
}
