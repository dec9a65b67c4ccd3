package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// On Citus (docs/scaling.md) the schema is laid out by tenant: tenants is a
// reference table (a copy on every node), every other table with a
// tenant_id column is hash-distributed by tenant_id, all in one colocation
// group so that a tenant's rows of every table sit on the same node and its
// joins and foreign keys stay on one shard. River's tables stay plain tables
// on the coordinator.

// referenceTable is the one tenant table that is copied to every node rather
// than distributed: every other tenant table references it.
const referenceTable = "tenants"

// citusVersion returns the version of the citus extension installed in the
// database, or "" on plain PostgreSQL.
func citusVersion(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	var v string
	err := pool.QueryRow(ctx, "SELECT extversion FROM pg_extension WHERE extname = 'citus'").Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("detect citus: %w", err)
	}
	return v, nil
}

// citusTable is a tenant table and what Citus knows of it.
type citusTable struct {
	name       string // as pg_class spells it
	method     string // pg_dist_partition.partmethod: "h" hash-distributed, "n" none; "" unknown to Citus
	repmodel   string // pg_dist_partition.repmodel: "t" for reference tables
	column     string // the distribution column of a distributed table
	colocation int64
}

func (t citusTable) reference() bool   { return t.method == "n" && t.repmodel == "t" }
func (t citusTable) distributed() bool { return t.method == "h" }
func (t citusTable) ident() string     { return pgx.Identifier{t.name}.Sanitize() }

// foreignKey is a foreign key as pg_get_constraintdef prints it, to be
// re-created after its tables are distributed.
type foreignKey struct {
	table string // regclass text, quoted where needed
	name  string
	def   string
}

// nullingAction matches a referential action that writes NULL (or the
// default) into the referencing columns. Citus refuses such an action on a
// key that includes the distribution column, with or without PostgreSQL
// 15's column list, and every tenant key includes tenant_id.
var nullingAction = regexp.MustCompile(`\s+ON (?:DELETE|UPDATE) SET (?:NULL|DEFAULT)(?:\s*\([^)]*\))?`)

