package web

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mention"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// mentionCandidate is someone a comment box suggests when "@" is typed
// (app.js, "mentions").
type mentionCandidate struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Detail string `json:"detail"` // the staff member's role, or the contact's company
	// Insert is what choosing them types: "@Full Name", or "@email" when
	// the name alone would not mention them (two people share it).
	Insert string `json:"insert"`
}

// roleNames are the staff roles as the suggestions show them.
var roleNames = map[onboardiq.Role]string{
	onboardiq.RoleAdmin:       "Admin",
	onboardiq.RoleCSM:         "CSM",
	onboardiq.RoleSalesLeader: "Sales leader",
	onboardiq.RoleViewer:      "Viewer",
}

// mentionCandidates is the JSON of the people a comment by viewer may
// mention that its box suggests, out of people (everyone the notifier
// accepts on the task): describe says whether to suggest people[i], and
// what to show beside their name. The viewer is never suggested (a
// mention of oneself notifies no one). Each is inserted by the text that
// the notifier's parser reads as them alone among people; one it cannot
// (a name and an address both shared) is left out.
func mentionCandidates(people []postgres.Mentionable, viewer uuid.UUID, describe func(i int) (string, bool)) (string, error) {
	all := make([]mention.Person, len(people))
	for i, p := range people {
		all[i] = mention.Person{Name: p.Name, Email: p.Email}
	}
	out := []mentionCandidate{}
	for i, p := range people {
		detail, ok := describe(i)
		if !ok || p.UserID == viewer {
			continue
		}
		insert := ""
		for _, tok := range []string{p.Name, p.Email} {
			if slices.Equal(mention.Find("@"+tok+" ", all), []int{i}) {
				insert = "@" + tok
				break
			}
		}
		if insert == "" {
			continue
		}
		out = append(out, mentionCandidate{Name: p.Name, Email: p.Email, Detail: detail, Insert: insert})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("mention candidates: %w", err)
	}
	return string(b), nil
}

// consoleMentions is whom the console's task page suggests to viewer:
// everyone the notifier accepts, staff with their role and contacts with
// their company (the task's customer).
func consoleMentions(pg *postgres.StaffTaskPage, viewer uuid.UUID) (string, error) {
	return mentionCandidates(pg.Mentionable, viewer, func(i int) (string, bool) {
		if r := pg.Mentionable[i].Role; r != onboardiq.RoleCustomer {
			return roleNames[r], true
		}
		return pg.Customer, true
	})
}

// portalMentions is whom the portal's comment boxes on a project suggest
// to the contact viewer (postgres.PortalMentionable): their support
// contact, the support team they work with, and their colleagues.
func portalMentions(people []postgres.PortalMentionable, viewer uuid.UUID) (string, error) {
	all := make([]postgres.Mentionable, len(people))
	for i, p := range people {
		all[i] = p.Mentionable
	}
	return mentionCandidates(all, viewer, func(i int) (string, bool) {
		p := people[i]
		switch {
		case !p.Suggested:
			return "", false
		case p.CSM:
			return "Your support contact", true
		case p.Role == onboardiq.RoleCustomer:
			return "Colleague", true
		}
		return "Support team", true
	})
}
