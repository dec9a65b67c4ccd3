package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/pgvector/pgvector-go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/sketch"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// seedTenant creates a tenant with one row in every tenant-owned table,
// through the application role.
func seedTenant(t *testing.T, db *postgres.DB, slug string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	res, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: slug, Slug: slug, AdminEmail: "admin@" + slug + ".test"})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	id := res.Tenant.ID
	err = db.InTenant(ctx, id, func(ctx context.Context, tx *postgres.Tx) error {
		emb := pgvector.NewVector(randomVector(rand.New(rand.NewPCG(1, 2))))
		stmts := []string{
			`INSERT INTO customers (tenant_id, customer_id, name) VALUES ($1, '00000000-0000-0000-0000-00000000000c', 'Customer')`,
			`INSERT INTO templates (tenant_id, template_id, name) VALUES ($1, '00000000-0000-0000-0000-0000000000a1', 'Template')`,
			`INSERT INTO template_tasks (tenant_id, template_id, phase, position, description, offset_days, side)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000a1', 'Kickoff', 0, 'Kickoff call', 0, 'vendor')`,
			`INSERT INTO projects (tenant_id, project_id, customer_id, name, vector_embedding)
			 VALUES ($1, '00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000c', 'Project', $2)`,
			`INSERT INTO tasks (tenant_id, task_id, project_id, description, vector_embedding)
			 VALUES ($1, '00000000-0000-0000-0000-00000000000d', '00000000-0000-0000-0000-00000000000b', 'Task', $2)`,
			`INSERT INTO knowledge_base (tenant_id, title, content, visibility) VALUES ($1, 'Article', 'Body', 'public')`,
			`INSERT INTO kb_terms (tenant_id, term, article_id, tf, length, public) SELECT $1, 'articl', article_id, 3, 4, true FROM knowledge_base WHERE tenant_id = $1 RETURNING 1`,
			`INSERT INTO kb_passages (tenant_id, article_id, ordinal, body, public, vector_embedding) SELECT $1, article_id, 0, 'Body', true, $2 FROM knowledge_base WHERE tenant_id = $1 RETURNING 1`,
			`INSERT INTO kb_stats (tenant_id, articles, public_articles, length, public_length, passages) VALUES ($1, 1, 1, 4, 4, 1)`,
			`INSERT INTO kb_df (tenant_id, term, df, public_df) VALUES ($1, 'articl', 1, 1)`,
			`INSERT INTO notifications (tenant_id, user_id, kind, title) SELECT $1, user_id, 'project_overdue', 'Late' FROM tenant_users WHERE tenant_id = $1 RETURNING 1`,
			`INSERT INTO webhook_endpoints (tenant_id, url, secret) VALUES ($1, 'https://hooks.example/x', 'whsec_x')`,
			`INSERT INTO assistant_conversations (tenant_id, conversation_id, user_id)
			 SELECT $1, '00000000-0000-0000-0000-0000000000c1', user_id FROM tenant_users WHERE tenant_id = $1 RETURNING 1`,
			`INSERT INTO assistant_messages (tenant_id, conversation_id, role, content)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000c1', 'user', 'How do I set up SSO?')`,
			`INSERT INTO ai_calls (tenant_id, kind, question, provider, model, latency_ms)
			 VALUES ($1, 'answer', 'How do I set up SSO?', 'local', 'extractive-v1', 3)`,
			`INSERT INTO project_alerts (tenant_id, project_id, kind, dedupe) VALUES ($1, '00000000-0000-0000-0000-00000000000b', 'project_overdue', 'x')`,
			`INSERT INTO notification_preferences (tenant_id, user_id, kind) SELECT $1, user_id, 'project_overdue' FROM tenant_users WHERE tenant_id = $1 RETURNING 1`,
			`INSERT INTO deliveries (tenant_id, delivery_id, channel, event_type, recipient, message_id)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000d1', 'webhook', 'project.overdue', 'https://hooks.example/x', 'msg_1')`,
			`INSERT INTO web_sessions (tenant_id, user_id, token_hash, expires_at)
			 SELECT $1, user_id, sha256(user_id::text::bytea), now() + interval '1 day' FROM tenant_users WHERE tenant_id = $1 RETURNING 1`,
			`INSERT INTO login_tokens (tenant_id, user_id, purpose, token_hash, expires_at)
			 SELECT $1, user_id, 'magic_link', sha256(user_id::text::bytea), now() + interval '15 minutes' FROM tenant_users WHERE tenant_id = $1 RETURNING 1`,
			`INSERT INTO delivery_attempts (tenant_id, delivery_id, attempt, ok, result, duration_ms)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000d1', 1, true, '200 OK', 12)`,
			`INSERT INTO signin_failures (tenant_id, user_id, failures, window_start)
			 SELECT $1, user_id, 1, now() FROM tenant_users WHERE tenant_id = $1 RETURNING 1`,
			`INSERT INTO tenant_branding (tenant_id, portal_name, accent_color) VALUES ($1, 'Portal', '#0b57d0')`,
			`INSERT INTO template_tasks (tenant_id, template_task_id, template_id, phase, position, description, offset_days, side)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1', 'Kickoff', 1, 'Agenda', 0, 'vendor')`,
			`INSERT INTO template_task_dependencies (tenant_id, template_task_id, depends_on_template_task_id)
			 SELECT $1, '00000000-0000-0000-0000-0000000000a2', template_task_id FROM template_tasks
			 WHERE tenant_id = $1 AND template_task_id <> '00000000-0000-0000-0000-0000000000a2' RETURNING 1`,
			`INSERT INTO tasks (tenant_id, task_id, project_id, description, start_at)
			 VALUES ($1, '00000000-0000-0000-0000-00000000000e', '00000000-0000-0000-0000-00000000000b', 'Second task', now())`,
			`INSERT INTO task_dependencies (tenant_id, task_id, depends_on_task_id)
			 VALUES ($1, '00000000-0000-0000-0000-00000000000e', '00000000-0000-0000-0000-00000000000d')`,
			`INSERT INTO tenant_holidays (tenant_id, day, name) VALUES ($1, '2026-12-25', 'Christmas')`,
			`INSERT INTO inbound_messages (tenant_id, transport, sender, task_id, user_id, outcome)
			 VALUES ($1, 'smtp', 'c@example.test', '00000000-0000-0000-0000-00000000000d', gen_random_uuid(), 'commented')`,
			`INSERT INTO email_templates (tenant_id, kind, subject, body) VALUES ($1, 'welcome', 'Welcome', 'Hello {{contact_name}}')`,
			`INSERT INTO customer_stages (tenant_id, customer_id, stage) VALUES ($1, '00000000-0000-0000-0000-00000000000c', 'onboarding')`,
			`INSERT INTO reply_keys (tenant_id, reply_key, task_id, user_id, expires_at)
			 SELECT $1, '\x0102030405'::bytea, '00000000-0000-0000-0000-00000000000d', user_id, now() + interval '60 days'
			 FROM tenant_users WHERE tenant_id = $1 LIMIT 1 RETURNING 1`,
			`INSERT INTO conversations (tenant_id, conversation_id, customer_id, opened_by, subject)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-00000000000c', gen_random_uuid(), 'How do I set up SSO?')`,
			`INSERT INTO conversation_messages (tenant_id, conversation_id, author_id, kind, body)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000e1', gen_random_uuid(), 'question', 'How do I set up SSO?')`,
			`INSERT INTO usage_events (tenant_id, event_key, customer_id, name, occurred_at)
			 VALUES ($1, 'evt_1', '00000000-0000-0000-0000-00000000000c', 'report_exported', now())`,
			`INSERT INTO usage_daily (tenant_id, customer_id, day, name, events, users)
			 VALUES ($1, '00000000-0000-0000-0000-00000000000c', current_date, 'report_exported', 1, 1)`,
			`INSERT INTO usage_daily_users (tenant_id, customer_id, day, name, user_email)
			 VALUES ($1, '00000000-0000-0000-0000-00000000000c', current_date, 'report_exported', 'ana@customer.test')`,
			`INSERT INTO core_features (tenant_id, name) VALUES ($1, 'report_exported')`,
			`INSERT INTO usage_days (tenant_id, customer_id, day, events, users, last_key, last_at)
			 VALUES ($1, '00000000-0000-0000-0000-00000000000c', current_date, 1, 1, 'evt_1', now())`,
			`INSERT INTO usage_day_users (tenant_id, customer_id, day, user_email)
			 VALUES ($1, '00000000-0000-0000-0000-00000000000c', current_date, 'ana@customer.test')`,
			`INSERT INTO customer_health (tenant_id, customer_id, score, level, computed_at) VALUES ($1, '00000000-0000-0000-0000-00000000000c', 72, 'moderate', now())`,
			`INSERT INTO health_history (tenant_id, customer_id, day, score, level, computed_at) VALUES ($1, '00000000-0000-0000-0000-00000000000c', current_date, 72, 'moderate', now())`,
			`INSERT INTO custom_field_definitions (tenant_id, entity, key, label, type, options) VALUES ($1, 'customer', 'plan', 'Plan', 'one_of', '{Basic,Pro}')`,
			`INSERT INTO milestones (tenant_id, milestone_id, key, name, rule, first_value) VALUES ($1, '00000000-0000-0000-0000-0000000000b1', 'first_export', 'First export', '{"event": "report_exported"}', true)`,
			`INSERT INTO milestone_hits (tenant_id, milestone_id, customer_id, reached_at, event_ids)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000c', now(), '{evt_1}')`,
			`INSERT INTO survey_requests (tenant_id, request_id, kind, customer_id, user_id, reason, subject, dedupe_key, sent_at, expires_at)
			 SELECT $1, '00000000-0000-0000-0000-0000000000f1', 'nps', '00000000-0000-0000-0000-00000000000c', user_id, 'schedule', 'Acme', 'nps:x', now(), now() + interval '30 days'
			 FROM tenant_users WHERE tenant_id = $1 LIMIT 1 RETURNING 1`,
			`INSERT INTO survey_responses (tenant_id, request_id, kind, customer_id, user_id, score, answered_at)
			 SELECT $1, '00000000-0000-0000-0000-0000000000f1', 'nps', '00000000-0000-0000-0000-00000000000c', user_id, 9, now()
			 FROM tenant_users WHERE tenant_id = $1 LIMIT 1 RETURNING 1`,
			`INSERT INTO playbooks (tenant_id, playbook_id, name, definition, trigger_event)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000f3', 'Seeded', '{"name": "Seeded"}', 'task.blocked')`,
			`INSERT INTO playbook_runs (tenant_id, run_id, playbook_id, trigger, trigger_key, subject_key, status)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000f3', 'manual', 'manual:x', 'customer:x', 'done')`,
			`INSERT INTO playbook_actions (tenant_id, run_id, idx, type, action, idempotency_key)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000f2', 0, 'notify', '{"type": "notify"}', 'pb:x:0')`,
			`INSERT INTO escalations (tenant_id, run_id, title, message, ladder)
			 VALUES ($1, '00000000-0000-0000-0000-0000000000f2', 'Late', 'Late', '[{"to": "csm", "after_minutes": 0}]')`,
			`INSERT INTO imports (tenant_id, kind, status, mode, filename) VALUES ($1, 'customers', 'done', 'all', 'customers.csv')`,
			`INSERT INTO crm_connections (tenant_id, provider, secret_sealed) VALUES ($1, 'hubspot', '\x00'::bytea)`,
			`INSERT INTO crm_rules (tenant_id, position, template_id) VALUES ($1, 0, '00000000-0000-0000-0000-0000000000a1')`,
			`INSERT INTO crm_inbound (tenant_id, provider, event_id, signature_ok, applied, outcome) VALUES ($1, 'hubspot', '1', true, true, 'ignored')`,
			`INSERT INTO quota_usage (tenant_id, month, quota, amount) VALUES ($1, '2026-11-01', 'api_calls', 7)`,
			`INSERT INTO assistant_ratings (tenant_id, message_id, conversation_id, user_id, helpful, comment)
			 SELECT m.tenant_id, m.message_id, m.conversation_id, c.user_id, false, 'Missing the Okta steps' FROM assistant_messages m
			 JOIN assistant_conversations c ON c.tenant_id = m.tenant_id AND c.conversation_id = m.conversation_id
			 WHERE m.tenant_id = $1 AND m.role = 'user' RETURNING 1`,
			`INSERT INTO knowledge_gaps (tenant_id, message_id, conversation_id, user_id, customer_id, question, reasons, asked_at, vector_embedding, embedding_model)
			 SELECT m.tenant_id, m.message_id, m.conversation_id, c.user_id, '00000000-0000-0000-0000-00000000000c', m.content, '{unhelpful}', m.created_at, $2, 'test'
			 FROM assistant_messages m JOIN assistant_conversations c ON c.tenant_id = m.tenant_id AND c.conversation_id = m.conversation_id
			 WHERE m.tenant_id = $1 AND m.role = 'user' RETURNING 1`,
		}
		for _, s := range stmts {
			args := []any{tx.TenantID()}
			if strings.Contains(s, "$2") {
				args = append(args, emb)
			}
			if _, err := tx.Exec(ctx, s, args...); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed tenant %s: %v", slug, err)
	}
	return id
}

func randomVector(r *rand.Rand) []float32 {
	v := make([]float32, onboardiq.EmbeddingDimensions)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// insertableColumns lists the columns of table an INSERT may name.
func insertableColumns(t *testing.T, conn *pgx.Conn, table string) string {
	t.Helper()
	var cols string
	err := conn.QueryRow(context.Background(), `
SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`, table).Scan(&cols)
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// asTenant runs fn in a transaction on conn with app.tenant_id set to tenant,
// the way the store does, but on a bare connection.
func asTenant(ctx context.Context, conn *pgx.Conn, tenant uuid.UUID, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL app.tenant_id = '"+tenant.String()+"'"); err != nil {
			return err
		}
		return fn(tx)
	})
}

