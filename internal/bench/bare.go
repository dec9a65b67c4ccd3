package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Bare is the practical limit the app is measured against: plain net/http
// and pgx over a pool of its own (as large as the app's, connected as the
// same application role, so under the same row-level security), answering
// the routes the bench requests with the least a correct server must do.
//
// Authentication is a map lookup of the run's tokens and sessions
// (Credentials.Principals): no token hashing, no session read, no API-call
// metering. For the point read and the two lists it runs the app's own SQL
// (copied from internal/postgres: projects_service.go, tasks_service.go,
// dependencies.go; it must follow them) in one read-only tenant
// transaction, the tenant's SET LOCAL and the statements pipelined after
// BEGIN and COMMIT sent once they are read — two round trips, with UUIDs
// encoded natively — and writes the same JSON. For the search, the pages
// and the assistant, whose SQL is long and changing, it calls the store's
// and the assistant's own reads with the caller's principal and writes
// their result as JSON: what those rows' ratios show is what the app adds
// around them (authentication, the framework, templates, middleware).
type Bare struct {
	DB        *postgres.DB
	Embedder  ai.Embedder
	Assistant *assistant.Service
	Creds     map[string]*onboardiq.Principal
	Logger    *slog.Logger
}

// Handler returns the bare handler's routes.
func (b *Bare) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/projects/{id}", b.auth(b.pointRead))
	mux.HandleFunc("GET /api/v1/projects", b.auth(b.listProjects))
	mux.HandleFunc("GET /api/v1/projects/{id}/tasks", b.auth(b.listTasks))
	mux.HandleFunc("GET /api/v1/kb/search", b.auth(b.search))
	mux.HandleFunc("POST /api/v1/assistant/ask", b.auth(b.ask))
	mux.HandleFunc("GET /app", b.auth(b.dashboard))
	mux.HandleFunc("GET /app/projects/{id}", b.auth(b.staffProject))
	mux.HandleFunc("GET /portal/{slug}/projects/{id}", b.auth(b.portalProject))
	return mux
}

type bareFunc func(w http.ResponseWriter, r *http.Request, p *onboardiq.Principal) error

// auth is the minimal check: the bearer token or the session cookie must
// be one of the run's.
func (b *Bare) auth(next bareFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			if c, err := r.Cookie(SessionCookie); err == nil {
				key = c.Value
			}
		}
		p := b.Creds[key]
		if p == nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if err := next(w, r.WithContext(onboardiq.NewContextWithPrincipal(r.Context(), p)), p); err != nil {
			status := http.StatusInternalServerError
			switch onboardiq.ErrorCode(err) {
			case onboardiq.ENOTFOUND:
				status = http.StatusNotFound
			case onboardiq.EINVALID:
				status = http.StatusUnprocessableEntity
			}
			if status == http.StatusInternalServerError && b.Logger != nil {
				b.Logger.Error("bare handler", "path", r.URL.Path, "err", err)
			}
			http.Error(w, http.StatusText(status), status)
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func nativeUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

// contact is the customer a contact is limited to (NULL for staff).
func contact(p *onboardiq.Principal) pgtype.UUID {
	if p.CustomerID == nil {
		return pgtype.UUID{}
	}
	return nativeUUID(*p.CustomerID)
}

var errNotFound = onboardiq.Errorf(onboardiq.ENOTFOUND, "not found")

// inTenant runs one read-only transaction of tenant on a connection of
// pool: BEGIN, SET LOCAL and the batch's statements in one round trip, read
// by read (which may run more statements), then COMMIT.
func inTenant(ctx context.Context, pool *pgxpool.Pool, tenant uuid.UUID, b *pgx.Batch, read func(pgx.BatchResults, *pgx.Conn) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection released inside a transaction is closed, not reused.
	defer conn.Release()
	full := &pgx.Batch{}
	full.Queue("BEGIN READ ONLY")
	full.Queue("SET LOCAL app.tenant_id = '" + tenant.String() + "'")
	full.QueuedQueries = append(full.QueuedQueries, b.QueuedQueries...)
	br := conn.SendBatch(ctx, full)
	for range 2 {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return err
		}
	}
	if err := read(br, conn.Conn()); err != nil {
		_ = br.Close()
		return err
	}
	if err := br.Close(); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "COMMIT")
	return err
}

