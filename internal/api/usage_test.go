package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestUsageEventsPartialSuccess: a batch with a bad event stores the good
// ones and answers 200 naming the bad one's field; the same batch again is
// all duplicates; the customer's usage shows the stored events once.
func TestUsageEventsPartialSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	batch := map[string]any{"events": []map[string]any{
		{"id": "evt-1", "customer_id": e.c1, "name": "login", "user_email": "Ana@Customer.test", "occurred_at": at.Format(time.RFC3339)},
		{"id": "evt-2", "customer_id": e.c1, "name": "Not A Name", "occurred_at": at.Format(time.RFC3339)},
		{"id": "evt-3", "customer_id": e.c1, "name": "report_exported", "properties": map[string]any{"rows": 12}, "occurred_at": at.Format(time.RFC3339)},
		{"id": "evt-4", "customer_id": e.c1, "name": "login", "properties": []int{1}, "occurred_at": at.Format(time.RFC3339)},
		{"name": "login"},
	}}
	type result struct {
		Accepted   int `json:"accepted"`
		Duplicates int `json:"duplicates"`
		Rejected   []struct {
			Index   int    `json:"index"`
			ID      string `json:"id"`
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"rejected"`
	}
	send := func() result {
		t.Helper()
		status, out := e.do(t, "admin", "POST", "/usage-events", batch)
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, out)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := send()
	var fields []string
	for _, rej := range r.Rejected {
		fields = append(fields, rej.Field)
	}
	if r.Accepted != 2 || r.Duplicates != 0 || strings.Join(fields, " ") != "events[1].name events[3].properties events[4].id" ||
		r.Rejected[0].ID != "evt-2" || r.Rejected[0].Index != 1 {
		t.Fatalf("first: %+v", r)
	}
	if r = send(); r.Accepted != 0 || r.Duplicates != 2 || len(r.Rejected) != 3 {
		t.Fatalf("again: %+v", r)
	}
	status, out := e.do(t, "csm", "GET", "/customers/"+e.c1.String()+"/usage", nil)
	var s struct {
		Events      int `json:"events"`
		ActiveDays  int `json:"active_days"`
		ActiveUsers int `json:"active_users"`
		Days        []struct {
			Day string `json:"day"`
		} `json:"days"`
	}
	if status != http.StatusOK || json.Unmarshal(out, &s) != nil || s.Events != 2 || s.ActiveUsers != 1 || s.ActiveDays < 1 {
		t.Errorf("usage: %d %s", status, out)
	}
}