// wantCitusRefusal wants the error Citus gives for SQL it does not support
// (0A000) with that message.
func wantCitusRefusal(t *testing.T, what string, err error, message string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "0A000" || pgErr.Message != message {
		t.Errorf("%s: got %v, want Citus's refusal (0A000 %s)", what, err, message)
	}
}

func wantRLSViolation(t *testing.T, what string, err error) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("%s: got %v, want a row-level security violation (42501)", what, err)
	}
}

// TestTenantTablesIsolated checks every tenant-owned table in the catalog,
// as the application role: no tenant set sees and writes nothing; tenant A
// sees none of B's rows and cannot write rows carrying B's id.
func TestTenantTablesIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	a := seedTenant(t, db.App, "tenant-a")
	b := seedTenant(t, db.App, "tenant-b")

	super := connect(t, db.SuperURL)
	app := connect(t, db.AppURL)
	tables, err := db.App.TenantTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 15 {
		t.Fatalf("found %d tenant tables, want at least 15", len(tables))
	}
	for _, table := range tables {
		t.Run(table.Name, func(t *testing.T) {
			ident := pgx.Identifier{table.Name}.Sanitize()
			count := func(conn *pgx.Conn, where string, args ...any) int {
				t.Helper()
				var n int
				if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+ident+" WHERE "+where, args...).Scan(&n); err != nil {
					t.Fatalf("count %s: %v", table.Name, err)
				}
				return n
			}
			ownA, ownB := count(super, "tenant_id = $1", a), count(super, "tenant_id = $1", b)
			if ownA == 0 || ownB == 0 {
				t.Fatalf("the fixture has %d rows of A and %d of B in %s: give seedTenant a row for it", ownA, ownB, table.Name)
			}
			// One of B's rows, as a record the app role can try to insert.
			var rowB []byte
			if err := super.QueryRow(ctx, "SELECT to_jsonb(x) FROM "+ident+" x WHERE tenant_id = $1 LIMIT 1", b).Scan(&rowB); err != nil {
				t.Fatal(err)
			}
			cols := insertableColumns(t, super, table.Name)
			// RETURNING: without it, Citus plans this INSERT … SELECT
			// through the coordinator as a COPY, which it refuses under
			// row-level security before the policy is asked.
			insertB := fmt.Sprintf("INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_record(NULL::%s, $1) RETURNING 1", ident, cols, cols, ident)

			// No tenant set: nothing visible, nothing writable.
			if n := count(app, "true"); n != 0 {
				t.Errorf("no tenant set: SELECT sees %d rows, want 0", n)
			}
			_, err := app.Exec(ctx, insertB, rowB)
			wantRLSViolation(t, "no tenant set: INSERT", err)

			// Tenant A set.
			err = asTenant(ctx, app, a, func(tx pgx.Tx) error {
				var all, ofB int
				if err := tx.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE tenant_id = $1) FROM "+ident, b).Scan(&all, &ofB); err != nil {
					return err
				}
				if ofB != 0 || all != ownA {
					t.Errorf("as A: sees %d rows, %d of them B's; want %d, none of B's", all, ofB, ownA)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			inA := func(what, sql string, args ...any) error {
				t.Helper()
				return asTenant(ctx, app, a, func(tx pgx.Tx) error {
					_, err := tx.Exec(ctx, sql, args...)
					return err
				})
			}
			wantRLSViolation(t, "as A: INSERT of B's row", inA("as A: INSERT of B's row", insertB, rowB))
			err = inA("as A: UPDATE moving A's rows to B", "UPDATE "+ident+" SET tenant_id = $1 WHERE tenant_id = $2", b, a)
			if testdb.Citus() && table.Name != "tenants" {
				// Citus refuses to change a distributed table's
				// distribution column at all, before the policy.
				wantCitusRefusal(t, "as A: UPDATE moving A's rows to B", err, "modifying the partition value of rows is not allowed")
			} else {
				wantRLSViolation(t, "as A: UPDATE moving A's rows to B", err)
			}

			// B's rows are untouched, whatever A tried.
			var untouched bool
			err = asTenant(ctx, app, a, func(tx pgx.Tx) error {
				tag, err := tx.Exec(ctx, "DELETE FROM "+ident+" WHERE tenant_id = $1", b)
				untouched = tag.RowsAffected() == 0
				return errors.Join(err, errors.New("roll back"))
			})
			if !untouched {
				t.Errorf("as A: DELETE of B's rows affected some: %v", err)
			}
			if n := count(super, "tenant_id = $1", b); n != ownB {
				t.Errorf("B has %d rows after A's attempts, want %d", n, ownB)
			}
		})
	}
}

