package api_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

type webhookJSON struct {
	ID          uuid.UUID `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Format      string    `json:"format"`
	Description string    `json:"description"`
	Disabled    bool      `json:"disabled"`
}

// TestReplaceWebhook: PUT changes every field of an endpoint and can
// disable and re-enable it; a bad value changes nothing.
func TestReplaceWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status, body := e.do(t, "admin", "POST", "/webhooks", map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"project.overdue"}})
	created := decode[webhookJSON](t, status, body, 201)
	path := "/webhooks/" + created.ID.String()

	want := webhookJSON{ID: created.ID, URL: "https://93.184.215.14/other", Events: []string{"task.completed", "task.blocked"},
		Format: "slack", Description: "CS channel", Disabled: true}
	status, body = e.do(t, "admin", "PUT", path, map[string]any{
		"url": want.URL, "events": want.Events, "format": want.Format, "description": want.Description, "disabled": true})
	got := decode[webhookJSON](t, status, body, 200)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replace (-want +got):\n%s", diff)
	}
	status, body = e.do(t, "admin", "GET", path, nil)
	if diff := cmp.Diff(want, decode[webhookJSON](t, status, body, 200)); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}

	before := e.snapshot(t)
	status, body = e.do(t, "admin", "PUT", path, map[string]any{"url": "https://169.254.169.254/latest", "events": want.Events})
	if status != 422 || !strings.Contains(string(body), "body.url") {
		t.Errorf("a metadata address: %d %s", status, body)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("a refused replace changed rows:\n%s", diff)
	}

	status, body = e.do(t, "admin", "PUT", path, map[string]any{
		"url": want.URL, "events": want.Events, "format": want.Format, "description": want.Description})
	if got := decode[webhookJSON](t, status, body, 200); got.Disabled {
		t.Error("the endpoint stayed disabled")
	}
}
