package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/secret"
)

// Tx is a transaction inside one tenant.
//
// It starts lazily: BEGIN, SET LOCAL app.tenant_id and the first statement
// travel together in one pipelined batch, so a point read
// costs two round trips (that batch and COMMIT) instead of four. The setting
// is transaction-local: it ends with the transaction, and a pooled
// connection never carries one tenant into the next request.
//
// Tx implements pgx.Tx, so River's InsertTx and pgx's helpers take it; once
// started it is a plain pgx transaction.
type Tx struct {
	conn     *pgx.Conn
	tenantID uuid.UUID
	opts     pgx.TxOptions
	inner    pgx.Tx // the started transaction; nil until the first statement
	closed   bool
	jobs     *river.Client[pgx.Tx]
	secrets  *secret.Keyring
	// cause is added to the data of every event emitted while it is set:
	// a playbook's action marks the events it causes with its playbook
	// and run, so a playbook never triggers itself.
	cause map[string]any
	// credentialsDirty: the transaction announced a change to the
	// tenant's credentials (credentialsChanged).
	credentialsDirty bool
	citus            bool // as DB.citus
}

var _ pgx.Tx = (*Tx)(nil)

// TenantID returns the tenant the transaction runs in.
func (tx *Tx) TenantID() uuid.UUID { return tx.tenantID }

// setTenantParamSQL is the statement that enters a tenant on PostgreSQL:
// one statement for every tenant, prepared once per connection. Written
// with the tenant's id in its text, as on Citus, each tenant's was a
// statement of its own in pgx's cache of 512 per connection: a connection
// that served more tenants than that prepared the tenant's entry again at
// every transaction, an extra round trip that cost a third of a short
// transaction's time (docs/performance.md, "One transaction per request").
const setTenantParamSQL = `SELECT set_config('app.tenant_id', $1, true)`

// setTenantSQL is the statement that enters a tenant on Citus: SET LOCAL,
// because it is what Citus propagates to the workers (with
// citus.propagate_set_commands = 'local', which migrate sets on the
// application role); set_config() is not. A SET takes no parameters, so
// the id is written into the statement: only ever from a parsed
// uuid.UUID, whose text is hex digits and dashes. Each tenant's statement
// is prepared once per connection and cached.
func setTenantSQL(tenant uuid.UUID) string {
	return "SET LOCAL app.tenant_id = '" + tenant.String() + "'"
}

// start sends BEGIN and the tenant's entry followed by queued, and returns the
// results of queued.
func (tx *Tx) start(ctx context.Context, queued []*pgx.QueuedQuery) (pgx.BatchResults, error) {
	if tx.closed {
		return nil, pgx.ErrTxClosed
	}
	b := &pgx.Batch{}
	b.BeginTx(tx.opts)
	if tx.citus {
		b.Queue(setTenantSQL(tx.tenantID))
	} else {
		b.Queue(setTenantParamSQL, tx.tenantID.String())
	}
	b.QueuedQueries = append(b.QueuedQueries, queued...)
	br := tx.conn.SendBatch(ctx, b)
	tx.inner = br.Tx()
	for range 2 {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return nil, fmt.Errorf("enter tenant: %w", err)
		}
	}
	return br, nil
}

func (tx *Tx) ensureStarted(ctx context.Context) error {
	if tx.inner != nil {
		return nil
	}
	br, err := tx.start(ctx, nil)
	if err != nil {
		return err
	}
	return br.Close()
}

// Exec runs a statement that returns no rows.
func (tx *Tx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if tx.inner != nil {
		return tx.inner.Exec(ctx, sql, args...)
	}
	br, err := tx.start(ctx, []*pgx.QueuedQuery{{SQL: sql, Arguments: args}})
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query runs a statement that returns rows.
func (tx *Tx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if tx.inner != nil {
		return tx.inner.Query(ctx, sql, args...)
	}
	br, err := tx.start(ctx, []*pgx.QueuedQuery{{SQL: sql, Arguments: args}})
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow runs a statement that returns at most one row.
func (tx *Tx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if tx.inner != nil {
		return tx.inner.QueryRow(ctx, sql, args...)
	}
	rows, err := tx.Query(ctx, sql, args...)
	return &row{rows: rows, err: err}
}

// SendBatch sends b; when it is the transaction's first work, BEGIN and
// SET LOCAL ride in front of it.
func (tx *Tx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if tx.inner != nil {
		return tx.inner.SendBatch(ctx, b)
	}
	br, err := tx.start(ctx, b.QueuedQueries)
	if err != nil {
		return errBatch{err}
	}
	return br
}

// CopyFrom bulk-loads rows with COPY.
func (tx *Tx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := tx.ensureStarted(ctx); err != nil {
		return 0, err
	}
	return tx.inner.CopyFrom(ctx, table, columns, src)
}

// Prepare prepares a statement on the transaction's connection.
func (tx *Tx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return tx.conn.Prepare(ctx, name, sql)
}

// LargeObjects is not supported: OnboardIQ stores no large objects.
func (tx *Tx) LargeObjects() pgx.LargeObjects {
	panic("postgres: large objects are not supported in tenant transactions")
}

// Conn returns the underlying connection.
func (tx *Tx) Conn() *pgx.Conn { return tx.conn }

// Begin opens a savepoint inside the transaction.
func (tx *Tx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := tx.ensureStarted(ctx); err != nil {
		return nil, err
	}
	return tx.inner.Begin(ctx)
}

// Commit commits the transaction. One that never ran a statement has
// nothing to commit.
func (tx *Tx) Commit(ctx context.Context) error {
	if tx.closed {
		return pgx.ErrTxClosed
	}
	tx.closed = true
	if tx.inner == nil {
		return nil
	}
	return tx.inner.Commit(ctx)
}

// Rollback rolls the transaction back; after Commit it does nothing.
func (tx *Tx) Rollback(ctx context.Context) error {
	if tx.inner == nil {
		tx.closed = true
		return nil
	}
	tx.closed = true
	return tx.inner.Rollback(ctx)
}

// batchRows are the rows of a statement that came in a batch: closing them
// closes the batch too, and the batch's error is theirs.
type batchRows struct {
	pgx.Rows
	br       pgx.BatchResults
	brClosed bool
	brErr    error
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.brClosed {
		r.brClosed = true
		r.brErr = r.br.Close()
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.brErr
}

// row is pgx.Row over rows: the first row, or pgx.ErrNoRows.
type row struct {
	rows pgx.Rows
	err  error
}

func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// errBatch is the results of a batch that failed before it ran.
type errBatch struct{ err error }

func (e errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, e.err }
func (e errBatch) Query() (pgx.Rows, error)         { return nil, e.err }
func (e errBatch) QueryRow() pgx.Row                { return &row{err: e.err} }
func (e errBatch) Close() error                     { return e.err }
func (e errBatch) Tx() pgx.Tx                       { return nil }

// unavailable wraps an error that says the database cannot be reached (a
// refused or broken connection, a server shutting down or starting up, too
// many connections) as onboardiq.ErrUnavailable, keeping the cause.
func unavailable(err error) error {
	if err == nil || !isUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", onboardiq.ErrUnavailable, err)
}

func isUnavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return false // the caller gave up (context.DeadlineExceeded is a net.Error too)
	case errors.As(err, &connectErr):
		return true
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300": // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection_exception
	case errors.As(err, &netErr):
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// isRetryable reports whether err is a serialization failure or a deadlock,
// after which the whole transaction may be run again.
func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}
