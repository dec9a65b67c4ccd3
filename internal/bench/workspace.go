package bench

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Scale is how much synthetic data `onboardiq bench` measures on.
type Scale struct {
	Name string
	// Data are the tenants with their help-centre articles (the data set
	// of `bench search`, so the two share what --keep kept). The largest
	// is the workspace the HTTP rows read; the median one is the small
	// tenant of the search rows.
	Data DataSet
	// Customers of the workspace, each with a contact and
	// ProjectsPerCustomer projects from the default template (its tasks).
	Customers           int
	ProjectsPerCustomer int
	// ImportRows is the size of the CSV file the import row loads.
	ImportRows int
	// FanOutTasks tasks change status and back: two events each at least.
	FanOutTasks int
	// ScanProjects projects of ScanTasks tasks each, over ScanTenants
	// tenants, are the delay scan's (the scan section, bench scan).
	ScanProjects, ScanTenants, ScanTasks int
}

// Scales are the scales --scale names: small, quick enough for a test and
// a laptop; large, the scale of issue 18's findings (a tenant of 20,000
// articles among 200,000, the data set `make bench-search` keeps).
var Scales = map[string]Scale{
	"small": {Name: "small", Data: DataSet{Corpus: Corpus{Seed: 1}, Tenants: 3, Articles: 300, Skewed: true},
		Customers: 20, ProjectsPerCustomer: 2, ImportRows: 2000, FanOutTasks: 100,
		ScanProjects: 2000, ScanTenants: 20, ScanTasks: 5},
	"large": {Name: "large", Data: DataSet{Corpus: Corpus{Seed: 1}, Tenants: 200, Articles: 200000, Skewed: true},
		Customers: 1000, ProjectsPerCustomer: 5, ImportRows: 100000, FanOutTasks: 2500,
		ScanProjects: GoalScanProjects, ScanTenants: 10000, ScanTasks: 5},
}

// Workspace is the loaded data the HTTP rows use.
type Workspace struct {
	Scale   Scale
	Tenants []Tenant
	// Main is the workspace of the point reads, lists and pages (the
	// largest tenant); Small the median tenant (a search row's small one).
	Main, Small Tenant
	Admin       uuid.UUID // Main's admin, whose API token the API rows use
	CSM         uuid.UUID // Main's CSM, whose session the staff pages use
	Contact     uuid.UUID // the first customer's contact, whose session the portal uses
	SmallAdmin  uuid.UUID // Small's admin
	Projects    []uuid.UUID
	// ContactProjects are the first customer's projects (the portal's).
	ContactProjects []uuid.UUID
	Tasks           int
	Stats           WorkspaceStats
}

// WorkspaceStats says what loading the workspace did.
type WorkspaceStats struct {
	Articles  LoadStats `json:"articles"`
	Customers int       `json:"customers_inserted"`
	Projects  int       `json:"projects_inserted"`
	Embedded  int       `json:"vectors_embedded"`
	Seconds   float64   `json:"seconds"`
}

// customerBatch is how many customers (with their contacts and projects)
// one transaction inserts.
const customerBatch = 10

// Email addresses of the workspace's people: .invalid, which no mail
// reaches.
func csmEmail(slug string) string            { return "bench-csm@" + slug + ".invalid" }
func adminEmail(slug string) string          { return "bench@" + slug + ".invalid" }
func contactEmail(slug string, i int) string { return fmt.Sprintf("contact-%05d@%s.invalid", i, slug) }

// LoadWorkspace loads the scale's data set (Load) and, in its largest
// tenant, the CSM, the customers with a contact each and their projects
// from the default template, through the store's building blocks
// (tx.CreateUser, tx.CreateCustomer, tx.CreateProject, tx.RefreshProject,
// each recording its events) and embeds them (jobs.Reembed). Like Load, a
// workspace a run with --keep left is reused and completed where it stopped:
// customers go in order, a batch of customerBatch with their projects per
// transaction, so the count says how far it got.
func LoadWorkspace(ctx context.Context, db *postgres.DB, e ai.Embedder, s Scale, workers int, logf func(string, ...any)) (*Workspace, error) {
	start := time.Now()
	tenants, stats, err := Load(ctx, db, e, s.Data, workers, logf)
	if err != nil {
		return nil, err
	}
	w := &Workspace{Scale: s, Tenants: tenants, Main: tenants[0]}
	w.Stats.Articles = stats
	bySize := append([]Tenant(nil), tenants...)
	sort.SliceStable(bySize, func(i, j int) bool { return bySize[i].Articles > bySize[j].Articles })
	w.Small = bySize[len(bySize)/2]
	tenant := w.Main.ID
	var have int
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND email = $2`, tenant, adminEmail(w.Main.Slug)).Scan(&w.Admin); err != nil {
			return fmt.Errorf("admin: %w", err)
		}
		err := tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND email = $2`, tenant, csmEmail(w.Main.Slug)).Scan(&w.CSM)
		if errors.Is(err, pgx.ErrNoRows) {
			u, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: csmEmail(w.Main.Slug), Name: "Bench CSM", Role: onboardiq.RoleCSM})
			if err != nil {
				return fmt.Errorf("csm: %w", err)
			}
			w.CSM = u.ID
		} else if err != nil {
			return fmt.Errorf("csm: %w", err)
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM customers WHERE tenant_id = $1`, tenant).Scan(&have)
	})
	if err != nil {
		return nil, err
	}
	if err := db.InTenantReadOnly(ctx, w.Small.ID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND email = $2`, w.Small.ID, adminEmail(w.Small.Slug)).Scan(&w.SmallAdmin)
	}); err != nil {
		return nil, fmt.Errorf("admin of %s: %w", w.Small.Slug, err)
	}
	if have > s.Customers {
		return nil, fmt.Errorf("tenant %s has %d customers, more than the %d of the scale: remove it (run once without --keep)", w.Main.Slug, have, s.Customers)
	}
	for i := have; i < s.Customers; i += customerBatch {
		end := min(i+customerBatch, s.Customers)
		if err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return w.addCustomers(ctx, tx, i, end, start)
		}); err != nil {
			return nil, err
		}
		w.Stats.Customers += end - i
		w.Stats.Projects += (end - i) * s.ProjectsPerCustomer
		if logf != nil && (end == s.Customers || (end/customerBatch)%20 == 0) {
			logf("workspace %s: %d/%d customers, %s elapsed", w.Main.Slug, end, s.Customers, time.Since(start).Round(time.Second))
		}
	}
	// The projects' and tasks' vectors (similar projects, the assistant).
	if w.Stats.Embedded, err = jobs.Reembed(ctx, db, e, []uuid.UUID{tenant}, nil); err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	if err := w.read(ctx, db); err != nil {
		return nil, err
	}
	w.Stats.Seconds = time.Since(start).Seconds()
	return w, nil
}

