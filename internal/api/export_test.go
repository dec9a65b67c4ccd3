package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestExportWorkspaceArchive: an admin downloads the workspace's archive as
// a JSON attachment holding its customers and not the other workspace's;
// a CSM gets a 403 problem, not a cut-off document.
func TestExportWorkspaceArchive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, body := e.csvGet(t, "admin", "/export", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="workspace-`) {
		t.Fatalf("admin: %d %v %.300s", resp.StatusCode, resp.Header, body)
	}
	var doc struct {
		Format string                      `json:"format"`
		Tables map[string][]map[string]any `json:"tables"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	names := map[string]bool{}
	for _, c := range doc.Tables["customers"] {
		names[c["name"].(string)] = true
		if c["tenant_id"] != e.acme.String() {
			t.Errorf("a row of another workspace: %v", c)
		}
	}
	if doc.Format != "onboardiq-workspace-archive" || !names["Customer One"] || !names["Customer Two"] || len(doc.Tables["tenant_users"]) == 0 {
		t.Errorf("archive: format %q, customers %v, %d users", doc.Format, names, len(doc.Tables["tenant_users"]))
	}
	if strings.Contains(body, "password_hash") || strings.Contains(body, "token_hash") {
		t.Error("the archive holds credentials")
	}
	resp, body = e.csvGet(t, "csm", "/export", "")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "export the workspace") {
		t.Errorf("csm: %d %s", resp.StatusCode, body)
	}
}
