package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// raiseAlertsTypes are the types of raiseAlertsSQL's parameters.
var raiseAlertsTypes = []string{"uuid", "uuid[]", "text[]", "text[]", "text[]",
	"uuid[]", "text[]", "uuid[]", "text[]", "text[]", "jsonb[]", "text[]", "timestamptz", "uuid",
	"uuid[]", "text[]", "text[]", "uuid[]", "jsonb[]"}

// ExplainRaiseAlerts returns the plan of the statement that raises alerts
// (raiseAlertsSQL) with their arguments, in tx, without running it, as the
// scan runs it (after noSeqScan): the plan for these values, or with
// generic the plan prepared statements get after their first executions,
// made without them. It is for the external
// EXPLAIN test, which needs a superuser to turn autovacuum off and ANALYZE.
func (tx *Tx) ExplainRaiseAlerts(ctx context.Context, alerts []Alert, since time.Time, generic bool) (string, error) {
	args := alertArgs(ctx, tx, alerts, since)
	if _, err := tx.Exec(ctx, noSeqScan); err != nil {
		return "", err
	}
	q := "EXPLAIN " + raiseAlertsSQL
	if generic {
		if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, `PREPARE raise_alerts AS `+raiseAlertsSQL); err != nil {
			return "", err
		}
		defer tx.Exec(ctx, `DEALLOCATE raise_alerts`) //nolint:errcheck
		// The server neither describes nor types the parameters of an
		// EXECUTE: it writes the values into the statement itself.
		literals, params := make([]string, len(args)), make([]string, len(args))
		for i, typ := range raiseAlertsTypes {
			literals[i], params[i] = "%L::"+typ, fmt.Sprintf("$%d::%s", i+1, typ)
		}
		if err := tx.QueryRow(ctx, "SELECT format('EXPLAIN EXECUTE raise_alerts("+strings.Join(literals, ", ")+")', "+strings.Join(params, ", ")+")",
			args...).Scan(&q); err != nil {
			return "", err
		}
		args = nil
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return strings.Join(lines, "\n"), err
}
