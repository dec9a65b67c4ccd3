package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestInviteStaffAPI: an invitation answers 201 with the user marked
// invited; a contact's role and an email in use are refused naming the
// field; a joined user's invitation is not resent; the setup checklist
// counts the team.
func TestInviteStaffAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status, out := e.do(t, "admin", "GET", "/setup", nil)
	var before struct {
		Items []struct {
			Key  string `json:"key"`
			Done bool   `json:"done"`
			Link string `json:"link"`
		} `json:"items"`
		Done, Total int
	}
	if status != 200 || json.Unmarshal(out, &before) != nil || before.Total != 6 || len(before.Items) != 6 {
		t.Fatalf("GET /setup: %d %s", status, out)
	}
	status, out = e.do(t, "admin", "POST", "/users/invitations", map[string]any{"email": "Kim@Acme.test", "name": "Kim", "role": "csm"})
	var u struct {
		ID      string `json:"id"`
		Email   string `json:"email"`
		Invited bool   `json:"invited"`
	}
	if status != 201 || json.Unmarshal(out, &u) != nil || !u.Invited || u.Email != "kim@acme.test" {
		t.Fatalf("invite: %d %s", status, out)
	}
	for _, tc := range []struct {
		body  map[string]any
		want  int
		field string
	}{
		{map[string]any{"email": "x@acme.test", "name": "X", "role": "customer"}, 422, "role"},
		{map[string]any{"email": "kim@acme.test", "name": "Kim again", "role": "viewer"}, 409, "email"},
	} {
		status, out := e.do(t, "admin", "POST", "/users/invitations", tc.body)
		if status != tc.want || !strings.Contains(string(out), tc.field) {
			t.Errorf("%v: %d %s, want %d naming %s", tc.body, status, out, tc.want, tc.field)
		}
	}
	if status, out := e.do(t, "admin", "POST", "/users/"+u.ID+"/invitation", nil); status != 202 {
		t.Errorf("resend: %d %s", status, out)
	}
	if status, out := e.do(t, "admin", "PATCH", "/users/"+u.ID, map[string]any{"password": "kims own password"}); status != 200 || strings.Contains(string(out), `"invited"`) {
		t.Fatalf("setting the password: %d %s", status, out)
	}
	if status, out := e.do(t, "admin", "POST", "/users/"+u.ID+"/invitation", nil); status != 409 {
		t.Errorf("resend to a joined user: %d %s", status, out)
	}
	if status, out := e.do(t, "admin", "POST", "/users/"+e.contact.String()+"/invitation", nil); status != 404 {
		t.Errorf("resend to a contact: %d %s", status, out)
	}
}
