package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

type namedPage struct {
	Items []struct {
		ID          uuid.UUID      `json:"id"`
		Name        string         `json:"name"`
		Segment     string         `json:"segment"`
		ContactInfo map[string]any `json:"contact_info"`
		ArchivedAt  *string        `json:"archived_at"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (p namedPage) names() string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.Name)
	}
	return strings.Join(out, ",")
}

// TestListFilters: the customers list leaves out archived customers unless
// asked; the projects list filters by CSM and at risk beside the others;
// customers take their contact details and segment, checked.
func TestListFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	get := func(caller, path string) namedPage {
		t.Helper()
		st, out := e.do(t, caller, "GET", path, nil)
		return decode[namedPage](t, st, out, http.StatusOK)
	}
	// Customers: created with details, archived, listed by the filter.
	st, out := e.do(t, "csm", "POST", "/customers", map[string]any{"name": "Customer Three", "segment": "Enterprise",
		"contact_info": map[string]any{"email": "Ops@Three.Test", "phone": "+44 20 7946 0000", "address": "1 High St", "website": "three.test", "crm_id": 42}})
	created := decode[struct {
		ID          uuid.UUID      `json:"id"`
		Segment     string         `json:"segment"`
		ContactInfo map[string]any `json:"contact_info"`
	}](t, st, out, http.StatusCreated)
	if created.Segment != "Enterprise" || created.ContactInfo["email"] != "ops@three.test" || created.ContactInfo["website"] != "https://three.test" ||
		created.ContactInfo["crm_id"] != float64(42) {
		t.Errorf("created: %s", out)
	}
	if st, out := e.do(t, "csm", "POST", "/customers/"+e.c2.String()+"/archive", nil); st != http.StatusOK || !strings.Contains(string(out), `"archived_at"`) {
		t.Fatalf("archive: %d %s", st, out)
	}
	if st, _ := e.do(t, "csm", "POST", "/customers/"+e.c2.String()+"/archive", nil); st != http.StatusConflict {
		t.Errorf("archive twice: %d", st)
	}
	for path, want := range map[string]string{
		"/customers":               "Customer One,Customer Three",
		"/customers?archived=true": "Customer Two",
		"/customers?archived=any":  "Customer One,Customer Three,Customer Two",
	} {
		if got := get("admin", path).names(); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	// No new project for the archived customer; its running one stays.
	st, out = e.do(t, "admin", "POST", "/projects", map[string]any{"customer_id": e.c2, "name": "Expansion"})
	if st != http.StatusUnprocessableEntity || !strings.Contains(string(out), `"location":"body.customer_id"`) || !strings.Contains(string(out), "archived") {
		t.Errorf("a project for an archived customer: %d %s", st, out)
	}
	if st, _ := e.do(t, "admin", "GET", "/projects/"+e.p2.String(), nil); st != http.StatusOK {
		t.Errorf("the archived customer's project: %d", st)
	}
	if st, out := e.do(t, "csm", "POST", "/customers/"+e.c2.String()+"/unarchive", nil); st != http.StatusOK || strings.Contains(string(out), `"archived_at"`) {
		t.Errorf("unarchive: %d %s", st, out)
	}

	// Projects: by CSM (both customers have the CSM), at risk.
	var admin uuid.UUID
	if err := e.db.App.InTenant(context.Background(), e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE email = 'admin@acme.test'`).Scan(&admin); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE projects SET at_risk = true, risk_reason = 'Slow' WHERE project_id = $1`, e.p2)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/projects?sort=name&support_member_id=" + e.csm.String(): "Customer One onboarding,Customer Two onboarding",
		"/projects?support_member_id=" + admin.String():           "",
		"/projects?at_risk=true":                                  "Customer Two onboarding",
		"/projects?at_risk=true&customer_id=" + e.c1.String():     "",
		"/projects?overdue=true":                                  "",
		"/projects?q=two&sort=-progress":                          "Customer Two onboarding",
	} {
		if got := get("viewer", path).names(); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	// The contact sees their own customer's project only, whatever the filter.
	if got := get("contact", "/projects?support_member_id="+e.csm.String()).names(); got != "Customer One onboarding" {
		t.Errorf("the contact's projects: %q", got)
	}
}

// TestMyTasksAPI: /me/tasks lists the caller's open tasks, overdue first,
// then by due date, paged; a contact is refused.
func TestMyTasksAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// One of the CSM's tasks fell due a week ago.
	if err := e.db.App.InTenant(context.Background(), e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tasks SET due_at = now() - interval '7 days' WHERE task_id = $1`, e.tv)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	type myTask struct {
		ID        uuid.UUID `json:"id"`
		DueAt     *string   `json:"due_at"`
		Project   string    `json:"project"`
		Customer  string    `json:"customer"`
		Overdue   bool      `json:"overdue"`
		ProjectID uuid.UUID `json:"project_id"`
	}
	var all []myTask
	cursor := ""
	for range 50 {
		st, out := e.do(t, "csm", "GET", "/me/tasks?limit=5&cursor="+cursor, nil)
		pg := decode[struct {
			Items      []myTask `json:"items"`
			NextCursor string   `json:"next_cursor"`
		}](t, st, out, http.StatusOK)
		all = append(all, pg.Items...)
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if len(all) < 6 || all[0].ID != e.tv || !all[0].Overdue || all[0].Project != "Customer One onboarding" || all[0].Customer != "Customer One" {
		t.Fatalf("the CSM's tasks: %d, first %+v", len(all), all[0])
	}
	seen := map[uuid.UUID]bool{}
	for i, m := range all {
		if seen[m.ID] {
			t.Errorf("%s listed twice", m.ID)
		}
		seen[m.ID] = true
		if i > 0 && !m.Overdue && !all[i-1].Overdue && all[i-1].DueAt != nil && m.DueAt != nil && *m.DueAt < *all[i-1].DueAt {
			t.Errorf("out of order at %d: %s after %s", i, *m.DueAt, *all[i-1].DueAt)
		}
		if i > 0 && m.Overdue {
			t.Errorf("an overdue task at %d", i)
		}
	}
	if st, _ := e.do(t, "contact", "GET", "/me/tasks", nil); st != http.StatusForbidden {
		t.Errorf("a contact's tasks: %d", st)
	}
}