// addCustomers inserts customers [from, to) with a contact each and their
// projects. Projects start on a spread of days before now, so that their
// tasks are due at various times.
func (w *Workspace) addCustomers(ctx context.Context, tx *postgres.Tx, from, to int, now time.Time) error {
	var template uuid.UUID
	if err := tx.QueryRow(ctx, `SELECT template_id FROM templates WHERE tenant_id = $1 AND is_default`, tx.TenantID()).Scan(&template); err != nil {
		return fmt.Errorf("default template: %w", err)
	}
	for i := from; i < to; i++ {
		arr, renewal, ext := float64(5000+100*(i%97)), now.AddDate(0, 1+i%11, 0).Format(time.DateOnly), fmt.Sprintf("bench-%05d", i)
		c, err := tx.CreateCustomer(ctx, onboardiq.NewCustomer{Name: fmt.Sprintf("Customer %05d", i), SupportMemberID: &w.CSM,
			ARR: &arr, RenewalDate: &renewal, ExternalID: &ext, Segment: []string{"smb", "mid-market", "enterprise"}[i%3]})
		if err != nil {
			return fmt.Errorf("customer %d: %w", i, err)
		}
		if _, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: contactEmail(w.Main.Slug, i), Name: fmt.Sprintf("Contact %05d", i),
			Role: onboardiq.RoleCustomer, CustomerID: &c.ID}); err != nil {
			return fmt.Errorf("contact %d: %w", i, err)
		}
		for j := range w.Scale.ProjectsPerCustomer {
			startDate := now.AddDate(0, 0, -((i*w.Scale.ProjectsPerCustomer + j) % 45))
			p, err := tx.CreateProject(ctx, onboardiq.NewProject{CustomerID: c.ID, Name: fmt.Sprintf("Onboarding %05d-%d", i, j),
				Description: "A synthetic onboarding project of the bench.", StartDate: startDate, TemplateID: &template})
			if err != nil {
				return fmt.Errorf("project %d-%d: %w", i, j, err)
			}
			if err := tx.RefreshProject(ctx, p.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// read finds the workspace's projects and the first customer's contact.
func (w *Workspace) read(ctx context.Context, db *postgres.DB) error {
	return db.InTenantReadOnly(ctx, w.Main.ID, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT project_id FROM projects WHERE tenant_id = $1 ORDER BY project_id`, w.Main.ID)
		if err != nil {
			return err
		}
		if w.Projects, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return err
		}
		var customer uuid.UUID
		err = tx.QueryRow(ctx, `SELECT u.user_id, u.customer_id FROM tenant_users u WHERE u.tenant_id = $1 AND u.email = $2`,
			w.Main.ID, contactEmail(w.Main.Slug, 0)).Scan(&w.Contact, &customer)
		if err != nil {
			return fmt.Errorf("the first contact: %w", err)
		}
		rows, err = tx.Query(ctx, `SELECT project_id FROM projects WHERE tenant_id = $1 AND customer_id = $2 ORDER BY project_id`, w.Main.ID, customer)
		if err != nil {
			return err
		}
		if w.ContactProjects, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return err
		}
		if len(w.Projects) == 0 || len(w.ContactProjects) == 0 {
			return fmt.Errorf("the workspace has no projects")
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE tenant_id = $1`, w.Main.ID).Scan(&w.Tasks)
	})
}

// Describe is the data a report names.
func (w *Workspace) Describe() map[string]any {
	return map[string]any{
		"tenants": len(w.Tenants), "articles": w.Scale.Data.Articles, "seed": w.Scale.Data.Corpus.Seed,
		"workspace": w.Main.Slug, "workspace_articles": w.Main.Articles,
		"customers": w.Scale.Customers, "projects": len(w.Projects), "tasks": w.Tasks,
		"small_tenant": w.Small.Slug, "small_tenant_articles": w.Small.Articles,
		"load": w.Stats,
	}
}
