package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// setNullKeys are the foreign keys re-created without an ON DELETE SET NULL
// action, which Citus refuses on keys that include tenant_id: none, since
// migration 00010 took the action off every key (the delete paths clear
// references themselves).
var setNullKeys []string

// TestCitusMigrateDistributesTenantTables runs migrate on a fresh database
// of the Citus cluster: tenants becomes a reference table, every other
// table with tenant_id is distributed by it in one colocation group, the
// rest (River's tables, the migration ledger) stay local; the foreign keys
// are all back; migrate runs again without changing anything; and the app
// role's SET LOCAL of the tenant reaches the shards.
func TestCitusMigrateDistributesTenantTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := citusDatabase(t, true)

	// The same migrations on a database without the citus extension: plain
	// PostgreSQL, the keys as the migrations wrote them.
	plain := citusDatabase(t, false)
	if err := migrate(ctx, plain.super); err != nil {
		t.Fatalf("migrate without citus: %v", err)
	}
	wantKeys := foreignKeys(t, connect(t, plain.super))

	if err := migrate(ctx, db.super); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	conn := connect(t, db.super)
	first := checkCitusLayout(t, conn)

	keys := foreignKeys(t, conn)
	var stripped []string
	for name, def := range wantKeys {
		got, ok := keys[name]
		switch {
		case !ok:
			t.Errorf("foreign key %s is missing after distribution", name)
		case strings.Contains(def, "SET NULL") && !strings.Contains(got, "SET NULL"):
			stripped = append(stripped, name)
		case got != def:
			t.Errorf("foreign key %s is %q, want %q", name, got, def)
		}
	}
	slices.Sort(stripped)
	if len(stripped) != len(setNullKeys) || !slices.Equal(stripped, setNullKeys) {
		t.Errorf("keys re-created without ON DELETE SET NULL:\n got %q\nwant %q", stripped, setNullKeys)
	}

	var settings []string
	err := conn.QueryRow(ctx, `
SELECT COALESCE(s.setconfig, '{}') FROM pg_roles r
LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid AND s.setdatabase = 0
WHERE r.rolname = $1`, postgres.DefaultAppRole).Scan(&settings)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(settings, "citus.propagate_set_commands=local") {
		t.Errorf("app role settings %q lack citus.propagate_set_commands=local", settings)
	}

	if err := migrate(ctx, db.super); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	if again := checkCitusLayout(t, conn); again != first {
		t.Errorf("migrate again moved the tables to colocation group %d (was %d)", again, first)
	}

	// The application role sees its tenant's rows on the shards only
	// through SET LOCAL, which Citus propagates for it.
	tenant := uuid.New()
	if _, err := conn.Exec(ctx, "INSERT INTO tenants (tenant_id, name, slug) VALUES ($1, 'Citus', 'citus-test')", tenant); err != nil {
		t.Fatal(err)
	}
	app := connect(t, db.app)
	var n int
	err = pgx.BeginFunc(ctx, app, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL app.tenant_id = '"+tenant.String()+"'"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO customers (tenant_id, name) VALUES ($1, 'On a shard')", tenant); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT count(*) FROM customers WHERE tenant_id = $1", tenant).Scan(&n)
	})
	if err != nil || n != 1 {
		t.Errorf("app role in its tenant: %d customers, %v; want 1", n, err)
	}
}

