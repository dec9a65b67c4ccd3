package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq"
)

// TestExportWorkspace: an admin's archive holds every tenant table but the
// skipped ones, the workspace's rows and no other's, and no credential or
// sealed secret; a contact and a CSM may not export, and nothing is
// written for them.
func TestExportWorkspace(t *testing.T) {
	t.Parallel()
	f := newPlaybookFixture(t)
	ctx := context.Background()
	if _, _, err := f.db.CreateWebhook(f.as, onboardiq.WebhookInput{URL: "https://93.184.215.14/hook"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tenant_users SET password_hash = 'argon2id-hash-that-must-not-leave' WHERE tenant_id = $1`, f.tenant)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	other, err := f.db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Umbrella", Slug: "umbrella", AdminEmail: "a@umbrella.test"})
	if err != nil {
		t.Fatal(err)
	}
	op, _ := f.db.Authenticate(ctx, other.Token)
	if _, err := f.db.CreateCustomer(onboardiq.NewContextWithPrincipal(ctx, op), onboardiq.NewCustomer{Name: "Someone Else's Customer"}); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	opened := 0
	if err := f.db.ExportWorkspace(f.as, func() io.Writer { opened++; return &buf }); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, secret := range []string{"argon2id-hash-that-must-not-leave", "whsec_", "password_hash", "token_hash", "secret_sealed", "vector_embedding", "Someone Else's Customer", other.Tenant.ID.String()} {
		if strings.Contains(out, secret) {
			t.Errorf("the archive holds %q", secret)
		}
	}
	var doc struct {
		Format  string                      `json:"format"`
		Version int                         `json:"version"`
		Tables  map[string][]map[string]any `json:"tables"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%.500s", err, out)
	}
	if opened != 1 || doc.Format != ArchiveFormat || doc.Version != ArchiveVersion {
		t.Errorf("opened %d times, format %q version %d", opened, doc.Format, doc.Version)
	}
	var tables []string
	if err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		tables, err = archiveTables(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		if _, ok := doc.Tables[tbl]; !ok {
			t.Errorf("table %s is missing", tbl)
		}
	}
	for skipped := range archiveSkipped {
		if _, ok := doc.Tables[skipped]; ok {
			t.Errorf("skipped table %s is in the archive", skipped)
		}
	}
	names := func(table, key string) []string {
		var out []string
		for _, r := range doc.Tables[table] {
			s, _ := r[key].(string)
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	if got := names("customers", "name"); !slices.Equal(got, []string{"Globex"}) {
		t.Errorf("customers: %v", got)
	}
	if got := names("tenants", "slug"); !slices.Equal(got, []string{"acme"}) {
		t.Errorf("tenants: %v", got)
	}
	if n := len(doc.Tables["tasks"]); n != 2 {
		t.Errorf("%d tasks, want 2", n)
	}
	if len(doc.Tables["playbooks"]) == 0 || len(doc.Tables["webhook_endpoints"]) != 1 {
		t.Errorf("playbooks %d, endpoints %d", len(doc.Tables["playbooks"]), len(doc.Tables["webhook_endpoints"]))
	}

	for who, ctx := range map[string]context.Context{"a contact": f.asContact,
		"a CSM": onboardiq.NewContextWithPrincipal(ctx, f.principal(onboardiq.RoleCSM, f.admin))} {
		opened := 0
		if err := f.db.ExportWorkspace(ctx, func() io.Writer { opened++; return io.Discard }); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN || opened != 0 {
			t.Errorf("%s: %v, opened %d", who, err, opened)
		}
	}
}

// TestArchiveListsStayTrue: every table the archive skips and every column
// it drops exists, so the lists do not outlive the schema quietly.
func TestArchiveListsStayTrue(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		for table := range archiveSkipped {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relname = $1 AND a.attname = 'tenant_id')`, table).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				t.Errorf("skipped table %s is no tenant table", table)
			}
		}
		for _, col := range archiveDropped {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND a.attname = $1 AND NOT a.attisdropped
  AND EXISTS (SELECT FROM pg_attribute x WHERE x.attrelid = c.oid AND x.attname = 'tenant_id'))`, col).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				t.Errorf("dropped column %s is in no tenant table", col)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
