// Package postgres is OnboardIQ's store: the connection pool, the tenant
// transaction, the schema migrations and one file per area.
//
// What it exports follows one rule:
//
//   - Exported (*DB) methods act as the caller in the context (its
//     onboardiq.Principal): each runs its own transaction in the caller's
//     tenant and lets the caller do only what the principal's predicates
//     allow (p.Check(onboardiq.EditArticles)), and each is named Verb+Noun,
//     with no suffix: CreateArticle, ListTasks, GetAIStatus. The exceptions
//     say so in their comments: the handle itself (InTenant, Close), the
//     methods that find out who the caller is (Authenticate, SignIn,
//     TenantIDBySlug), and the operator's, which work across tenants or
//     create one (CreateTenant, CheckIsolation, ResealWebhookSecrets).
//   - Building blocks that other packages need inside a transaction of
//     their own (the assistant, the jobs, the demo data, test fixtures) are
//     methods on *Tx: tx.CreateCustomer, tx.SearchArticles. They check no
//     permission: whoever opened the transaction has decided.
//   - Everything else is unexported.
//
// Each area has one file: its exported methods first, its helpers below.
// TestNamingRule checks what of the rule a parser can: no exported function
// takes a *Tx, and no (*DB) method is named with an As.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/secret"
)

// DB is the application's handle on the database. It connects as the
// application role, which row-level security confines to one tenant per
// transaction.
type DB struct {
	Pool *pgxpool.Pool
	// jobs inserts background jobs in tenant transactions (insert-only:
	// the workers run in internal/jobs).
	jobs *river.Client[pgx.Tx]
	// secrets seals and opens recoverable secrets (webhook signing
	// secrets); nil when no ONBOARDIQ_SECRET_KEY was given, and then
	// storing or reading one fails.
	secrets *secret.Keyring
	// webhooks checks a webhook URL before it is stored: by default no
	// private or special-purpose target (WithWebhookGuard).
	webhooks *netguard.Guard
	// retries counts transactions run again after a serialization failure
	// or a deadlock.
	retries atomic.Int64
	// meter counts API calls in memory between writes (quotas.go).
	meter apiMeter
	// creds keeps the credentials verified lately (credentials.go).
	creds credentials
	// citus: the database is a Citus coordinator, which takes the
	// tenant's entry as a SET LOCAL only (setTenantSQL) and cannot
	// distribute some statements' generic plans (SearchArticles). Open
	// finds out; a DB made around a pool of its own (tests) must say.
	citus bool
}

// Retries is how many transactions have been run again after a
// serialization failure or a deadlock, for the metrics.
func (db *DB) Retries() int64 { return db.retries.Load() }

// Option configures a DB at Open.
type Option func(*DB)

// WithSecrets gives the store the keyring from ONBOARDIQ_SECRET_KEY, which
// webhook signing secrets are sealed with.
func WithSecrets(k *secret.Keyring) Option { return func(db *DB) { db.secrets = k } }

// WithWebhookGuard sets what webhook endpoints may point at: every caller
// that registers or changes an endpoint (the API, the console, automation)
// is checked by it. Without it, private and special-purpose addresses are
// refused.
func WithWebhookGuard(g *netguard.Guard) Option { return func(db *DB) { db.webhooks = g } }

// Open connects to url and registers uuid.UUID and the pgvector types on
// each connection.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		registerUUID(conn.TypeMap())
		return pgxvec.RegisterTypes(ctx, conn)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "onboardiq"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("job client: %w", err)
	}
	citus, err := citusVersion(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{Pool: pool, jobs: jobs, webhooks: &netguard.Guard{}, citus: citus != ""}
	for _, o := range opts {
		o(db)
	}
	return db, nil
}

// Close writes the API calls counted and the credentials' last uses
// recorded and not yet written, then closes the pool.
func (db *DB) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db.stopCredentials(ctx)
	_ = db.FlushAPICalls(ctx) // best effort: the API calls counted since the last write
	db.Pool.Close()
}

// maxAttempts bounds how often InTenant runs a function whose transaction
// failed on a serialization failure or a deadlock.
const maxAttempts = 4

// InTenant runs fn inside one transaction entered into tenantID and commits
// it when fn returns nil. fn may run more than once (after a serialization
// failure or deadlock), so it must not have effects outside the transaction;
// side effects go through River's InsertTx on the same transaction.
func (db *DB) InTenant(ctx context.Context, tenantID uuid.UUID, fn func(context.Context, *Tx) error) error {
	return db.inTenant(ctx, tenantID, pgx.TxOptions{}, fn)
}

// InTenantReadOnly is InTenant for a read-only transaction.
func (db *DB) InTenantReadOnly(ctx context.Context, tenantID uuid.UUID, fn func(context.Context, *Tx) error) error {
	return db.inTenant(ctx, tenantID, pgx.TxOptions{AccessMode: pgx.ReadOnly}, fn)
}