// distributeTenantTables makes tenants a reference table and distributes
// every other tenant table by tenant_id, colocated, when they are not yet.
// Citus cannot distribute tables that reference each other in a cycle, so
// the foreign keys that touch the tables to distribute are dropped first and
// re-created after, all in one transaction: a failure leaves the schema as
// it was. It returns the foreign keys re-created without their ON DELETE SET
// NULL action; the store's delete paths clear those columns instead.
// Tables already laid out are left alone, so it is cheap to run again, and a
// tenant table added by a later migration is distributed the next time.
func distributeTenantTables(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (stripped []string, err error) {
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Citus runs DDL on many shards over parallel connections, and a
		// transaction that has done so may not touch those shards again
		// over other ones; one connection per node keeps it in one piece.
		if _, err := tx.Exec(ctx, "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"); err != nil {
			return err
		}
		tables, err := tenantTables(ctx, tx)
		if err != nil {
			return err
		}
		pending, anchor, err := layoutWork(tables)
		if err != nil || len(pending) == 0 {
			return err
		}

		names := make([]string, len(pending))
		for i, t := range pending {
			names[i] = t.ident()
		}
		keys, err := foreignKeysTouching(ctx, tx, names)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", k.table, pgx.Identifier{k.name}.Sanitize())); err != nil {
				return fmt.Errorf("drop foreign key %s on %s: %w", k.name, k.table, err)
			}
		}

		if err := ensureSearchConfigOnWorkers(ctx, tx); err != nil {
			return err
		}
		for _, t := range pending {
			if t.name == referenceTable {
				if _, err := tx.Exec(ctx, "SELECT create_reference_table($1::regclass)", t.ident()); err != nil {
					return fmt.Errorf("create_reference_table(%s): %w", t.name, err)
				}
				logger.Info("citus: reference table", "table", t.name)
				continue
			}
			// The first table distributed joins the default colocation
			// group for a uuid column; every other one colocates with it.
			colocate := "default"
			if anchor != "" {
				colocate = anchor
			}
			if _, err := tx.Exec(ctx, "SELECT create_distributed_table($1::regclass, 'tenant_id', colocate_with => $2)", t.ident(), colocate); err != nil {
				return fmt.Errorf("create_distributed_table(%s): %w", t.name, err)
			}
			if anchor == "" {
				anchor = t.ident()
			}
			logger.Info("citus: distributed table", "table", t.name, "column", "tenant_id", "colocate_with", colocate)
		}

		for _, k := range keys {
			def := k.def
			if nullingAction.MatchString(def) {
				def = nullingAction.ReplaceAllString(def, "")
				stripped = append(stripped, k.table+"."+k.name)
				logger.Warn("citus: foreign key re-created without its SET NULL action, which Citus refuses on keys that include tenant_id",
					"table", k.table, "constraint", k.name, "was", k.def)
			}
			if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", k.table, pgx.Identifier{k.name}.Sanitize(), def)); err != nil {
				return fmt.Errorf("re-create foreign key %s on %s (%s): %w", k.name, k.table, def, err)
			}
		}

		// Distributing copies the rows a table already had into its shards
		// and leaves them in the coordinator's local table as well, unread:
		// drop that copy.
		for _, t := range pending {
			if _, err := tx.Exec(ctx, "SELECT truncate_local_data_after_distributing_table($1::regclass)", t.ident()); err != nil {
				return fmt.Errorf("truncate the local copy of %s: %w", t.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return stripped, nil
}

// tenantTables lists the tables of the current schema that have a tenant_id
// column (the tenant tables, as the schema tests enumerate them), with what
// Citus knows of each. River's tables have no tenant_id and stay local.
func tenantTables(ctx context.Context, tx pgx.Tx) ([]citusTable, error) {
	rows, err := tx.Query(ctx, `
SELECT c.relname, COALESCE(p.partmethod::text, ''), COALESCE(p.repmodel::text, ''),
       COALESCE(CASE WHEN p.partmethod = 'h' THEN column_to_column_name(p.logicalrelid, p.partkey) END, ''),
       COALESCE(p.colocationid, 0)
FROM pg_class c
LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND NOT relation_is_a_known_shard(c.oid) -- shards the coordinator holds, however pg_class is shown
  AND c.relname NOT LIKE 'river\_%'
  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("list tenant tables: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (citusTable, error) {
		var t citusTable
		err := r.Scan(&t.name, &t.method, &t.repmodel, &t.column, &t.colocation)
		return t, err
	})
}

// layoutWork returns the tables still to lay out (the reference table
// first) and the table the others colocate with ("" when none is
// distributed yet). A table laid out some other way is an error: moving it
// is a decision for a person (alter_distributed_table).
func layoutWork(tables []citusTable) (pending []citusTable, anchor string, err error) {
	var anchorGroup int64
	for _, t := range tables {
		if t.name != referenceTable && t.distributed() && t.column == "tenant_id" {
			anchor, anchorGroup = t.ident(), t.colocation
			break
		}
	}
	var problems []string
	for _, t := range tables {
		switch {
		case t.name == referenceTable:
			if t.reference() {
				continue
			}
			if t.distributed() {
				problems = append(problems, fmt.Sprintf("%s is distributed by %s; it must be a reference table", t.name, t.column))
				continue
			}
		case t.distributed() && t.column != "tenant_id":
			problems = append(problems, fmt.Sprintf("%s is distributed by %s, not tenant_id", t.name, t.column))
			continue
		case t.distributed() && t.colocation != anchorGroup:
			problems = append(problems, fmt.Sprintf("%s is not colocated with %s", t.name, anchor))
			continue
		case t.distributed():
			continue
		case t.reference():
			problems = append(problems, fmt.Sprintf("%s is a reference table; a tenant table is distributed by tenant_id", t.name))
			continue
		}
		pending = append(pending, t) // a local or Citus-managed local table
	}
	if len(problems) > 0 {
		return nil, "", fmt.Errorf("tenant tables laid out by hand: %s", strings.Join(problems, "; "))
	}
	slices.SortStableFunc(pending, func(a, b citusTable) int {
		switch {
		case a.name == referenceTable:
			return -1
		case b.name == referenceTable:
			return 1
		}
		return 0
	})
	return pending, anchor, nil
}

// foreignKeysTouching returns the foreign keys from or to the tables named
// (quoted identifiers), with their definitions.
func foreignKeysTouching(ctx context.Context, tx pgx.Tx, tables []string) ([]foreignKey, error) {
	rows, err := tx.Query(ctx, `
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.contype = 'f'
  AND (c.conrelid = ANY ($1::regclass[]) OR c.confrelid = ANY ($1::regclass[]))
ORDER BY 1, 2`, tables)
	if err != nil {
		return nil, fmt.Errorf("list foreign keys: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (foreignKey, error) {
		var k foreignKey
		err := r.Scan(&k.table, &k.name, &k.def)
		return k, err
	})
}

// searchConfigDDL creates, on a node that lacks it, the text search
// configuration keyword search uses (migration 00031).
const searchConfigDDL = `DO $do$ BEGIN
  -- Here, on the worker, as a local object (as Citus itself creates it).
  PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_ts_config WHERE cfgname = 'search_english' AND cfgnamespace = 'public'::regnamespace) THEN
    CREATE TEXT SEARCH DICTIONARY public.search_english_stem (TEMPLATE = snowball, Language = english);
    CREATE TEXT SEARCH CONFIGURATION public.search_english (COPY = english);
    ALTER TEXT SEARCH CONFIGURATION public.search_english ALTER MAPPING REPLACE english_stem WITH public.search_english_stem;
  END IF;
END $do$`

// ensureSearchConfigOnWorkers gives every worker the text search
// configuration that tables' generated columns and the search use. Citus
// propagates it when it is created with Citus on; one created before
// (a database that became distributed later) exists on the coordinator
// alone, and distributing a table whose column depends on it would fail.
func ensureSearchConfigOnWorkers(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT nodename, nodeport, success, result FROM run_command_on_workers($1)`, searchConfigDDL)
	if err != nil {
		return fmt.Errorf("search configuration on the workers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var node, result string
		var port int
		var ok bool
		if err := rows.Scan(&node, &port, &ok, &result); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("search configuration on worker %s:%d: %s", node, port, result)
		}
	}
	return rows.Err()
}
