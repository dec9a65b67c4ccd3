package schedule

import (
	"math/rand/v2"
	"testing"
	"time"
)

// workdaysByDay is WorkdaysBetween as it was first written: day by day.
func workdaysByDay(c Calendar, a, b time.Time) int {
	da, db := DateOf(a), DateOf(b)
	if da == db {
		return 0
	}
	sign := 1
	if b.Before(a) {
		sign = -1
		da, db = db, da
	}
	n := 0
	day := time.Date(da.Year, da.Month, da.Day, 12, 0, 0, 0, time.UTC)
	end := time.Date(db.Year, db.Month, db.Day, 12, 0, 0, 0, time.UTC)
	for day = day.AddDate(0, 0, 1); !day.After(end); day = day.AddDate(0, 0, 1) {
		if c.IsWorkday(day) {
			n++
		}
	}
	return sign * n
}

// TestWorkdaysBetweenCountsAsDayByDay: counting by weeks gives what
// counting day by day gives, for random moments up to two years apart, in
// and out of UTC, with random holidays (some on weekends, some false).
func TestWorkdaysBetweenCountsAsDayByDay(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(18, 5))
	zones := []*time.Location{time.UTC, time.FixedZone("east", 13*3600), time.FixedZone("west", -11*3600)}
	base := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	for i := range 20000 {
		cal := Calendar{Holidays: map[Date]bool{}}
		for range r.IntN(6) {
			cal.Holidays[DateOf(base.AddDate(0, 0, r.IntN(800)))] = r.IntN(5) > 0
		}
		if i%10 == 0 {
			cal = Calendar{}
		}
		a := base.Add(time.Duration(r.Int64N(int64(730 * 24 * time.Hour)))).In(zones[r.IntN(3)])
		b := a.Add(time.Duration(r.Int64N(int64(400*24*time.Hour))) - 200*24*time.Hour).In(zones[r.IntN(3)])
		if i%7 == 0 {
			b = a.Add(time.Duration(r.IntN(48)) * time.Hour).In(zones[r.IntN(3)])
		}
		if got, want := cal.WorkdaysBetween(a, b), workdaysByDay(cal, a, b); got != want {
			t.Fatalf("WorkdaysBetween(%s, %s) with %v = %d, day by day %d", a, b, cal.Holidays, got, want)
		}
	}
}