// TestCitusMigrateDistributesALaterTenantTable: tenant tables that a later
// migration adds (made by hand here) are distributed and colocated by the
// next migrate, their keys kept: one whose keys reach distributed tables
// only (a local table until then), one whose key reaches tenants only (Citus
// made it a local table in its metadata). A table with keys to both cannot
// even be created before it is distributed, so its migration distributes it
// itself, as docs/scaling.md shows; migrate leaves it as it is.
func TestCitusMigrateDistributesALaterTenantTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := citusDatabase(t, true)
	if err := migrate(ctx, db.super); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	conn := connect(t, db.super)
	group := checkCitusLayout(t, conn)

	_, err := conn.Exec(ctx, `
CREATE TABLE project_notes (
    tenant_id   uuid NOT NULL,
    note_id     uuid NOT NULL DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL,
    author_id   uuid,
    body        text NOT NULL,
    PRIMARY KEY (tenant_id, note_id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, author_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE SET NULL (author_id)
);
CREATE TABLE tenant_labels (
    tenant_id  uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    label      text NOT NULL,
    PRIMARY KEY (tenant_id, label)
);
CREATE TABLE project_links (
    tenant_id   uuid NOT NULL,
    link_id     uuid NOT NULL DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL,
    url         text NOT NULL,
    PRIMARY KEY (tenant_id, link_id)
);
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('project_links', 'tenant_id', colocate_with => 'projects');
    END IF;
END $$;
ALTER TABLE project_links ADD FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id) ON DELETE CASCADE;
ALTER TABLE project_links ADD FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id) ON DELETE CASCADE;`)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"project_notes", "tenant_labels", "project_links"} {
		// One statement at a time, as goose sends them: Citus passes the
		// text of some DDL on to the workers as it came.
		for _, stmt := range []string{
			"ALTER TABLE %t ENABLE ROW LEVEL SECURITY",
			"ALTER TABLE %t FORCE ROW LEVEL SECURITY",
			`CREATE POLICY tenant_isolation ON %t
			    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
			    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)`,
		} {
			if _, err := conn.Exec(ctx, strings.ReplaceAll(stmt, "%t", table)); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := foreignKeys(t, conn)
	if err := migrate(ctx, db.super); err != nil {
		t.Fatalf("migrate after new tenant tables: %v", err)
	}
	if again := checkCitusLayout(t, conn); again != group {
		t.Errorf("colocation group %d after the new tables, want %d", again, group)
	}
	after := foreignKeys(t, conn)
	for name, def := range before {
		if !strings.HasPrefix(name, "project_") && !strings.HasPrefix(name, "tenant_labels") {
			continue
		}
		got, ok := after[name]
		switch {
		case !ok:
			t.Errorf("foreign key %s is missing after distribution", name)
		case strings.Contains(def, "SET NULL"):
			if strings.Contains(got, "SET NULL") {
				t.Errorf("foreign key %s is %q on Citus", name, got)
			}
		case got != def:
			t.Errorf("foreign key %s is %q, want %q", name, got, def)
		}
	}
	if n := len(after) - len(before); n != 0 {
		t.Errorf("%d foreign keys more after migrate", n)
	}
}

// TestCitusMigrateDistributesExistingData: a database that grew on plain
// PostgreSQL gets the citus extension and its nodes, and the next migrate
// moves every row into the shards, keeps the keys checked, and leaves no
// copy in the coordinator's local tables.
func TestCitusMigrateDistributesExistingData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := citusDatabase(t, false)
	if err := migrate(ctx, db.super); err != nil {
		t.Fatalf("migrate without citus: %v", err)
	}
	conn := connect(t, db.super)
	// As the superuser, which row-level security does not hold back.
	_, err := conn.Exec(ctx, `
INSERT INTO tenants (tenant_id, name, slug) VALUES ('00000000-0000-0000-0000-0000000000a1', 'Grown', 'grown');
INSERT INTO tenant_users (tenant_id, user_id, email, name, role)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1', 'csm@grown.test', 'Csm', 'csm');
INSERT INTO customers (tenant_id, customer_id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c1', 'Customer');
INSERT INTO projects (tenant_id, project_id, customer_id, name)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000c1', 'Project');
INSERT INTO tasks (tenant_id, project_id, description, assigned_to)
SELECT '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000d1', 'Task ' || i, '00000000-0000-0000-0000-0000000000b1'
FROM generate_series(1, 50) i;
INSERT INTO events (tenant_id, actor_user_id, kind, project_id)
SELECT '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1', 'task.created', '00000000-0000-0000-0000-0000000000d1'
FROM generate_series(1, 50);`)
	if err != nil {
		t.Fatal(err)
	}
	counts := func() []int {
		var tenants, users, tasks, events int
		err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM tenant_users), (SELECT count(*) FROM tasks), (SELECT count(*) FROM events)").
			Scan(&tenants, &users, &tasks, &events)
		if err != nil {
			t.Fatal(err)
		}
		return []int{tenants, users, tasks, events}
	}
	before := counts()

	db.enableCitus(t)
	conn = connect(t, db.super)
	if err := migrate(ctx, db.super); err != nil {
		t.Fatalf("migrate with citus: %v", err)
	}
	checkCitusLayout(t, conn)
	if after := counts(); !slices.Equal(after, before) {
		t.Errorf("rows (tenants, users, tasks, events) %v after distributing, want %v", after, before)
	}
	var local int64
	if err := conn.QueryRow(ctx, "SELECT pg_relation_size('tasks') + pg_relation_size('events') + pg_relation_size('tenants')").Scan(&local); err != nil {
		t.Fatal(err)
	}
	if local != 0 {
		t.Errorf("the coordinator's local tables keep %d bytes after distributing, want none", local)
	}
	// The keys are checked on the shards: a task of a project that does
	// not exist is refused.
	_, err = conn.Exec(ctx, "INSERT INTO tasks (tenant_id, project_id, description) VALUES ('00000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'Orphan')")
	if err == nil || !strings.Contains(err.Error(), "foreign key") {
		t.Errorf("a task of no project: %v, want a foreign key violation", err)
	}
}