// The app's SQL (internal/postgres, projects_service.go).
const (
	bareOverdue        = `coalesce(p.deadline < now() AND p.status NOT IN ('completed', 'on_hold', 'cancelled'), false)`
	bareProjectColumns = `p.tenant_id, p.project_id, p.customer_id, p.template_id, p.name, p.description, p.status,
    p.status_reason, coalesce(p.status_changed_at, p.completed_at, p.created_at), p.held_days,
    p.progress, p.start_date, p.deadline, p.completed_at, ` + bareOverdue + `, p.forecast_finish, p.at_risk, p.risk_reason,
    p.custom_fields, p.created_at, p.updated_at`
	bareGetProject = `SELECT ` + bareProjectColumns + ` FROM projects p
WHERE p.tenant_id = $1 AND ($2::uuid IS NULL OR p.customer_id = $2) AND p.project_id = $3`
	// The list with its defaults: newest first, no filter, no custom
	// field (the app's %[5]s is "true").
	bareListProjects = `
SELECT ` + bareProjectColumns + `, c.name, coalesce(s.name, '') FROM projects p
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
LEFT JOIN support_members s ON s.tenant_id = c.tenant_id AND s.support_member_id = c.support_member_id
WHERE p.tenant_id = $1 AND ($2::uuid IS NULL OR p.customer_id = $2)
  AND ($3::uuid IS NULL OR p.customer_id = $3)
  AND ($4::text = '' OR p.status = $4)
  AND (NOT $5 OR ` + bareOverdue + `)
  AND ($6::text = '' OR p.name ILIKE '%' || $6 || '%')
  AND ($7::text IS NULL OR (p.created_at, p.project_id) < ($7::timestamptz, $8))
  AND ($10::uuid IS NULL OR c.support_member_id = $10)
  AND (NOT $11 OR (p.at_risk AND p.status NOT IN ('completed', 'on_hold', 'cancelled')))
  AND true
ORDER BY p.created_at DESC, p.project_id DESC
LIMIT $9`
	// tasks_service.go and dependencies.go.
	bareTaskColumns = `t.tenant_id, t.task_id, t.project_id, p.customer_id, t.description, t.details, t.assigned_to,
    t.status, t.phase, t.position, t.start_at, t.due_at, t.visibility, t.blocked_reason, t.completed_at, t.created_at, t.updated_at,
    coalesce(a.customer_id = p.customer_id, false), t.completed_by`
	bareTaskWithProject = ` FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id `
	bareTaskVisible     = `($2::uuid IS NULL OR (p.customer_id = $2 AND t.visibility = 'customer'))`
	bareListTasks       = `SELECT ` + bareTaskColumns + bareTaskWithProject + `
    LEFT JOIN tenant_users a ON a.tenant_id = t.tenant_id AND a.user_id = t.assigned_to ` + `
WHERE t.tenant_id = $1 AND ` + bareTaskVisible + ` AND t.project_id = $3 AND (t.position, t.task_id) > ($4, $5)
  AND ($7::uuid IS NULL OR t.assigned_to = $7) AND ($8::text = '' OR t.status = $8)
ORDER BY t.position, t.task_id LIMIT $6`
	bareDependencies = `
SELECT d.task_id, t.task_id, t.description, t.status` + bareTaskWithProject + `
JOIN task_dependencies d ON d.tenant_id = t.tenant_id AND d.depends_on_task_id = t.task_id
WHERE t.tenant_id = $1 AND ` + bareTaskVisible + ` AND d.task_id = ANY ($3)
ORDER BY t.position, t.task_id`
)

// defaultLimit is the lists' default page size (onboardiq.ListOptions).
const defaultLimit = 50