// TestPooledConnectionForgetsTenant checks that the tenant setting ends with
// the transaction: the same pooled connection, used next without a tenant,
// sees nothing, whether the tenant's transaction committed or failed.
func TestPooledConnectionForgetsTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	a := seedTenant(t, d.App, "pool-a")
	one, err := postgres.Open(ctx, d.AppURL+"&pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()

	for _, fail := range []bool{false, true} {
		var pidIn int
		err := one.InTenant(ctx, a, func(ctx context.Context, tx *postgres.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, "SELECT pg_backend_pid(), (SELECT count(*) FROM customers)").Scan(&pidIn, &n); err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("inside tenant A: %d customers, want 1", n)
			}
			if fail {
				return errors.New("fail on purpose")
			}
			return nil
		})
		if fail != (err != nil) {
			t.Fatalf("InTenant: %v", err)
		}
		var (
			pid     int
			setting string
			n       int
		)
		err = one.Pool.QueryRow(ctx, "SELECT pg_backend_pid(), coalesce(current_setting('app.tenant_id', true), ''), (SELECT count(*) FROM customers)").
			Scan(&pid, &setting, &n)
		if err != nil {
			t.Fatal(err)
		}
		if pid != pidIn {
			t.Fatalf("the pool used another connection (%d, then %d)", pidIn, pid)
		}
		if setting != "" || n != 0 {
			t.Errorf("after tenant A's transaction (failed: %v): app.tenant_id = %q and %d customers visible, want none", fail, setting, n)
		}
	}
}

