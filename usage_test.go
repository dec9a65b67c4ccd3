package onboardiq

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestCheckUsageEvent: each field of a usage event is checked, the error
// names it with the event's index, and a good event comes back parsed.
func TestCheckUsageEvent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	good := UsageEventInput{ID: "evt_1", CustomerID: "6f1c9a52-3d4b-4c1e-9a7e-0c1d2e3f4a5b", UserEmail: " Ana@Example.COM ",
		Name: "report.exported_v2-beta", Properties: json.RawMessage(`{"rows":12}`), OccurredAt: "2026-03-10T13:30:00+01:00"}
	e, err := CheckUsageEvent(good, 4, now, 400)
	if err != nil {
		t.Fatal(err)
	}
	if e.UserEmail != "ana@example.com" || e.CustomerID == nil || !e.OccurredAt.Equal(now.Add(30*time.Minute)) || e.OccurredAt.Location() != time.UTC {
		t.Errorf("parsed %+v", e)
	}
	if e, _ := CheckUsageEvent(UsageEventInput{ID: "x", CustomerExternalID: "cus_1", Name: "a", OccurredAt: "2026-03-10T00:00:00Z"}, 0, now, 400); string(e.Properties) != "{}" {
		t.Errorf("no properties: %s", e.Properties)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*UsageEventInput)
		field string
	}{
		{"no id", func(e *UsageEventInput) { e.ID = "" }, "id"},
		{"long id", func(e *UsageEventInput) { e.ID = strings.Repeat("é", 201) }, "id"},
		{"no customer", func(e *UsageEventInput) { e.CustomerID = "" }, "customer_id"},
		{"both customers", func(e *UsageEventInput) { e.CustomerExternalID = "cus_1" }, "customer_external_id"},
		{"bad customer", func(e *UsageEventInput) { e.CustomerID = "6f1c9a523d4b4c1e9a7e0c1d2e3f4a5b" }, "customer_id"},
		{"bad email", func(e *UsageEventInput) { e.UserEmail = "ana" }, "user_email"},
		{"no name", func(e *UsageEventInput) { e.Name = "" }, "name"},
		{"upper-case name", func(e *UsageEventInput) { e.Name = "Login" }, "name"},
		{"spaced name", func(e *UsageEventInput) { e.Name = "log in" }, "name"},
		{"long name", func(e *UsageEventInput) { e.Name = strings.Repeat("a", 101) }, "name"},
		{"array properties", func(e *UsageEventInput) { e.Properties = json.RawMessage(`[1]`) }, "properties"},
		{"text properties", func(e *UsageEventInput) { e.Properties = json.RawMessage(`"x"`) }, "properties"},
		{"big properties", func(e *UsageEventInput) { e.Properties = json.RawMessage(`{"x":"` + strings.Repeat("x", 4100) + `"}`) }, "properties"},
		{"no time", func(e *UsageEventInput) { e.OccurredAt = "" }, "occurred_at"},
		{"date only", func(e *UsageEventInput) { e.OccurredAt = "2026-03-10" }, "occurred_at"},
		{"a day and a second ahead", func(e *UsageEventInput) { e.OccurredAt = "2026-03-11T12:00:01Z" }, "occurred_at"},
		{"past the retention", func(e *UsageEventInput) { e.OccurredAt = "2025-02-02T12:00:00Z" }, "occurred_at"},
	} {
		in := good
		tc.edit(&in)
		_, err := CheckUsageEvent(in, 4, now, 400)
		if ErrorCode(err) != EINVALID || ErrorField(err) != "events[4]."+tc.field {
			t.Errorf("%s: %v, want invalid events[4].%s", tc.name, err, tc.field)
		}
	}
	// The edges: exactly a day ahead, exactly the retention back.
	for _, at := range []string{"2026-03-11T12:00:00Z", "2025-02-03T12:00:00Z"} {
		in := good
		in.OccurredAt = at
		if _, err := CheckUsageEvent(in, 0, now, 400); err != nil {
			t.Errorf("%s: %v", at, err)
		}
	}
}
