package health

import (
	"math"
	"slices"
	"time"
)

// Day is one customer's usage roll-up for one calendar day.
type Day struct {
	// Date is the day, as the roll-up stores it: only its year, month and
	// day are read, in its own location.
	Date time.Time
	// ActiveUsers counts the distinct users active that day; Events the
	// events received.
	ActiveUsers, Events int
	// EventIDs are a few of the day's events (the roll-up's latest), cited
	// as evidence.
	EventIDs []string
}

// EvidenceEvents is how many event ids a usage signal cites at most: the
// latest ones.
const EvidenceEvents = 5

// UsageSignals reads the usage signals from a customer's daily roll-ups as
// of a time: the average daily active users of the 30 days ending on asOf's
// date in loc (that day included) and of the 30 days before, and the number
// of active days (a user active or an event received) of the last 30.
//
// firstSeen is the customer's first usage event ever; zero when it has
// none, and then the signals are missing (nil), not 0: a product that does
// not send usage says nothing about the customer. A customer first seen
// within the last 30 days has no previous DAU (its trend is left out), so
// it is not scored on the month before it started.
func UsageSignals(days []Day, asOf time.Time, loc *time.Location, firstSeen time.Time) (dau, dauPrevious, activeDays *Signal) {
	if firstSeen.IsZero() {
		return nil, nil, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	today := civil(asOf.In(loc))
	start := today.AddDate(0, 0, -29)     // first day of the last 30
	prevStart := today.AddDate(0, 0, -59) // first day of the 30 before
	var cur, prev, active float64
	var curIDs, prevIDs, activeIDs []string
	sorted := slices.Clone(days)
	slices.SortStableFunc(sorted, func(a, b Day) int { return civil(b.Date).Compare(civil(a.Date)) }) // latest first
	for _, d := range sorted {
		day := civil(d.Date)
		switch {
		case day.After(today) || day.Before(prevStart):
			continue
		case !day.Before(start):
			cur += float64(max(0, d.ActiveUsers))
			if d.ActiveUsers > 0 {
				curIDs = cite(curIDs, d.EventIDs)
			}
			if d.ActiveUsers > 0 || d.Events > 0 {
				active++
				activeIDs = cite(activeIDs, d.EventIDs)
			}
		default:
			prev += float64(max(0, d.ActiveUsers))
			if d.ActiveUsers > 0 {
				prevIDs = cite(prevIDs, d.EventIDs)
			}
		}
	}
	dau = &Signal{Value: round2(cur / 30), EventIDs: curIDs}
	activeDays = &Signal{Value: active, EventIDs: activeIDs}
	if civil(firstSeen.In(loc)).Before(start) {
		dauPrevious = &Signal{Value: round2(prev / 30), EventIDs: prevIDs}
	}
	return dau, dauPrevious, activeDays
}

// civil is the date of t as midnight UTC, so dates compare and step by
// calendar days whatever their zone.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func cite(ids, more []string) []string {
	for _, id := range more {
		if len(ids) >= EvidenceEvents {
			break
		}
		ids = append(ids, id)
	}
	return ids
}

func round2(v float64) float64 {
	return math.Round(v*100) / 100
}
