package schedule_test

import (
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/schedule"
)

func TestQuietHoursUntil(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	for _, tc := range []struct {
		name       string
		q          schedule.QuietHours
		now, until time.Time
	}{
		{"none", schedule.QuietHours{Start: 22, End: 22, Loc: time.UTC}, at(time.UTC, 2026, 3, 2, 23, 0), at(time.UTC, 2026, 3, 2, 23, 0)},
		{"before a daytime window", schedule.QuietHours{Start: 12, End: 14, Loc: time.UTC}, at(time.UTC, 2026, 3, 2, 11, 59), at(time.UTC, 2026, 3, 2, 11, 59)},
		{"in a daytime window", schedule.QuietHours{Start: 12, End: 14, Loc: time.UTC}, at(time.UTC, 2026, 3, 2, 12, 0), at(time.UTC, 2026, 3, 2, 14, 0)},
		{"at a window's end", schedule.QuietHours{Start: 12, End: 14, Loc: time.UTC}, at(time.UTC, 2026, 3, 2, 14, 0), at(time.UTC, 2026, 3, 2, 14, 0)},
		{"overnight, before midnight", schedule.QuietHours{Start: 22, End: 7, Loc: time.UTC}, at(time.UTC, 2026, 3, 2, 23, 30), at(time.UTC, 2026, 3, 3, 7, 0)},
		{"overnight, after midnight", schedule.QuietHours{Start: 22, End: 7, Loc: time.UTC}, at(time.UTC, 2026, 3, 3, 2, 0), at(time.UTC, 2026, 3, 3, 7, 0)},
		{"overnight, in the day", schedule.QuietHours{Start: 22, End: 7, Loc: time.UTC}, at(time.UTC, 2026, 3, 3, 12, 0), at(time.UTC, 2026, 3, 3, 12, 0)},
		{"in the tenant's zone", schedule.QuietHours{Start: 22, End: 7, Loc: berlin}, at(time.UTC, 2026, 1, 10, 21, 30), at(time.UTC, 2026, 1, 11, 6, 0)},
		{"across the spring clock change", schedule.QuietHours{Start: 22, End: 7, Loc: berlin}, at(berlin, 2026, 3, 28, 23, 0), at(time.UTC, 2026, 3, 29, 5, 0)},
		{"no zone is UTC", schedule.QuietHours{Start: 0, End: 6}, at(time.UTC, 2026, 3, 2, 1, 0), at(time.UTC, 2026, 3, 2, 6, 0)},
	} {
		if got := tc.q.Until(tc.now); !got.Equal(tc.until) {
			t.Errorf("%s: Until(%s) = %s, want %s", tc.name, tc.now, got.UTC(), tc.until.UTC())
		}
	}
}
