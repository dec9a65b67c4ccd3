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

// ExplainScanReads returns the plans of the statements of the scan's read
// batch (and of its usage prune), in tx, as the scan runs them (after
// noSeqScan), without running them: each with the plan for the tenant, then
// the generic plan.
func (tx *Tx) ExplainScanReads(ctx context.Context, now time.Time) (map[string]string, error) {
	if _, err := tx.Exec(ctx, noSeqScan); err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	queuePruneUsage(b, tx.TenantID(), now)
	stmts := map[string][]any{"tenant": {scanTenantSQL, now}, "projects": {scanProjectsSQL}, "tasks": {scanTasksSQL}}
	for i, q := range b.QueuedQueries {
		stmts[fmt.Sprintf("prune %d", i)] = append([]any{q.SQL}, q.Arguments[1:]...)
	}
	out := map[string]string{}
	for name, s := range stmts {
		sql, args := s[0].(string), append([]any{tx.TenantID()}, s[1:]...)
		rows, err := tx.Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = strings.Join(lines, "\n")
		// The generic plan: what a connection caches after five runs.
		if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `PREPARE scan_read AS `+sql); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		literals := make([]string, len(args))
		for i := range args {
			literals[i] = fmt.Sprintf("$%d", i+1)
		}
		rows, err = tx.Query(ctx, "EXPLAIN EXECUTE scan_read("+strings.Join(literals, ", ")+")", append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
		if err != nil {
			return nil, fmt.Errorf("%s generic: %w", name, err)
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("%s generic: %w", name, err)
		}
		out[name+" (generic)"] = strings.Join(lines, "\n")
		for _, q := range []string{`DEALLOCATE scan_read`, `SET LOCAL plan_cache_mode = auto`} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
