package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// seedMatrix adds to e what the matrix's routes by id need beyond the
// fixture: a webhook endpoint of acme with a delivery, a notification of the
// contact with an email delivery, and a conversation each of the contact
// (about t1) and of the CSM (about p1), each a question and its answer.
func seedMatrix(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	e.hookSecret = "whsec_matrix" + strings.ReplaceAll(uuid.NewString(), "-", "")
	err := e.db.App.InTenant(ctx, e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		var contact uuid.UUID
		q := func(dst *uuid.UUID, sql string, args ...any) error { return tx.QueryRow(ctx, sql, args...).Scan(dst) }
		var ignored uuid.UUID
		err := firstErr(
			q(&contact, `SELECT user_id FROM tenant_users WHERE email = 'contact1@customer.test'`),
			q(&e.hook, `INSERT INTO webhook_endpoints (tenant_id, url, events, secret) VALUES ($1, 'https://93.184.215.14/hook', '{project.completed}', $2)
			            RETURNING endpoint_id`, e.acme, e.hookSecret),
		)
		if err != nil {
			return err
		}
		err = firstErr(
			q(&ignored, `INSERT INTO deliveries (tenant_id, channel, endpoint_id, event_type, recipient, message_id)
			             VALUES ($1, 'webhook', $2, 'project.completed', 'https://93.184.215.14/hook', 'matrix-hook') RETURNING delivery_id`, e.acme, e.hook),
			q(&e.note, `INSERT INTO notifications (tenant_id, user_id, kind, project_id, title) VALUES ($1, $2, 'project_overdue', $3, 'Overdue')
			            RETURNING notification_id`, e.acme, contact, e.p1),
			q(&ignored, `INSERT INTO deliveries (tenant_id, channel, notification_id, event_type, recipient, message_id)
			             VALUES ($1, 'email', $2, 'project_overdue', 'contact1@customer.test', 'matrix-note') RETURNING delivery_id`, e.acme, e.note),
			q(&e.conv, `INSERT INTO assistant_conversations (tenant_id, user_id, task_id) VALUES ($1, $2, $3) RETURNING conversation_id`, e.acme, contact, e.t1),
			q(&e.staffConv, `INSERT INTO assistant_conversations (tenant_id, user_id, project_id) VALUES ($1, $2, $3) RETURNING conversation_id`, e.acme, e.csm, e.p1),
			q(&ignored, `INSERT INTO assistant_messages (tenant_id, conversation_id, role, content)
			             VALUES ($1, $2, 'user', 'How do I set up SSO?'), ($1, $2, 'assistant', 'Open Settings, then Single sign-on.'),
			                    ($1, $3, 'user', 'Why is this stuck?'), ($1, $3, 'assistant', 'It waits on the SSO task.') RETURNING conversation_id`, e.acme, e.conv, e.staffConv),
			q(&e.thread, `INSERT INTO conversations (tenant_id, customer_id, opened_by, csm_id, subject) VALUES ($1, $2, $3, $4, 'SSO set-up')
			              RETURNING conversation_id`, e.acme, e.c1, contact, e.csm),
		)
		if err != nil {
			return err
		}
		// A CRM connection (its secret sealed bytes that need not open).
		if _, err := tx.Exec(ctx, `INSERT INTO crm_connections (tenant_id, provider, secret_sealed) VALUES ($1, 'generic', '\x00'::bytea)`, e.acme); err != nil {
			return err
		}
		// A survey answered by the contact: the responses list shows it to
		// acme's staff only.
		if err := q(&ignored, `INSERT INTO survey_requests (tenant_id, request_id, kind, customer_id, user_id, reason, subject, dedupe_key, sent_at, expires_at, answered_at)
		                       VALUES ($1, gen_random_uuid(), 'nps', $2, $3, 'schedule', 'Acme', 'nps:matrix', now(), now() + interval '30 days', now())
		                       RETURNING request_id`, e.acme, e.c1, contact); err != nil {
			return err
		}
		if err := q(&ignored, `INSERT INTO survey_responses (tenant_id, request_id, kind, customer_id, user_id, score, comment, answered_at)
		                       SELECT $1, request_id, 'nps', customer_id, user_id, 3, 'Slow start', now() FROM survey_requests
		                       WHERE tenant_id = $1 AND dedupe_key = 'nps:matrix' RETURNING response_id`, e.acme); err != nil {
			return err
		}
		if err := q(&ignored, `INSERT INTO custom_field_definitions (tenant_id, field_id, entity, key, label, type, options)
		                       VALUES ($1, $2, 'customer', 'plan', 'Plan', 'one_of', '{Basic,Pro}') RETURNING field_id`, e.acme, matrixField); err != nil {
			return err
		}
		if err := q(&ignored, `INSERT INTO milestones (tenant_id, milestone_id, key, name, rule, first_value)
		                       VALUES ($1, $2, 'first_report', 'First report', '{"event": "report_exported"}', true) RETURNING milestone_id`, e.acme, matrixMilestone); err != nil {
			return err
		}
		if err := q(&ignored, `INSERT INTO milestone_hits (tenant_id, milestone_id, customer_id, reached_at, event_ids)
		                       VALUES ($1, $2, $3, now(), '{evt-matrix-0}') RETURNING hit_id`, e.acme, matrixMilestone, e.c1); err != nil {
			return err
		}
		return q(&ignored, `INSERT INTO conversation_messages (tenant_id, conversation_id, author_id, kind, body)
		                    VALUES ($1, $2, $3, 'question', 'Which IdPs do you support?') RETURNING message_id`, e.acme, e.thread, contact)
	})
	if err != nil {
		t.Fatal(err)
	}
	seedPlaybooks(t, e)
}

