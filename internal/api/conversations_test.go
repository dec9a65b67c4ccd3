package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
)

// TestConversationsAcrossCustomers: a contact's question reaches the CSM,
// whose answer the contact reads; a contact of another customer can
// neither read nor write in it (404, as if it did not exist), nor find it
// in their list, and the refusals change nothing.
func TestConversationsAcrossCustomers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st, out := e.do(t, "contact", "POST", "/conversations", map[string]any{"subject": "SSO", "body": "Which **IdPs** do you support?", "task_id": e.t1})
	if st != http.StatusCreated {
		t.Fatalf("open: %d %s", st, out)
	}
	var c onboardiq.Conversation
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatal(err)
	}
	if c.Status != "open" || !c.AwaitingReply || c.TaskID == nil || *c.TaskID != e.t1 || c.CSMID == nil || *c.CSMID != e.csm ||
		len(c.Messages) != 1 || c.Messages[0].Kind != "question" {
		t.Errorf("opened: %s", out)
	}
	id := c.ID.String()

	before := e.snapshot(t)
	for _, r := range []struct{ method, path string }{
		{"GET", "/conversations/" + id},
		{"POST", "/conversations/" + id + "/messages"},
		{"POST", "/conversations/" + id + "/close"},
		{"POST", "/conversations/" + id + "/reopen"},
	} {
		var body any
		if strings.HasSuffix(r.path, "/messages") {
			body = map[string]any{"body": "Me too"}
		}
		if st, out := e.do(t, "other_contact", r.method, r.path, body); st != http.StatusNotFound || strings.Contains(string(out), "SSO") {
			t.Errorf("%s %s as a contact of another customer: %d %s, want 404", r.method, r.path, st, out)
		}
	}
	if st, out := e.do(t, "other_contact", "GET", "/conversations", nil); st != 200 || strings.Contains(string(out), id) {
		t.Errorf("another customer's contact lists: %d %s", st, out)
	}
	if st, out := e.do(t, "other_contact", "GET", "/conversations?customer_id="+e.c1.String(), nil); st != 200 || strings.Contains(string(out), id) {
		t.Errorf("another customer's contact asks for the first customer's: %d %s", st, out)
	}
	if st, out := e.do(t, "other_tenant", "GET", "/conversations/"+id, nil); st != http.StatusNotFound {
		t.Errorf("another workspace's admin: %d %s", st, out)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("the refused requests changed data (-before +after):\n%s", diff)
	}

	// The CSM finds it awaiting a reply in their inbox, and answers.
	st, out = e.do(t, "csm", "GET", "/conversations?mine=true&status=open", nil)
	var page onboardiq.Page[*onboardiq.Conversation]
	if err := json.Unmarshal(out, &page); st != 200 || err != nil || len(page.Items) != 1 || page.Items[0].ID != c.ID || !page.Items[0].AwaitingReply {
		t.Fatalf("the CSM's inbox: %d %s", st, out)
	}
	if st, out := e.do(t, "csm", "POST", "/conversations/"+id+"/messages", map[string]any{"body": "Okta and Entra ID."}); st != http.StatusCreated ||
		!strings.Contains(string(out), `"by_staff":true`) {
		t.Fatalf("the CSM answers: %d %s", st, out)
	}
	st, out = e.do(t, "contact", "GET", "/conversations/"+id, nil)
	if err := json.Unmarshal(out, &c); st != 200 || err != nil || len(c.Messages) != 2 || c.Messages[1].Body != "Okta and Entra ID." || c.AwaitingReply {
		t.Errorf("the contact reads the answer: %d %s", st, out)
	}
	// Bad input names the field.
	for _, tc := range []struct {
		method, path string
		body         any
		field        string
	}{
		{"POST", "/conversations", map[string]any{"subject": "", "body": "x"}, "body.subject"},
		{"POST", "/conversations", map[string]any{"subject": strings.Repeat("s", 201), "body": "x"}, "body.subject"},
		{"POST", "/conversations", map[string]any{"subject": "x", "body": strings.Repeat("b", 10001)}, "body.body"},
		{"POST", "/conversations", map[string]any{"subject": "x", "body": "y", "task_id": e.ti}, "body.task_id"},
		{"POST", "/conversations/" + id + "/messages", map[string]any{"body": ""}, "body.body"},
		{"GET", "/conversations?status=archived", nil, "query.status"},
		{"GET", "/conversations?customer_id=nope", nil, "query.customer_id"},
	} {
		if st, out := e.do(t, "contact", tc.method, tc.path, tc.body); st != http.StatusUnprocessableEntity || !strings.Contains(string(out), `"location":"`+tc.field+`"`) {
			t.Errorf("%s %s %v: %d %s; want 422 naming %s", tc.method, tc.path, tc.body, st, out, tc.field)
		}
	}
}