func scanProject(row pgx.Row, extra ...any) (*onboardiq.Project, error) {
	p := &onboardiq.Project{}
	err := row.Scan(append([]any{&p.TenantID, &p.ID, &p.CustomerID, &p.TemplateID, &p.Name, &p.Description, &p.Status,
		&p.StatusReason, &p.StatusChangedAt, &p.HeldDays,
		&p.Progress, &p.StartDate, &p.Deadline, &p.CompletedAt, &p.Overdue, &p.ForecastFinish, &p.AtRisk, &p.RiskReason, &p.CustomFields, &p.CreatedAt, &p.UpdatedAt}, extra...)...)
	return p, err
}

func pathUUID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, onboardiq.Invalid("id", "is not a UUID")
	}
	return id, nil
}

func (b *Bare) pointRead(w http.ResponseWriter, r *http.Request, p *onboardiq.Principal) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	var pr *onboardiq.Project
	batch := &pgx.Batch{}
	batch.Queue(bareGetProject, nativeUUID(p.TenantID), contact(p), nativeUUID(id))
	err = inTenant(r.Context(), b.DB.Pool, p.TenantID, batch, func(br pgx.BatchResults, _ *pgx.Conn) error {
		var err error
		pr, err = scanProject(br.QueryRow())
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return writeJSON(w, pr)
}

func (b *Bare) listProjects(w http.ResponseWriter, r *http.Request, p *onboardiq.Principal) error {
	batch := &pgx.Batch{}
	batch.Queue(bareListProjects, nativeUUID(p.TenantID), contact(p), pgtype.UUID{}, "", false, "", (*string)(nil), nativeUUID(uuid.Nil), defaultLimit+1,
		pgtype.UUID{}, false)
	var items []*onboardiq.Project
	err := inTenant(r.Context(), b.DB.Pool, p.TenantID, batch, func(br pgx.BatchResults, _ *pgx.Conn) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		items, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*onboardiq.Project, error) {
			var customer, csm string
			return scanProject(row, &customer, &csm)
		})
		return err
	})
	if err != nil {
		return err
	}
	out := onboardiq.Page[*onboardiq.Project]{Items: items}
	if out.Items == nil {
		out.Items = []*onboardiq.Project{}
	}
	if len(items) > defaultLimit {
		last := items[defaultLimit-1]
		out.Items = items[:defaultLimit]
		out.NextCursor = cursor("-created_at", last.CreatedAt.Format(time.RFC3339Nano), last.ID)
	}
	return writeJSON(w, out)
}

// cursor is the app's opaque keyset cursor (internal/postgres, service.go).
func cursor(key ...any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (b *Bare) listTasks(w http.ResponseWriter, r *http.Request, p *onboardiq.Principal) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	// The project's check and the page of tasks together, then the
	// dependencies of the tasks read.
	batch := &pgx.Batch{}
	batch.Queue(bareGetProject, nativeUUID(p.TenantID), contact(p), nativeUUID(id))
	batch.Queue(bareListTasks, nativeUUID(p.TenantID), contact(p), nativeUUID(id), -1, nativeUUID(uuid.Nil), defaultLimit+1, pgtype.UUID{}, "")
	var tasks []*onboardiq.Task
	err = inTenant(r.Context(), b.DB.Pool, p.TenantID, batch, func(br pgx.BatchResults, conn *pgx.Conn) error {
		if _, err := scanProject(br.QueryRow()); err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		tasks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*onboardiq.Task, error) {
			t := &onboardiq.Task{}
			err := row.Scan(&t.TenantID, &t.ID, &t.ProjectID, &t.CustomerID, &t.Description, &t.Details, &t.AssignedTo,
				&t.Status, &t.Phase, &t.Position, &t.StartAt, &t.DueAt, &t.Visibility, &t.BlockedReason, &t.CompletedAt, &t.CreatedAt, &t.UpdatedAt, &t.CustomerSide, &t.CompletedBy)
			return t, err
		})
		if err != nil || len(tasks) == 0 {
			return err
		}
		// The results must be read before the next statement: close the
		// batch's results here (inTenant's Close is then a no-op).
		if err := br.Close(); err != nil {
			return err
		}
		return fillDependencies(r.Context(), conn, p, tasks[:min(len(tasks), defaultLimit)])
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	out := onboardiq.Page[*onboardiq.Task]{Items: tasks}
	if out.Items == nil {
		out.Items = []*onboardiq.Task{}
	}
	if len(tasks) > defaultLimit {
		last := tasks[defaultLimit-1]
		out.Items = tasks[:defaultLimit]
		out.NextCursor = cursor(last.Position, last.ID)
	}
	return writeJSON(w, out)
}

