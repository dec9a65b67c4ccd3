package postgres

import (
	"bytes"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestUUIDIsEncodedAsItsBytes: uuid.UUID arguments, alone, nullable and in
// arrays, are written as their 16 bytes (not through driver.Valuer's text)
// and read back the same; NULL reads as uuid.Nil into a uuid.UUID and nil
// into a *uuid.UUID.
func TestUUIDIsEncodedAsItsBytes(t *testing.T) {
	t.Parallel()
	m := pgtype.NewMap()
	registerUUID(m)
	a, b := uuid.New(), uuid.New()

	if plan := m.PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, a); plan == nil {
		t.Fatal("no plan")
	} else if _, ok := plan.(encodeUUIDBinary); !ok {
		t.Fatalf("uuid.UUID is encoded by %T, not as its bytes", plan)
	}
	buf, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, a, nil)
	if err != nil || !bytes.Equal(buf, a[:]) {
		t.Fatalf("encoded %x, %v; want %x", buf, err, a[:])
	}
	var got uuid.UUID
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, buf, &got); err != nil || got != a {
		t.Fatalf("scanned %s, %v; want %s", got, err, a)
	}
	if err := m.Scan(pgtype.UUIDOID, pgtype.TextFormatCode, []byte(a.String()), &got); err != nil || got != a {
		t.Fatalf("scanned text %s, %v; want %s", got, err, a)
	}
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, nil, &got); err != nil || got != uuid.Nil {
		t.Errorf("NULL scanned into a uuid.UUID as %s, %v; want uuid.Nil, as uuid.UUID.Scan has it", got, err)
	}

	// Nullable.
	if buf, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, (*uuid.UUID)(nil), nil); err != nil || buf != nil {
		t.Errorf("a nil *uuid.UUID encoded as %x, %v; want NULL", buf, err)
	}
	if buf, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, &b, nil); err != nil || !bytes.Equal(buf, b[:]) {
		t.Errorf("a *uuid.UUID encoded as %x, %v", buf, err)
	}
	p := &a
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, nil, &p); err != nil || p != nil {
		t.Errorf("NULL scanned into a *uuid.UUID: %v, %v", p, err)
	}
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, b[:], &p); err != nil || p == nil || *p != b {
		t.Errorf("scanned into a *uuid.UUID: %v, %v", p, err)
	}

	// Arrays.
	buf, err = m.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, []uuid.UUID{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	if err := m.Scan(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, buf, &ids); err != nil || len(ids) != 2 || ids[0] != a || ids[1] != b {
		t.Fatalf("array scanned as %v, %v", ids, err)
	}
}
