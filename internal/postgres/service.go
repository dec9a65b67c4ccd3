package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// The services below are what the API, the pages and the command line call.
// Each takes the caller from the context, decides what the caller may do,
// and runs in the caller's tenant. Objects the caller may not see are
// ENOTFOUND, as if they did not exist; actions the caller's role may not
// take are EFORBIDDEN.

func caller(ctx context.Context) (*onboardiq.Principal, error) {
	p := onboardiq.PrincipalFromContext(ctx)
	if p == nil {
		return nil, onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "not signed in")
	}
	return p, nil
}

// as runs fn in the caller's tenant.
func (db *DB) as(ctx context.Context, fn func(context.Context, *Tx, *onboardiq.Principal) error) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	return db.InTenant(ctx, p.TenantID, func(ctx context.Context, tx *Tx) error { return fn(ctx, tx, p) })
}

// read runs fn in the caller's tenant, read-only.
func (db *DB) read(ctx context.Context, fn func(context.Context, *Tx, *onboardiq.Principal) error) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	return db.InTenantReadOnly(ctx, p.TenantID, func(ctx context.Context, tx *Tx) error { return fn(ctx, tx, p) })
}

// readValue is read for a function that returns what it read.
func readValue[T any](ctx context.Context, db *DB, fn func(context.Context, *Tx, *onboardiq.Principal) (T, error)) (T, error) {
	var v T
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var err error
		v, err = fn(ctx, tx, p)
		return err
	})
	return v, err
}

// encodeCursor makes the opaque cursor for a keyset position.
func encodeCursor(key ...any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor into dst (pointers, in order).
func decodeCursor(cursor string, dst ...any) error {
	bad := onboardiq.Invalid("cursor", "is not a cursor from this list")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return bad
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != len(dst) {
		return bad
	}
	for i := range dst {
		if err := json.Unmarshal(raw[i], dst[i]); err != nil {
			return bad
		}
	}
	return nil
}

// page cuts rows (fetched with limit+1) to a page, with the cursor of its
// last item.
func page[T any](rows []T, limit int, key func(T) []any) onboardiq.Page[T] {
	if rows == nil {
		rows = []T{}
	}
	if len(rows) <= limit {
		return onboardiq.Page[T]{Items: rows}
	}
	rows = rows[:limit]
	return onboardiq.Page[T]{Items: rows, NextCursor: encodeCursor(key(rows[limit-1])...)}
}

// changes lists the fields that differ between before and after (as their
// JSON forms), each as {"from": …, "to": …}.
func changes(before, after any, fields ...string) map[string]any {
	b, a := asMap(before), asMap(after)
	out := map[string]any{}
	for _, f := range fields {
		if !reflect.DeepEqual(b[f], a[f]) {
			out[f] = map[string]any{"from": b[f], "to": a[f]}
		}
	}
	return out
}

func asMap(v any) map[string]any {
	raw, _ := json.Marshal(v)
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}

// newestFirst reads the cursor of a newest-first list keyed by (time, id);
// the first page starts after everything.
func newestFirst(cursor string) (time.Time, uuid.UUID, error) {
	before, id := time.Now().Add(time.Hour), uuid.Max
	if cursor != "" {
		if err := decodeCursor(cursor, &before, &id); err != nil {
			return time.Time{}, uuid.Nil, err
		}
	}
	return before, id, nil
}
