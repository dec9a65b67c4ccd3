package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestMilestonesAndMetricsAPI: a milestone added over the API, reached by
// usage events sent over the API, shows on the customer with the event
// cited, and the metrics by CSM count both projects: time to first value
// 2 and 5 days (median 3.5, p90 5), one project completed late (on time 0
// of 1, 8 days), no contact signed in (activation 0 of 2). Bad input names
// the field.
func TestMilestonesAndMetricsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		method, path string
		body         any
		location     string
	}{
		{"POST", "/milestones", map[string]any{"name": "Both", "event": "login", "task": "Go live"}, "body.task"},
		{"POST", "/milestones", map[string]any{"name": "Crowd", "event": "login", "distinct_users": 3, "within_days": 400}, "body.within_days"},
		{"POST", "/milestones", map[string]any{"name": "Nothing"}, "body.event"},
		{"GET", "/metrics/onboarding?group_by=region", nil, "query.group_by"},
		{"GET", "/metrics/onboarding?period=day", nil, "query.period"},
		{"GET", "/metrics/onboarding?from=yesterday", nil, "query.from"},
	} {
		st, out := e.do(t, "admin", tc.method, tc.path, tc.body)
		if st != http.StatusUnprocessableEntity || !strings.Contains(string(out), `"location":"`+tc.location+`"`) {
			t.Errorf("%s %s: %d %s, want 422 at %s", tc.method, tc.path, st, out, tc.location)
		}
	}

	st, out := e.do(t, "admin", "POST", "/milestones", map[string]any{"name": "First API call", "event": "first_api_call", "first_value": true})
	if st != http.StatusCreated || !strings.Contains(string(out), `"key":"first_api_call"`) || !strings.Contains(string(out), `"first_value":true`) {
		t.Fatalf("create: %d %s", st, out)
	}
	t0 := time.Now().UTC().Add(-10 * 24 * time.Hour).Truncate(time.Hour)
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := e.db.App.InTenant(ctx, e.acme, func(ctx context.Context, tx *postgres.Tx) error {
			_, err := tx.Exec(ctx, sql, args...)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE projects SET start_date = $2, deadline = $3, completed_at = $4, status = 'completed' WHERE tenant_id = $1 AND project_id = $5`,
		e.acme, t0, t0.Add(7*24*time.Hour), t0.Add(8*24*time.Hour), e.p1)
	exec(`UPDATE projects SET start_date = $2 WHERE tenant_id = $1 AND project_id = $3`, e.acme, t0.Add(time.Hour), e.p2)
	at := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	st, out = e.do(t, "admin", "POST", "/usage-events", map[string]any{"events": []map[string]any{
		{"id": "call-c1", "customer_id": e.c1, "name": "first_api_call", "occurred_at": at(2 * 24 * time.Hour)},
		{"id": "call-c2", "customer_id": e.c2, "name": "first_api_call", "occurred_at": at(5 * 24 * time.Hour)},
	}})
	if st != http.StatusOK {
		t.Fatalf("usage: %d %s", st, out)
	}
	// What the fan-out's milestones consumer does on usage.ingested.
	if err := e.db.App.InTenant(ctx, e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.EvaluateMilestones(ctx, []uuid.UUID{e.c1, e.c2})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st, out = e.do(t, "csm", "GET", "/customers/"+e.c1.String()+"/milestones", nil)
	var hits struct {
		Milestones []struct {
			Key      string   `json:"key"`
			EventIDs []string `json:"event_ids"`
		} `json:"milestones"`
	}
	if err := json.Unmarshal(out, &hits); st != http.StatusOK || err != nil || len(hits.Milestones) != 1 ||
		hits.Milestones[0].Key != "first_api_call" || len(hits.Milestones[0].EventIDs) != 1 || hits.Milestones[0].EventIDs[0] != "call-c1" {
		t.Fatalf("customer milestones: %d %s", st, out)
	}

	path := "/metrics/onboarding?group_by=csm&from=" + t0.AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + time.Now().UTC().Format(time.DateOnly)
	st, out = e.do(t, "viewer", "GET", path, nil)
	var m struct {
		GroupBy  string `json:"group_by"`
		TimeZone string `json:"time_zone"`
		Rows     []struct {
			Group    string `json:"group"`
			Projects int    `json:"projects"`
			TTFV     struct {
				N      int      `json:"n"`
				Median *float64 `json:"median"`
				P90    *float64 `json:"p90"`
			} `json:"time_to_first_value_days"`
			Activation struct {
				Count, Of int
				Rate      *float64
			} `json:"activation"`
			OnTime struct {
				Count, Of int
				Rate      *float64
			} `json:"on_time"`
			Duration struct {
				N      int      `json:"n"`
				Median *float64 `json:"median"`
			} `json:"duration_days"`
			CSAT struct {
				N       int      `json:"n"`
				Average *float64 `json:"average"`
			} `json:"csat"`
			NPS struct {
				N     int  `json:"n"`
				Score *int `json:"score"`
			} `json:"nps"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(out, &m); st != http.StatusOK || err != nil || len(m.Rows) != 1 {
		t.Fatalf("metrics: %d %s", st, out)
	}
	r := m.Rows[0]
	if m.GroupBy != "csm" || m.TimeZone != "UTC" || r.Group != "csm" || r.Projects != 2 || r.TTFV.N != 2 || *r.TTFV.Median != 3.5 || *r.TTFV.P90 != 5 ||
		r.OnTime.Count != 0 || r.OnTime.Of != 1 || *r.OnTime.Rate != 0 || r.Duration.N != 1 || *r.Duration.Median != 8 ||
		r.Activation.Count != 0 || r.Activation.Of != 2 || r.CSAT.N != 0 || r.CSAT.Average != nil || r.NPS.Score != nil {
		t.Errorf("metrics row: %s", out)
	}
}
