package postgres

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// TestTaskPageOffersWhomTheNotifierReaches: the console's task page lists
// as mentionable exactly the users the mention notifier accepts
// (Tx.Mentionable): active staff, and the task's customer's active
// contacts when customers see the task; never a disabled user, a contact
// of another customer, or anyone of another tenant.
func TestTaskPageOffersWhomTheNotifierReaches(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	ctx := context.Background()
	user := func(email, name string, role onboardiq.Role, customer *uuid.UUID) *onboardiq.User {
		t.Helper()
		u, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: email, Name: name, Role: role, CustomerID: customer})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	csm := user("cara@acme.test", "Cara Csm", onboardiq.RoleCSM, nil)
	viewer := user("vic@acme.test", "Vic Viewer", onboardiq.RoleViewer, nil)
	gone := user("gus@acme.test", "Gus Gone", onboardiq.RoleViewer, nil)
	goneContact := user("gina@globex.test", "Gina Gone", onboardiq.RoleCustomer, &f.customer.ID)
	for _, u := range []*onboardiq.User{gone, goneContact} {
		if _, err := f.db.UpdateUser(f.as, u.ID, onboardiq.UserPatch{Disabled: onboardiq.Set(true)}); err != nil {
			t.Fatal(err)
		}
	}
	initech, err := f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	other := user("ida@initech.test", "Ida Initech", onboardiq.RoleCustomer, &initech.ID)
	if _, err := f.db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Elsewhere", Slug: "elsewhere", AdminEmail: "eve@elsewhere.test", AdminName: "Eve"}); err != nil {
		t.Fatal(err)
	}

	pr := f.project(t, f.customer, "Rollout", 0)
	shared, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Shared"), Visibility: onboardiq.Set(onboardiq.VisibilityCustomer)})
	if err != nil {
		t.Fatal(err)
	}
	internal, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Internal"), Visibility: onboardiq.Set(onboardiq.VisibilityInternal)})
	if err != nil {
		t.Fatal(err)
	}

	ids := func(ms []Mentionable) []uuid.UUID {
		out := make([]uuid.UUID, len(ms))
		for i, m := range ms {
			out[i] = m.UserID
		}
		slices.SortFunc(out, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		return out
	}
	admin := onboardiq.PrincipalFromContext(f.as).UserID
	for _, c := range []struct {
		task      *onboardiq.Task
		want, not []uuid.UUID
	}{
		{shared, []uuid.UUID{admin, csm.ID, viewer.ID, f.contact.ID}, []uuid.UUID{gone.ID, goneContact.ID, other.ID}},
		{internal, []uuid.UUID{admin, csm.ID, viewer.ID}, []uuid.UUID{gone.ID, goneContact.ID, other.ID, f.contact.ID}},
	} {
		page, err := f.db.LoadStaffTaskPage(f.as, c.task.ID)
		if err != nil {
			t.Fatal(err)
		}
		var notifier []Mentionable
		if err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
			a, err := tx.TaskAudience(ctx, c.task.ID, nil)
			if err != nil {
				return err
			}
			notifier, err = tx.Mentionable(ctx, a)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(page.Mentionable, notifier) {
			t.Errorf("%s: the page offers %+v, the notifier accepts %+v", c.task.Description, page.Mentionable, notifier)
		}
		got := ids(page.Mentionable)
		want := slices.Clone(c.want)
		slices.SortFunc(want, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		if !slices.Equal(got, want) {
			t.Errorf("%s: offers %v, want %v", c.task.Description, got, want)
		}
		for _, u := range c.not {
			if slices.Contains(got, u) {
				t.Errorf("%s: offers %v, who cannot see it or is disabled", c.task.Description, u)
			}
		}
		// Staff first, by name; each with their role.
		for i, m := range page.Mentionable {
			if i > 0 && page.Mentionable[i-1].Role == onboardiq.RoleCustomer && m.Role != onboardiq.RoleCustomer {
				t.Errorf("%s: staff %s after a contact", c.task.Description, m.Name)
			}
			if m.UserID == f.contact.ID && (m.Role != onboardiq.RoleCustomer || m.Email != "c@globex.test" || m.Name != "Contact") {
				t.Errorf("the contact reads %+v", m)
			}
			if m.UserID == csm.ID && m.Role != onboardiq.RoleCSM {
				t.Errorf("the CSM reads %+v", m)
			}
		}
	}
}
