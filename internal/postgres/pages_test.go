package postgres

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/secret"
)

// TestProjectPageReadsInFixedRoundTrips: a project's page costs the same
// statements with 5 tasks as with 50 (each commented on), for staff and
// for a customer contact: one read-only transaction, no query per task.
func TestProjectPageReadsInFixedRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testAppURL(t)
	ring, err := secret.NewKeyring([][]byte{make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, url, WithSecrets(ring))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ten, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Acme", Slug: "acme", AdminEmail: "a@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := db.Authenticate(ctx, ten.Token)
	if err != nil {
		t.Fatal(err)
	}
	as := onboardiq.NewContextWithPrincipal(ctx, admin)
	c, err := db.CreateCustomer(as, onboardiq.NewCustomer{Name: "Globex"})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := db.CreateUser(as, onboardiq.NewUser{Email: "c@globex.test", Name: "Contact", Role: onboardiq.RoleCustomer, CustomerID: &c.ID})
	if err != nil {
		t.Fatal(err)
	}
	var projects []*onboardiq.Project
	for _, n := range []int{5, 50} {
		pr, err := db.CreateProject(as, onboardiq.NewProject{CustomerID: c.ID, Name: fmt.Sprintf("%d tasks", n)})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			task, err := db.CreateTask(as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set(fmt.Sprintf("Task %d", i)), AssignedTo: onboardiq.Set(contact.ID)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.AddComment(as, task.ID, "Noted."); err != nil {
				t.Fatal(err)
			}
		}
		projects = append(projects, pr)
	}
	tr := &tracer{}
	traced := tracedDB(t, url, tr)
	asContact := onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: ten.Tenant.ID, UserID: contact.ID,
		Role: onboardiq.RoleCustomer, CustomerID: &c.ID})
	for who, ctx := range map[string]context.Context{"staff": as, "contact": asContact} {
		var sent [][]string
		for i, pr := range projects {
			page, err := traced.LoadProjectPage(ctx, pr.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := []int{5, 50}[i]
			if len(page.Tasks) != want || len(page.Comments) != want {
				t.Errorf("%s: %d tasks, %d commented; want %d", who, len(page.Tasks), len(page.Comments), want)
			}
			if who == "contact" && page.Contacts[contact.ID] != "Contact" {
				t.Errorf("the contact's company: %v", page.Contacts)
			}
			sent = append(sent, tr.take())
			t.Logf("%s, %d tasks: %v", who, want, sent[len(sent)-1])
		}
		if !slices.Equal(sent[0], sent[1]) || len(sent[0]) < 2 || len(sent[0]) > 6 {
			t.Errorf("%s: 5 tasks cost %v, 50 cost %v; want the same few round trips", who, sent[0], sent[1])
		}
	}
}
