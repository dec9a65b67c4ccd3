package health_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq/internal/health"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestUsageSignals(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// As of 31 March 2026, 22:00 in New York: already 1 April in UTC.
	asOf := time.Date(2026, 3, 31, 22, 0, 0, 0, ny)
	days := []health.Day{
		{Date: date(2026, 4, 1), ActiveUsers: 90, Events: 300, EventIDs: []string{"99"}}, // tomorrow in New York
		{Date: date(2026, 3, 31), ActiveUsers: 12, Events: 40, EventIDs: []string{"31", "30"}},
		{Date: date(2026, 3, 2), ActiveUsers: 18, Events: 50, EventIDs: []string{"2"}},   // the first of the last 30 days
		{Date: date(2026, 3, 15), ActiveUsers: 0, Events: 3, EventIDs: []string{"15"}},   // events without users: active, no DAU
		{Date: date(2026, 3, 1), ActiveUsers: 30, Events: 80, EventIDs: []string{"1"}},   // the last of the 30 before
		{Date: date(2026, 1, 31), ActiveUsers: 30, Events: 80, EventIDs: []string{"-1"}}, // the first of the 30 before
		{Date: date(2026, 1, 30), ActiveUsers: 500, Events: 900, EventIDs: []string{"-2"}},
	}
	first := date(2025, 6, 1)
	cases := []struct {
		name                  string
		asOf                  time.Time
		loc                   *time.Location
		firstSeen             time.Time
		dau, dauPrev, actDays *health.Signal
	}{
		{"in New York", asOf, ny, first, sig(1, "31", "30", "2"), sig(2, "1", "-1"), sig(3, "31", "30", "15", "2")},
		{"the same instant in UTC moves the window a day", asOf, nil, first, sig(3.4, "99", "31", "30"), sig(1.6, "2", "1"), sig(3, "99", "31", "30", "15")},
		{"no usage ever is missing, not 0", asOf, ny, time.Time{}, nil, nil, nil},
		{"first seen within the last 30 days: no previous", asOf, ny, time.Date(2026, 3, 2, 0, 5, 0, 0, ny), sig(1, "31", "30", "2"), nil, sig(3, "31", "30", "15", "2")},
		{"first seen the evening before in New York (already the 2nd in UTC): previous counts", asOf, ny, date(2026, 3, 2), sig(1, "31", "30", "2"), sig(2, "1", "-1"), sig(3, "31", "30", "15", "2")},
		{"known but silent: zeros", time.Date(2026, 9, 1, 12, 0, 0, 0, ny), ny, first, sig(0), sig(0), sig(0)},
	}
	opt := cmp.Transformer("ids", func(ids []string) []string {
		if len(ids) == 0 {
			return nil
		}
		return ids
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dau, prev, active := health.UsageSignals(days, tc.asOf, tc.loc, tc.firstSeen)
			if diff := cmp.Diff(tc.dau, dau, opt); diff != "" {
				t.Errorf("DAU (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.dauPrev, prev, opt); diff != "" {
				t.Errorf("previous DAU (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.actDays, active, opt); diff != "" {
				t.Errorf("active days (-want +got):\n%s", diff)
			}
		})
	}
	// At most EvidenceEvents ids, the latest first.
	var many []health.Day
	for d := 1; d <= 10; d++ {
		many = append(many, health.Day{Date: date(2026, 3, d), ActiveUsers: 1, EventIDs: []string{strconv.Itoa(d)}})
	}
	dau, _, _ := health.UsageSignals(many, date(2026, 3, 10), nil, first)
	if diff := cmp.Diff([]string{"10", "9", "8", "7", "6"}, dau.EventIDs); diff != "" {
		t.Errorf("cited (-want +got):\n%s", diff)
	}
}
