package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/schedule"
)

// Working days are counted on the UTC calendar (a project's start and a
// task's dates are instants; their day is the UTC one), Monday to Friday,
// less the tenant's holidays (docs/decisions/0011-dependencies.md).

const holidaysQuery = `SELECT to_char(day, 'YYYY-MM-DD'), name FROM tenant_holidays WHERE tenant_id = $1 ORDER BY day`

func scanHolidays(rows pgx.Rows) ([]onboardiq.Holiday, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.Holiday, error) {
		var h onboardiq.Holiday
		return h, r.Scan(&h.Day, &h.Name)
	})
}

func loadHolidays(ctx context.Context, tx *Tx) ([]onboardiq.Holiday, error) {
	rows, err := tx.Query(ctx, holidaysQuery, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("holidays: %w", err)
	}
	return scanHolidays(rows)
}

// calendarOf is the working-day calendar of a list of holidays.
func calendarOf(hs []onboardiq.Holiday) schedule.Calendar {
	c := schedule.Calendar{Holidays: make(map[schedule.Date]bool, len(hs))}
	for _, h := range hs {
		c.Holidays[schedule.DateOf(h.Date())] = true
	}
	return c
}

// loadCalendar reads the tenant's working-day calendar.
func loadCalendar(ctx context.Context, tx *Tx) (schedule.Calendar, error) {
	hs, err := loadHolidays(ctx, tx)
	if err != nil {
		return schedule.Calendar{}, err
	}
	return calendarOf(hs), nil
}

// addWorkdays moves t by n working days on the UTC calendar.
func addWorkdays(c schedule.Calendar, t time.Time, n int) time.Time {
	return c.AddWorkdays(t.UTC(), n)
}

// firstWorkday is t, or the next working day's same clock when t's day is
// a weekend or holiday.
func firstWorkday(c schedule.Calendar, t time.Time) time.Time {
	t = t.UTC()
	for i := 0; i < 366 && !c.IsWorkday(t); i++ {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// ListHolidays returns the tenant's holidays in date order (staff).
func (db *DB) ListHolidays(ctx context.Context) ([]onboardiq.Holiday, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]onboardiq.Holiday, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return nil, err
		}
		return loadHolidays(ctx, tx)
	})
}

// SetHolidays replaces the tenant's holidays with the list given (admins)
// and returns it as saved, in date order. Dates already planned do not
// move: the calendar counts the working days of what is planned or moved
// from now on.
func (db *DB) SetHolidays(ctx context.Context, in []onboardiq.Holiday) ([]onboardiq.Holiday, error) {
	hs, err := onboardiq.CheckHolidays(in)
	if err != nil {
		return nil, err
	}
	days, names := make([]string, len(hs)), make([]string, len(hs))
	for i, h := range hs {
		days[i], names[i] = h.Day, h.Name
	}
	err = db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageHolidays); err != nil {
			return err
		}
		before, err := loadHolidays(ctx, tx)
		if err != nil {
			return err
		}
		if before == nil {
			before = []onboardiq.Holiday{}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tenant_holidays WHERE tenant_id = $1 AND NOT (day = ANY ($2::date[]))`, tx.TenantID(), days); err != nil {
			return fmt.Errorf("set holidays: %w", err)
		}
		if len(hs) > 0 {
			if _, err := tx.Exec(ctx, `
INSERT INTO tenant_holidays (tenant_id, day, name)
SELECT $1, d, n FROM unnest($2::date[], $3::text[]) AS h(d, n)
ON CONFLICT (tenant_id, day) DO UPDATE SET name = excluded.name
RETURNING 1`, tx.TenantID(), days, names); err != nil {
				return fmt.Errorf("set holidays: %w", err)
			}
		}
		ch := changes(map[string]any{"holidays": before}, map[string]any{"holidays": hs}, "holidays")
		if len(ch) == 0 {
			return nil
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventHolidaysChanged, Changes: ch, Data: map[string]any{"count": len(hs)}})
	})
	if err != nil {
		return nil, err
	}
	return hs, nil
}