func (db *DB) inTenant(ctx context.Context, tenantID uuid.UUID, opts pgx.TxOptions, fn func(context.Context, *Tx) error) error {
	if tenantID == uuid.Nil {
		return fmt.Errorf("postgres: a tenant transaction needs a tenant id")
	}
	for attempt := 1; ; attempt++ {
		err := db.inTenantOnce(ctx, tenantID, opts, fn)
		if err == nil || attempt == maxAttempts || !isRetryable(err) || ctx.Err() != nil {
			return unavailable(err)
		}
		db.retries.Add(1)
		// Back off, with jitter, so transactions that collided do not
		// collide again in step: about 2, 4, 8 ms.
		wait := retryBackoff(attempt)
		select {
		case <-ctx.Done():
			return unavailable(err)
		case <-time.After(wait):
		}
	}
}

// retryBackoff is the wait before the attempt after attempt: 2^attempt
// milliseconds, give or take half.
func retryBackoff(attempt int) time.Duration {
	base := time.Duration(1<<attempt) * time.Millisecond
	return base/2 + rand.N(base)
}

func (db *DB) inTenantOnce(ctx context.Context, tenantID uuid.UUID, opts pgx.TxOptions, fn func(context.Context, *Tx) error) (err error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	// Release destroys a connection left inside a transaction, so a failed
	// rollback cannot leak a tenant's transaction into the pool.
	defer conn.Release()
	tx := &Tx{conn: conn.Conn(), tenantID: tenantID, opts: opts, jobs: db.jobs, secrets: db.secrets, citus: db.citus}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if tx.credentialsDirty {
		// Before the caller answers: this server never serves a
		// credential its own change ended (credentials.go).
		db.creds.forgetTenant(tenantID)
	}
	return nil
}

// storeError turns the database's refusals into domain errors; anything
// else is wrapped as it is, to be logged as internal.
func storeError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return onboardiq.Errorf(onboardiq.ENOTFOUND, "%s not found", what)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return onboardiq.Errorf(onboardiq.ECONFLICT, "%s already exists", what)
		case "23503": // foreign_key_violation
			return onboardiq.Errorf(onboardiq.EINVALID, "%s refers to something that does not exist", what)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// clearReferences runs, in one round trip, the updates that clear what
// refers to rows about to be deleted, each with args (the tenant as $1,
// then the row's id). They stand for ON DELETE SET NULL, which the schema
// does not use (migration 00010): a distributed planner refuses it on keys
// that include tenant_id.
func clearReferences(ctx context.Context, tx *Tx, stmts []string, args ...any) error {
	b := &pgx.Batch{}
	for _, s := range stmts {
		b.Queue(s, args...)
	}
	return tx.SendBatch(ctx, b).Close()
}

// projectReferences clear what refers to project $2 and its tasks: the
// assistant's conversations about them.
var projectReferences = []string{
	`UPDATE assistant_conversations SET project_id = NULL WHERE tenant_id = $1 AND project_id = $2`,
	`UPDATE assistant_conversations SET task_id = NULL
     WHERE tenant_id = $1 AND task_id IN (SELECT task_id FROM tasks WHERE tenant_id = $1 AND project_id = $2)`,
}

// customerReferences clear what refers to customer $2's projects, tasks and
// contacts (who go with the customer): conversations about its projects and
// tasks, and the contacts' names on the log, tasks, articles and AI calls,
// which outlive them.
var customerReferences = []string{
	`UPDATE assistant_conversations SET project_id = NULL
     WHERE tenant_id = $1 AND project_id IN (SELECT project_id FROM projects WHERE tenant_id = $1 AND customer_id = $2)`,
	`UPDATE assistant_conversations SET task_id = NULL
     WHERE tenant_id = $1 AND task_id IN (SELECT t.task_id FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
                                          WHERE t.tenant_id = $1 AND p.customer_id = $2)`,
	`UPDATE ai_calls SET conversation_id = NULL
     WHERE tenant_id = $1 AND conversation_id IN (SELECT c.conversation_id FROM assistant_conversations c JOIN tenant_users u ON u.tenant_id = c.tenant_id AND u.user_id = c.user_id
                                                  WHERE c.tenant_id = $1 AND u.customer_id = $2)`,
	`UPDATE ai_calls SET user_id = NULL WHERE tenant_id = $1 AND user_id IN (SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND customer_id = $2)`,
	`UPDATE events SET actor_user_id = NULL WHERE tenant_id = $1 AND actor_user_id IN (SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND customer_id = $2)`,
	`UPDATE tasks SET assigned_to = NULL WHERE tenant_id = $1 AND assigned_to IN (SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND customer_id = $2)`,
	`UPDATE knowledge_base SET created_by = NULL WHERE tenant_id = $1 AND created_by IN (SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND customer_id = $2)`,
}
