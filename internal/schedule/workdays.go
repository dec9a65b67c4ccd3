package schedule

import "time"

// Calendar counts working days: Monday to Friday, less the tenant's
// holidays. The zero Calendar has no holidays.
type Calendar struct {
	// Holidays are days off, as dates (the clock and the location of a
	// time are ignored: a day is its year, month and day).
	Holidays map[Date]bool
}

// Date is a calendar day, without a clock or a location.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the day t falls on, in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsWorkday reports whether t's day is a working day.
func (c Calendar) IsWorkday(t time.Time) bool {
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !c.Holidays[DateOf(t)]
}

// AddWorkdays moves t by n working days, forward for n > 0 and back for
// n < 0, keeping its clock: each step lands on the next (or previous)
// working day. n == 0 returns t as it is, working day or not.
func (c Calendar) AddWorkdays(t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	// A year of holidays cannot stop the walk: at most 366 days off in a
	// row are skipped before a working day is found.
	for ; n > 0; n-- {
		t = t.AddDate(0, 0, step)
		for i := 0; i < 366 && !c.IsWorkday(t); i++ {
			t = t.AddDate(0, 0, step)
		}
	}
	return t
}

// WorkdaysBetween counts the working days from a to b: those after a's day
// up to and including b's, negative when b is before a. Moving a date from
// a to b moves it by this many working days, so AddWorkdays(x,
// WorkdaysBetween(a, b)) shifts x as a was shifted to b.
//
// It counts whole weeks at five working days and the holidays one by one,
// so its cost does not grow with the distance (the delay scan counts a
// chain's days for every open task).
func (c Calendar) WorkdaysBetween(a, b time.Time) int {
	da, db := DateOf(a), DateOf(b)
	if da == db {
		return 0
	}
	sign := 1
	if b.Before(a) {
		sign = -1
		da, db = db, da
	}
	from := time.Date(da.Year, da.Month, da.Day, 12, 0, 0, 0, time.UTC) // not counted
	to := time.Date(db.Year, db.Month, db.Day, 12, 0, 0, 0, time.UTC)
	days := int(to.Sub(from).Round(24*time.Hour) / (24 * time.Hour))
	if days <= 0 {
		return 0 // b's day is not after a's (as the day-by-day count finds)
	}
	n := days / 7 * 5
	for i, wd := 1, from.Weekday(); i <= days%7; i++ {
		if d := (wd + time.Weekday(i)) % 7; d != time.Saturday && d != time.Sunday {
			n++
		}
	}
	for h, off := range c.Holidays {
		t := time.Date(h.Year, h.Month, h.Day, 12, 0, 0, 0, time.UTC)
		if off && DateOf(t) == h && t.After(from) && !t.After(to) && t.Weekday() != time.Saturday && t.Weekday() != time.Sunday {
			n--
		}
	}
	return sign * n
}
