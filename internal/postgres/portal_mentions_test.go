package postgres

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// TestPortalMentionable: on a project's portal page, a contact may mention
// whom the notifier accepts on a task customers see, and the portal
// suggests their colleagues and the staff they work with: the customer's
// CSM (first), and staff holding a task of the project that customers
// see; not staff who hold only internal tasks, nor the rest of the staff;
// never a disabled user or another customer's contact.
func TestPortalMentionable(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	ctx := context.Background()
	user := func(email, name string, role onboardiq.Role, customer *uuid.UUID) uuid.UUID {
		t.Helper()
		u, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: email, Name: name, Role: role, CustomerID: customer})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	cara := user("cara@acme.test", "Cara Csm", onboardiq.RoleCSM, nil)
	sol := user("sol@acme.test", "Sol Shared", onboardiq.RoleCSM, nil)
	ivy := user("ivy@acme.test", "Ivy Internal", onboardiq.RoleCSM, nil)
	vic := user("vic@acme.test", "Vic Viewer", onboardiq.RoleViewer, nil)
	col := user("col@globex.test", "Col League", onboardiq.RoleCustomer, &f.customer.ID)
	gone := user("gina@globex.test", "Gina Gone", onboardiq.RoleCustomer, &f.customer.ID)
	if _, err := f.db.UpdateUser(f.as, gone, onboardiq.UserPatch{Disabled: onboardiq.Set(true)}); err != nil {
		t.Fatal(err)
	}
	initech, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	ida := user("ida@initech.test", "Ida Initech", onboardiq.RoleCustomer, &initech.ID)
	if _, err := f.db.AssignSupportMember(f.as, f.customer.ID, &cara); err != nil {
		t.Fatal(err)
	}
	pr := f.project(t, f.customer, "Rollout", 0)
	var shared *onboardiq.Task
	for _, task := range []struct {
		who uuid.UUID
		vis onboardiq.Visibility
	}{{sol, onboardiq.VisibilityCustomer}, {ivy, onboardiq.VisibilityInternal}} {
		created, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Task"), Visibility: onboardiq.Set(task.vis), AssignedTo: onboardiq.Set(task.who)})
		if err != nil {
			t.Fatal(err)
		}
		if task.vis == onboardiq.VisibilityCustomer {
			shared = created
		}
	}

	var got []PortalMentionable
	var notifier []Mentionable
	if err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
		b := &pgx.Batch{}
		queuePortalMentionable(b, f.tenant, f.customer.ID, pr.ID, &got)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		a, err := tx.TaskAudience(ctx, shared.ID, nil)
		if err != nil {
			return err
		}
		notifier, err = tx.Mentionable(ctx, a)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	sorted := func(ids []uuid.UUID) []uuid.UUID {
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		return ids
	}
	var all, suggested, csm, wantAll []uuid.UUID
	for _, m := range got {
		all = append(all, m.UserID)
		if m.Suggested {
			suggested = append(suggested, m.UserID)
		}
		if m.CSM {
			csm = append(csm, m.UserID)
		}
	}
	for _, m := range notifier {
		wantAll = append(wantAll, m.UserID)
	}
	if !slices.Equal(sorted(all), sorted(wantAll)) {
		t.Errorf("the portal reads %v, the notifier accepts %v", all, wantAll)
	}
	admin := onboardiq.PrincipalFromContext(f.as).UserID
	for _, id := range []uuid.UUID{admin, vic, ivy} {
		if !slices.Contains(all, id) {
			t.Errorf("staff %v is not mentionable", id)
		}
	}
	if want := sorted([]uuid.UUID{cara, sol, f.contact.ID, col}); !slices.Equal(sorted(suggested), want) {
		t.Errorf("the portal suggests %v, want the CSM, the staff holding a shared task and the colleagues %v", suggested, want)
	}
	if len(got) == 0 || got[0].UserID != cara || !slices.Equal(csm, []uuid.UUID{cara}) {
		t.Errorf("the CSM is not first and alone marked so: %+v", got)
	}
	for _, id := range []uuid.UUID{gone, ida} {
		if slices.Contains(all, id) {
			t.Errorf("%v (disabled, or another customer's) is mentionable", id)
		}
	}
}
