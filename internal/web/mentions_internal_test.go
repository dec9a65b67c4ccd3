package web

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mention"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestPortalMentions: the portal suggests to a contact only those the
// store marks suggested (their support contact first, the support team
// they work with, their colleagues), never the contact themself, and
// inserts each by the text the notifier reads as them alone among
// everyone it accepts, suggested or not: a name shared with anyone is
// inserted as the address.
func TestPortalMentions(t *testing.T) {
	t.Parallel()
	person := func(name, email string, role onboardiq.Role, suggested, csm bool) postgres.PortalMentionable {
		return postgres.PortalMentionable{Mentionable: postgres.Mentionable{UserID: uuid.New(), Name: name, Email: email, Role: role}, Suggested: suggested, CSM: csm}
	}
	people := []postgres.PortalMentionable{
		person("Cara Csm", "cara@acme.test", onboardiq.RoleCSM, true, true),
		person("Sol Shared", "sol@acme.test", onboardiq.RoleCSM, true, false),
		person("Ann Lee", "ann@acme.test", onboardiq.RoleViewer, false, false), // not suggested, shares a name
		person("Vic Viewer", "vic@acme.test", onboardiq.RoleViewer, false, false),
		person("Me Myself", "me@globex.test", onboardiq.RoleCustomer, true, false),
		person("Ann Lee", "ann@globex.test", onboardiq.RoleCustomer, true, false),
		person("Col League", "col@globex.test", onboardiq.RoleCustomer, true, false),
	}
	js, err := portalMentions(people, people[4].UserID)
	if err != nil {
		t.Fatal(err)
	}
	var got []mentionCandidate
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatal(err)
	}
	want := []mentionCandidate{
		{"Cara Csm", "cara@acme.test", "Your support contact", "@Cara Csm"},
		{"Sol Shared", "sol@acme.test", "Support team", "@Sol Shared"},
		{"Ann Lee", "ann@globex.test", "Colleague", "@ann@globex.test"},
		{"Col League", "col@globex.test", "Colleague", "@Col League"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("the portal suggests %+v, want %+v", got, want)
	}
	all := make([]mention.Person, len(people))
	for i, p := range people {
		all[i] = mention.Person{Name: p.Name, Email: p.Email}
	}
	for _, c := range got {
		found := mention.Find(c.Insert+", hello", all)
		if len(found) != 1 || all[found[0]].Email != c.Email {
			t.Errorf("%q mentions %v, want %s alone", c.Insert, found, c.Email)
		}
	}
	// Nobody to suggest is an empty list, not null.
	if js, err := portalMentions(people[4:5], people[4].UserID); err != nil || js != "[]" {
		t.Errorf("only oneself: %s (%v)", js, err)
	}
}
