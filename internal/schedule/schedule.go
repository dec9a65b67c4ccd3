// Package schedule holds the pure rules of when things happen: quiet hours;
// working days and a tenant's holidays; finish-to-start dependencies
// (cycles, dependents, the critical path). No I/O, table-tested.
package schedule

import "time"

// QuietHours are the local hours, in loc, in which emails wait: from Start
// (inclusive) to End (exclusive), wrapping past midnight when Start > End
// (22 to 7 is overnight). Start == End means none.
type QuietHours struct {
	Start, End int
	Loc        *time.Location
}

// Until returns when an email due at now may go: now, or the end of the
// quiet hours that now falls in, in UTC.
func (q QuietHours) Until(now time.Time) time.Time {
	if q.Start == q.End {
		return now
	}
	loc := q.Loc
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	h := local.Hour()
	quiet := (q.Start < q.End && h >= q.Start && h < q.End) || (q.Start > q.End && (h >= q.Start || h < q.End))
	if !quiet {
		return now
	}
	next := time.Date(local.Year(), local.Month(), local.Day(), q.End, 0, 0, 0, loc)
	if !next.After(local) {
		next = time.Date(local.Year(), local.Month(), local.Day()+1, q.End, 0, 0, 0, loc)
	}
	return next.UTC()
}