// checkCitusLayout checks how the tables of the database are laid out on
// Citus and returns the tenant tables' colocation group.
func checkCitusLayout(t *testing.T, conn *pgx.Conn) (group int64) {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
SELECT c.relname,
       EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped),
       COALESCE(ct.citus_table_type, 'local'), COALESCE(ct.distribution_column, ''), COALESCE(ct.colocation_id, 0)
FROM pg_class c
LEFT JOIN citus_tables ct ON ct.table_name = c.oid
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	type table struct {
		name, kind, column string
		tenant             bool
		group              int64
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var x table
		return x, r.Scan(&x.name, &x.tenant, &x.kind, &x.column, &x.group)
	})
	if err != nil {
		t.Fatal(err)
	}
	distributed := 0
	for _, tb := range tables {
		switch {
		case tb.name == "tenants":
			if tb.kind != "reference" {
				t.Errorf("tenants is a %s table, want a reference table", tb.kind)
			}
		case tb.tenant:
			if tb.kind != "distributed" || tb.column != "tenant_id" {
				t.Errorf("%s is a %s table distributed by %q, want distributed by tenant_id", tb.name, tb.kind, tb.column)
				continue
			}
			distributed++
			if group == 0 {
				group = tb.group
			}
			if tb.group != group {
				t.Errorf("%s is in colocation group %d, the other tenant tables in %d", tb.name, tb.group, group)
			}
		default: // River's tables, the migration ledger
			if tb.kind != "local" {
				t.Errorf("%s (no tenant_id) is a %s table, want a local table", tb.name, tb.kind)
			}
		}
	}
	if distributed < 15 {
		t.Errorf("%d distributed tenant tables, want at least 15", distributed)
	}
	for _, name := range []string{"river_job", "river_queue", "goose_db_version"} {
		if !slices.ContainsFunc(tables, func(tb table) bool { return tb.name == name }) {
			t.Errorf("%s is missing", name)
		}
	}
	return group
}

// foreignKeys returns the foreign keys of the public schema, by
// table.constraint, with their definitions.
func foreignKeys(t *testing.T, conn *pgx.Conn) map[string]string {
	t.Helper()
	ctx := context.Background()
	q := `
SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`
	var citus bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')").Scan(&citus); err != nil {
		t.Fatal(err)
	}
	if citus { // not the keys of the shards the coordinator holds
		q += " AND NOT relation_is_a_known_shard(conrelid)"
	}
	rows, err := conn.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	var name, def string
	_, err = pgx.ForEachRow(rows, []any{&name, &def}, func() error {
		keys[name] = def
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