// TestVectorSearchSmallTenant checks that a tenant holding 1% of 20,000
// passages still gets k results from the HNSW index of the passages' sketches
// under its filter, and that they are its own nearest ones.
func TestVectorSearchSmallTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	small := seedTenant(t, d.App, "small")
	big := seedTenant(t, d.App, "big")
	r := rand.New(rand.NewPCG(7, 11))
	const model = "test"
	// Every passage lies about as near the query as a real answer would
	// (cosine about 0.55, above MinSimilarity), in both tenants alike.
	qv := randomVector(r)
	near := func() (pgvector.Vector, pgtype.Bits) {
		v := randomVector(r)
		for i := range v {
			v[i] = qv[i] + 1.5*v[i]
		}
		s := sketch.Of(v)
		return pgvector.NewVector(v), pgtype.Bits{Bytes: s[:], Len: sketch.Bits, Valid: true}
	}
	load := func(tenant uuid.UUID, n int) {
		t.Helper()
		articles := make([][]any, n)
		passages := make([][]any, n)
		for i := range articles {
			id := uuid.New()
			articles[i] = []any{tenant, id, fmt.Sprintf("Article %d", i), "public"}
			v, s := near()
			passages[i] = []any{tenant, id, 0, "", true, v, s, model}
		}
		err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			if _, err := tx.BulkInsert(ctx, "knowledge_base", []string{"tenant_id", "article_id", "title", "visibility"}, pgx.CopyFromRows(articles)); err != nil {
				return err
			}
			_, err := tx.BulkInsert(ctx, "kb_passages", []string{"tenant_id", "article_id", "ordinal", "body", "public", "vector_embedding", "vector_sketch", "embedding_model"}, pgx.CopyFromRows(passages))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Build the migration's own HNSW index after loading, as a bulk
	// build: inserting 20,000 sketches one by one into it takes far longer.
	super := connect(t, d.SuperURL)
	var indexDef string
	if err := super.QueryRow(ctx, "SELECT indexdef FROM pg_indexes WHERE indexname = 'kb_passages_sketch_hnsw_idx'").Scan(&indexDef); err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(ctx, "DROP INDEX kb_passages_sketch_hnsw_idx"); err != nil {
		t.Fatal(err)
	}
	load(small, 200)
	load(big, 19800)
	if _, err := super.Exec(ctx, indexDef); err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(ctx, "ANALYZE kb_passages"); err != nil {
		t.Fatal(err)
	}

	q := pgvector.NewVector(qv)
	// The exact answer: no index holds the full vectors.
	var exact []uuid.UUID
	err := d.App.InTenantReadOnly(ctx, small, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT article_id FROM kb_passages WHERE tenant_id = $1 AND embedding_model = $3 ORDER BY vector_embedding <=> $2 LIMIT 10`, small, q, model)
		if err != nil {
			return err
		}
		exact, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(exact) != 10 {
		t.Fatalf("the exact scan found %d passages, want 10", len(exact))
	}

	// The search itself, by the tenant's exact scan and by the HNSW index
	// (as for a tenant above exactScanMax).
	for name, exactScanMax := range map[string]int{"exact scan": 0, "HNSW index": -1} {
		t.Run(name, func(t *testing.T) {
			err := d.App.InTenantReadOnly(ctx, small, func(ctx context.Context, tx *postgres.Tx) error {
				hits, err := tx.SearchArticles(ctx, postgres.SearchParams{Vector: qv, Model: model, Mode: onboardiq.SearchSemantic, Limit: 10, ExactScanMax: exactScanMax})
				if err != nil {
					return err
				}
				if len(hits) != 10 {
					t.Fatalf("got %d results, want 10", len(hits))
				}
				found := 0
				for i, h := range hits {
					if slices.Contains(exact, h.ID) {
						found++
					}
					if i > 0 && *h.Similarity > *hits[i-1].Similarity {
						t.Errorf("results out of order at %d", i)
					}
				}
				if found < 8 {
					t.Errorf("recall@10 = %d/10 against the exact search, want at least 8", found)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}

	// Without the iterative scan the index stops after ef_search (40)
	// candidates, almost all another tenant's: this is what the setting fixes.
	const useIndex = "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true)"
	const nearest = `SELECT 1 FROM kb_passages WHERE tenant_id = $1 ORDER BY vector_sketch <~> $2 LIMIT 10`
	qsk := sketch.Of(qv)
	qs := pgtype.Bits{Bytes: qsk[:], Len: sketch.Bits, Valid: true}
	for iterative, want := range map[string]func(int) bool{"relaxed_order": func(n int) bool { return n == 10 }, "off": func(n int) bool { return n < 10 }} {
		t.Run("iterative scan "+iterative, func(t *testing.T) {
			err := d.App.InTenantReadOnly(ctx, small, func(ctx context.Context, tx *postgres.Tx) error {
				if _, err := tx.Exec(ctx, useIndex+", set_config('hnsw.iterative_scan', $1, true)", iterative); err != nil {
					return err
				}
				rows, err := tx.Query(ctx, "EXPLAIN "+nearest, small, qs)
				if err != nil {
					return err
				}
				lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					return err
				}
				if plan := strings.Join(lines, "\n"); !strings.Contains(plan, "kb_passages_sketch_hnsw_idx") {
					t.Fatalf("the HNSW index was not used:\n%s", plan)
				}
				var n int
				if err := tx.QueryRow(ctx, "SELECT count(*) FROM ("+nearest+") x", small, qs).Scan(&n); err != nil {
					return err
				}
				if !want(n) {
					t.Errorf("%d results with the iterative scan %s", n, iterative)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