// matrixPlaybookBody is a playbook that needs no setup: a task blocked →
// tell the CSM, and a webhook (so that it has a signing secret).
func matrixPlaybookBody(name string) map[string]any {
	return map[string]any{"name": name, "trigger": map[string]any{"event": "task.blocked"},
		"actions": []map[string]any{{"type": "notify", "to": []string{"csm"}, "subject": "Blocked: {{customer_name}}", "body": "A task is blocked."},
			{"type": "webhook", "url": "https://93.184.215.14/playbook", "format": "standard"}}}
}

// matrixPlaybook is what seedPlaybooks made for an env: the store gives a
// playbook its id and its signing secret.
type matrixPlaybook struct {
	id     uuid.UUID
	secret string
}

var matrixPlaybooks sync.Map // *env → matrixPlaybook

// playbook is acme's playbook seedPlaybooks made (the zero id before).
func (e *env) playbook() uuid.UUID {
	v, _ := matrixPlaybooks.Load(e)
	p, _ := v.(matrixPlaybook)
	return p.id
}

// playbookSecret is its signing secret ("" before seedPlaybooks).
func (e *env) playbookSecret() string {
	v, _ := matrixPlaybooks.Load(e)
	p, _ := v.(matrixPlaybook)
	return p.secret
}

// seedPlaybooks gives acme a playbook (through the store, which seals its
// signing secret) with a run on c1 whose escalation, matrixEscalation,
// is waiting for an acknowledgement.
func seedPlaybooks(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	admin, err := e.db.App.Authenticate(ctx, e.tokens["admin"])
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(matrixPlaybookBody("Matrix playbook"))
	if err != nil {
		t.Fatal(err)
	}
	var def onboardiq.Playbook
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	// Through the store, as the admin (it seals the signing secret): the
	// API's own create is tested in playbooks_test.go, and a request per
	// matrix case would only add load.
	p, err := e.db.App.CreatePlaybook(onboardiq.NewContextWithPrincipal(ctx, admin), def)
	if err != nil {
		t.Fatalf("seed a playbook: %v", err)
	}
	matrixPlaybooks.Store(e, matrixPlaybook{p.ID, p.SigningSecret})
	testdb.Cleanup(t, func() { matrixPlaybooks.Delete(e) })
	err = e.db.App.InTenant(ctx, e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		var ignored uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO playbook_runs (tenant_id, run_id, playbook_id, trigger, trigger_key, subject_key, customer_id, project_id, status)
		                            VALUES ($1, $2, $3, 'project.overdue', 'event:0', $6, $4, $5, 'done') RETURNING run_id`,
			e.acme, matrixRun, p.ID, e.c1, e.p1, "customer:"+e.c1.String()).Scan(&ignored); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO escalations (tenant_id, escalation_id, run_id, customer_id, project_id, title, message, ladder, step)
		                         VALUES ($1, $2, $3, $4, $5, 'Overdue', 'Customer One onboarding is overdue.', '[{"to": "csm", "after_minutes": 0}, {"to": "role:admin", "after_minutes": 240}]', 1)
		                         RETURNING escalation_id`, e.acme, matrixEscalation, matrixRun, e.c1, e.p1).Scan(&ignored); err != nil {
			return err
		}
		// A finished import of acme's.
		return tx.QueryRow(ctx, `INSERT INTO imports (tenant_id, import_id, kind, status, mode, filename, rows, processed, report)
		                         VALUES ($1, $2, 'customers', 'done', 'all', 'customers.csv', 1, 1, '{"counts": {"create": 1}}') RETURNING import_id`,
			e.acme, matrixImport).Scan(&ignored)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// matrixRun and matrixEscalation are acme's playbook run and its
// escalation that seedPlaybooks makes.
const (
	matrixRun        = "00000000-0000-0000-0000-0000000000f3"
	matrixEscalation = "00000000-0000-0000-0000-0000000000f4"
	// matrixImport is acme's finished import.
	matrixImport = "00000000-0000-0000-0000-0000000000f5"
)

// matrixField is acme's custom field (a customer's plan) that seedMatrix
// defines.
const matrixField = "00000000-0000-0000-0000-0000000000f1"

// matrixMilestone is acme's milestone (first_report, reached by c1) that
// seedMatrix defines.
const matrixMilestone = "00000000-0000-0000-0000-0000000000f2"

// unauthenticated lists the API operations that need no token, and so have
// no row in the matrix, as "METHOD /path" with why. /healthz, /readyz and
// /metrics are served beside the API, outside its OpenAPI document, and the
// document itself (/api/v1/openapi.json) is not one of its operations. An
// operation added here must have no security requirement.
var unauthenticated = map[string]string{
	"POST /inbound/email": "a mail provider's webhook, signed with ONBOARDIQ_INBOUND_WEBHOOK_SECRET instead (inbound_test.go)",
	"POST /inbound/usage": "usage events from the operator's pipeline, signed with ONBOARDIQ_INBOUND_WEBHOOK_SECRET instead (usage_test.go)",

	"POST /crm/{workspace}/{provider}": "a CRM's webhook, signed with the workspace's connection secret instead (crm_test.go)",
}

type specOperation struct {
	method, path string // path as in the document: /customers/{id}
	secured      bool
	hasBody      bool
}

// specOperations reads the operations of the OpenAPI document the API serves.
func specOperations(t *testing.T) []specOperation {
	t.Helper()
	var doc struct {
		Security *json.RawMessage                      `json:"security"`
		Paths    map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc(t, "/api/v1/openapi.json"), &doc); err != nil {
		t.Fatal(err)
	}
	var ops []specOperation
	for path, item := range doc.Paths {
		for method, raw := range item {
			if !slices.Contains([]string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}, method) {
				continue
			}
			var op struct {
				Security    *[]map[string][]string `json:"security"`
				RequestBody json.RawMessage        `json:"requestBody"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			secured := op.Security != nil && len(*op.Security) > 0
			if op.Security == nil && doc.Security != nil {
				var global []map[string][]string
				if err := json.Unmarshal(*doc.Security, &global); err != nil {
					t.Fatal(err)
				}
				secured = len(global) > 0
			}
			ops = append(ops, specOperation{strings.ToUpper(method), path, secured, op.RequestBody != nil})
		}
	}
	if len(ops) < 50 {
		t.Fatalf("the document has only %d operations", len(ops))
	}
	return ops
}

// matchOperation returns the operation a request goes to: same method, and
// the path template with the most fixed segments that fits.
func matchOperation(ops []specOperation, method, path string) (specOperation, bool) {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(path, "/")
	best, bestFixed, found := specOperation{}, -1, false
	for _, op := range ops {
		tsegs := strings.Split(op.path, "/")
		if op.method != method || len(tsegs) != len(segs) {
			continue
		}
		fixed, ok := 0, true
		for i, s := range tsegs {
			switch {
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			case s == segs[i]:
				fixed++
			default:
				ok = false
			}
		}
		if ok && fixed > bestFixed {
			best, bestFixed, found = op, fixed, true
		}
	}
	return best, found
}

// TestMatrixCoversEveryOperation: every operation of the API's OpenAPI
// document has a row in the authorization matrix, but those listed in
// unauthenticated; and every row is an operation of the document.
func TestMatrixCoversEveryOperation(t *testing.T) {
	t.Parallel()
	ops := specOperations(t)
	// The rows' paths need ids; any will do to find their operation.
	e := &env{tokenID: map[string]uuid.UUID{}}
	covered := map[string]bool{}
	for _, r := range routes {
		op, ok := matchOperation(ops, r.method, r.path(e))
		if !ok {
			t.Errorf("matrix row %q (%s %s) is no operation of the API", r.name, r.method, r.path(e))
			continue
		}
		covered[op.method+" "+op.path] = true
	}
	for _, op := range ops {
		key := op.method + " " + op.path
		_, open := unauthenticated[key]
		switch {
		case open && op.secured:
			t.Errorf("%s is listed as needing no token, but it requires one: give it a matrix row", key)
		case open && covered[key]:
			t.Errorf("%s is listed as needing no token and has a matrix row", key)
		case open:
		case !op.secured:
			t.Errorf("%s needs no token: list it in unauthenticated, saying why, or require a token", key)
		case !covered[key]:
			t.Errorf("%s has no row in the authorization matrix (routes in matrix_test.go)", key)
		}
	}
	for key := range unauthenticated {
		if !slices.ContainsFunc(ops, func(op specOperation) bool { return op.method+" "+op.path == key }) {
			t.Errorf("unauthenticated lists %s, which is no operation of the API", key)
		}
	}
}