func fillDependencies(ctx context.Context, conn *pgx.Conn, p *onboardiq.Principal, tasks []*onboardiq.Task) error {
	byID := make(map[uuid.UUID]*onboardiq.Task, len(tasks))
	ids := make([]pgtype.UUID, 0, len(tasks))
	for _, t := range tasks {
		t.DependsOn, t.WaitingOn = []uuid.UUID{}, nil
		byID[t.ID] = t
		ids = append(ids, nativeUUID(t.ID))
	}
	rows, err := conn.Query(ctx, bareDependencies, nativeUUID(p.TenantID), contact(p), ids)
	if err != nil {
		return err
	}
	var (
		of     uuid.UUID
		pre    onboardiq.TaskRef
		status onboardiq.Status
	)
	_, err = pgx.ForEachRow(rows, []any{&of, &pre.ID, &pre.Description, &status}, func() error {
		t := byID[of]
		t.DependsOn = append(t.DependsOn, pre.ID)
		if !status.Finished() {
			t.WaitingOn = append(t.WaitingOn, pre)
		}
		return nil
	})
	return err
}

// search is GET /api/v1/kb/search as the API answers it: the query
// embedded by the same embedder, the store's search in one read-only
// transaction.
func (b *Bare) search(w http.ResponseWriter, r *http.Request, p *onboardiq.Principal) error {
	q, err := onboardiq.TrimQuery(r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	mode := onboardiq.SearchMode(r.URL.Query().Get("mode"))
	if mode == "" {
		mode = onboardiq.SearchHybrid
	}
	s := postgres.SearchParams{Q: q, Limit: 10, Model: b.Embedder.Model()}
	if s.Vector, s.Mode, err = ai.SearchVector(r.Context(), b.Logger, b.Embedder, q, mode); err != nil {
		return err
	}
	hits, err := b.DB.SearchArticles(r.Context(), s)
	if err != nil {
		return err
	}
	return writeJSON(w, map[string]any{"mode": s.Mode, "model": s.Model, "hits": hits})
}

// ask is POST /api/v1/assistant/ask answered as JSON by the same
// assistant (the offline responder unless one is configured).
func (b *Bare) ask(w http.ResponseWriter, r *http.Request, p *onboardiq.Principal) error {
	var in struct {
		Question string `json:"question"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return onboardiq.Invalid("body", "is not JSON")
	}
	prep, err := b.Assistant.Prepare(r.Context(), assistant.Question{Text: in.Question})
	if err != nil {
		return err
	}
	ans, err := b.Assistant.Run(r.Context(), prep, nil)
	if err != nil {
		return err
	}
	return writeJSON(w, ans)
}

func (b *Bare) dashboard(w http.ResponseWriter, r *http.Request, p *onboardiq.Principal) error {
	d, err := b.DB.LoadDashboard(r.Context(), time.Now())
	if err != nil {
		return err
	}
	return writeJSON(w, d)
}

func (b *Bare) staffProject(w http.ResponseWriter, r *http.Request, p *onboardiq.Principal) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	pg, err := b.DB.LoadStaffProjectPage(r.Context(), id, postgres.TaskView(""))
	if err != nil {
		return err
	}
	return writeJSON(w, pg)
}

func (b *Bare) portalProject(w http.ResponseWriter, r *http.Request, p *onboardiq.Principal) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	pg, err := b.DB.LoadPortalProjectPage(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, pg)
}
