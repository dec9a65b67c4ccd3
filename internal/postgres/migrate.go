package postgres

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the embedded schema migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// DefaultAppRole is the login role the server runs as.
const DefaultAppRole = "onboardiq_app"

// MigrateOptions says how to set up the application role.
type MigrateOptions struct {
	AppRole          string        // default DefaultAppRole
	AppPassword      string        // set on the role when not empty
	StatementTimeout time.Duration // per statement, for the app role; default 30s
	Logger           *slog.Logger
}

// Migrate brings the schema at url up to date (OnboardIQ's migrations, then
// River's), lays the tenant tables out by tenant when the database has the
// citus extension (distributeTenantTables), and creates and grants the
// application role. It connects as the schema owner. Concurrent runs wait
// for each other.
func Migrate(ctx context.Context, url string, opts MigrateOptions) error {
	if opts.AppRole == "" {
		opts.AppRole = DefaultAppRole
	}
	if opts.StatementTimeout == 0 {
		opts.StatementTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer pool.Close()

	lock, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer lock.Release()
	if _, err := lock.Exec(ctx, "SELECT pg_advisory_lock(hashtext('onboardiq migrate'))"); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer lock.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('onboardiq migrate'))") //nolint:errcheck

	var owner string
	if err := pool.QueryRow(ctx, "SELECT current_user").Scan(&owner); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if owner == opts.AppRole {
		return fmt.Errorf("migrate: DATABASE_URL connects as %q, the application role; it must name the schema owner", owner)
	}

	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, Migrations(), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		opts.Logger.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}

	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: opts.Logger})
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}

	citus, err := citusVersion(ctx, pool)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if citus != "" {
		if _, err := distributeTenantTables(ctx, pool, opts.Logger); err != nil {
			return fmt.Errorf("migrate: citus %s: %w", citus, err)
		}
	}

	// The role belongs to the whole server, so a migrate of another
	// database may be changing it at the same moment; PostgreSQL then fails
	// one of the two ("tuple concurrently updated", or a duplicate of the
	// role's settings row), and the set-up, which is idempotent, is simply
	// run again.
	for attempt := 1; ; attempt++ {
		err = setUpAppRole(ctx, pool, opts, citus != "")
		if err == nil {
			return nil
		}
		if attempt == 5 || !concurrentCatalogUpdate(err) {
			return fmt.Errorf("migrate: application role %q: %w", opts.AppRole, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: application role %q: %w", opts.AppRole, err)
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}

// concurrentCatalogUpdate tells whether err is PostgreSQL's refusal of a
// catalog row that another transaction changed meanwhile.
func concurrentCatalogUpdate(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	// Two sessions setting the role's first setting at once: both insert
	// its pg_db_role_setting row, and one fails the unique index.
	return pgErr.Code == "XX000" && pgErr.Message == "tuple concurrently updated" ||
		pgErr.Code == "23505" && pgErr.ConstraintName == "pg_db_role_setting_databaseid_rol_index"
}

// setUpAppRole creates the application role when it is missing, sets its
// password and limits, and grants it what it needs on what the owner owns:
// data on tenant and job tables, read on the migration ledger, and the
// functions. On Citus the role's SET LOCAL commands (the tenant) reach the
// workers, and its grants are propagated to the shards one node connection
// at a time.
func setUpAppRole(ctx context.Context, pool *pgxpool.Pool, opts MigrateOptions, citus bool) error {
	role := pgx.Identifier{opts.AppRole}.Sanitize()
	// Roles are shared by every database of the server, so another migrate
	// may create it at the same moment: both outcomes are fine.
	if _, err := pool.Exec(ctx, fmt.Sprintf(`
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %s) THEN
        CREATE ROLE %s LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$`, quoteLiteral(opts.AppRole), role)); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	stmts := []string{
		fmt.Sprintf("ALTER ROLE %s SET statement_timeout = %s", role, quoteLiteral(fmt.Sprintf("%dms", opts.StatementTimeout.Milliseconds()))),
		fmt.Sprintf("ALTER ROLE %s SET idle_in_transaction_session_timeout = '60s'", role),
	}
	if citus {
		// Citus passes SET LOCAL (never set_config) on to the workers, and
		// only with this setting: without it the tenant's policy sees no
		// rows on the shards.
		stmts = append(stmts, fmt.Sprintf("ALTER ROLE %s SET citus.propagate_set_commands = 'local'", role))
	}
	if opts.AppPassword != "" {
		// A SCRAM verifier, so the password itself never reaches the
		// server's statement log.
		verifier, err := scramVerifier(opts.AppPassword)
		if err != nil {
			return err
		}
		stmts = append(stmts, fmt.Sprintf("ALTER ROLE %s PASSWORD %s", role, quoteLiteral(verifier)))
	}
	rows, err := pool.Query(ctx, `
SELECT c.relname, c.relkind,
       EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relkind IN ('r', 'p', 'S')
  AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
ORDER BY c.relname`)
	if err != nil {
		return err
	}
	type rel struct {
		name      string
		kind      string
		hasTenant bool
	}
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
		var x rel
		err := r.Scan(&x.name, &x.kind, &x.hasTenant)
		return x, err
	})
	if err != nil {
		return err
	}
	for _, r := range rels {
		name := pgx.Identifier{r.name}.Sanitize()
		switch {
		case r.kind == "S" && strings.HasPrefix(r.name, "goose_"):
			// The ledger's sequence: the app only reads the ledger.
		case r.name == "operator_tokens":
			// Operators' tokens: reached only through operator_token_use
			// (migration 00025), never read or written by the app.
		case r.kind == "S":
			stmts = append(stmts, fmt.Sprintf("GRANT USAGE, SELECT ON SEQUENCE %s TO %s", name, role))
		case r.hasTenant || strings.HasPrefix(r.name, "river_"):
			stmts = append(stmts, fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO %s", name, role))
		default: // the migration ledger and anything else the owner keeps
			stmts = append(stmts, fmt.Sprintf("GRANT SELECT ON TABLE %s TO %s", name, role))
		}
	}
	// The functions the owner made (the reviewed cross-tenant lookups).
	fns, err := pool.Query(ctx, `
SELECT p.oid::regprocedure::text FROM pg_proc p
WHERE p.pronamespace = current_schema()::regnamespace AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
ORDER BY 1`)
	if err != nil {
		return err
	}
	sigs, err := pgx.CollectRows(fns, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, sig := range sigs {
		stmts = append(stmts, fmt.Sprintf("GRANT EXECUTE ON FUNCTION %s TO %s", sig, role))
	}
	batch := &pgx.Batch{}
	for _, s := range stmts {
		batch.Queue(s)
	}
	if !citus {
		return pool.SendBatch(ctx, batch).Close()
	}
	// A GRANT on a distributed table runs on its shards over parallel
	// connections, after which Citus refuses DDL on the reference table in
	// the same transaction ("parallel DDL access"): one connection per node.
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"); err != nil {
			return err
		}
		return tx.SendBatch(ctx, batch).Close()
	})
}

// quoteLiteral quotes s as an SQL string literal, for the utility statements
// (CREATE ROLE, ALTER ROLE) that take no parameters.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// scramVerifier returns the SCRAM-SHA-256 verifier PostgreSQL stores for
// password (RFC 5802, RFC 7677).
func scramVerifier(password string) (string, error) {
	const iterations = 4096
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(msg string) []byte {
		h := hmac.New(sha256.New, salted)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac("Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(stored[:]), b64(mac("Server Key"))), nil
}

// SchemaVersion returns the newest migration the database has applied and
// the newest this binary carries.
func (db *DB) SchemaVersion(ctx context.Context) (have, want int64, err error) {
	err = db.Pool.QueryRow(ctx, "SELECT COALESCE(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&have)
	if err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	return have, LatestMigration(), nil
}

// LatestMigration returns the version of the newest embedded migration.
func LatestMigration() int64 {
	entries, err := fs.ReadDir(Migrations(), ".")
	if err != nil {
		panic(err)
	}
	var latest int64
	for _, e := range entries {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}
