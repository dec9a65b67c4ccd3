package postgres

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// A workspace's archive (docs/import.md, "Export"): every row of every
// tenant table as JSON, for a backup or for leaving, made by an admin. The
// tables and columns below are what it leaves out, and why; every other
// tenant table is in it (TestArchiveCoversEveryTable keeps the lists
// honest when a table is added).

// archiveSkipped are the tenant tables the archive leaves out: secrets
// and the short-lived state of signing in.
var archiveSkipped = map[string]string{
	"login_tokens":    "one-time links: secrets, and useless elsewhere",
	"web_sessions":    "signed-in sessions: secrets",
	"signin_failures": "the sign-in lockout's counters",
	"reply_keys":      "the keys of reply-by-email addresses: secrets",
}

// archiveDropped are the columns the archive leaves out of the tables it
// keeps: credentials, sealed secrets, what the server derives again
// (embeddings, the search index), and an import's uploaded file (kept only
// until the import has run; its report stays).
var archiveDropped = []string{
	"password_hash", "token_hash", "secret", "secret_sealed",
	"vector_embedding", "vector_sketch", "embedding_hash", "search", "file",
}

// ArchiveFormat names the archive's format and version.
const ArchiveFormat = "onboardiq-workspace-archive"

// ArchiveVersion is the archive format's version.
const ArchiveVersion = 1

// archiveTables lists the tenant tables the archive holds, in name order:
// every table with a tenant_id column but the skipped ones (tenants first).
func archiveTables(ctx context.Context, tx *Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `
SELECT c.relname FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
ORDER BY c.relname <> 'tenants', c.relname`)
	if err != nil {
		return nil, err
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return slices.DeleteFunc(all, func(t string) bool { _, skip := archiveSkipped[t]; return skip }), err
}

// ExportWorkspace writes the caller's workspace as one JSON document
// (admins): {"format", "version", "exported_at", "tables": {"NAME": [rows]}},
// each row an object of its columns, from one consistent snapshot, streamed
// table by table. open is called once the caller may export, before the
// first byte, and returns where to write (the response, once its headers
// are set).
func (db *DB) ExportWorkspace(ctx context.Context, open func() io.Writer) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := p.Check(onboardiq.ExportWorkspace); err != nil {
		return err
	}
	opts := pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}
	var out *bufio.Writer
	return db.inTenant(ctx, p.TenantID, opts, func(ctx context.Context, tx *Tx) error {
		tables, err := archiveTables(ctx, tx)
		if err != nil {
			return err
		}
		if out != nil {
			// The transaction ran again after writing: the archive would
			// hold a table twice. (A read-only snapshot should not retry.)
			return onboardiq.Errorf(onboardiq.EUNAVAILABLE, "the export was interrupted: try again")
		}
		out = bufio.NewWriterSize(open(), 64<<10)
		w := out
		head, _ := json.Marshal(map[string]any{"format": ArchiveFormat, "version": ArchiveVersion, "exported_at": time.Now().UTC()})
		if _, err := w.Write(head[:len(head)-1]); err != nil { // without its closing brace
			return err
		}
		if _, err := io.WriteString(w, `,"tables":{`); err != nil {
			return err
		}
		for i, table := range tables {
			if i > 0 {
				if err := w.WriteByte(','); err != nil {
					return err
				}
			}
			name, _ := json.Marshal(table)
			if _, err := fmt.Fprintf(w, "\n%s:[", name); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT (to_jsonb(t) - $2::text[])::text FROM `+pgx.Identifier{table}.Sanitize()+` t WHERE tenant_id = $1`,
				tx.TenantID(), archiveDropped)
			if err != nil {
				return fmt.Errorf("archive %s: %w", table, err)
			}
			n := 0
			var row string
			_, err = pgx.ForEachRow(rows, []any{&row}, func() error {
				if n > 0 {
					if err := w.WriteByte(','); err != nil {
						return err
					}
				}
				n++
				_, err := fmt.Fprintf(w, "\n%s", row)
				return err
			})
			if err != nil {
				return fmt.Errorf("archive %s: %w", table, err)
			}
			if err := w.WriteByte(']'); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(w, "}}\n"); err != nil {
			return err
		}
		return w.Flush()
	})
}
