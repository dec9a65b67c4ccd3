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
// mention, out of people (everyone the notifier accepts on the task,
// contacts being of company): all of them but the viewer, whom a mention
// never notifies. Each is inserted by the text that the notifier's parser
// reads as them alone; one it cannot (a name and address both shared) is
// left out.
func mentionCandidates(people []postgres.Mentionable, viewer uuid.UUID, company string) (string, error) {
	all := make([]mention.Person, len(people))
	for i, p := range people {
		all[i] = mention.Person{Name: p.Name, Email: p.Email}
	}
	out := []mentionCandidate{}
	for i, p := range people {
		if p.UserID == viewer {
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
		detail := roleNames[p.Role]
		if p.Role == onboardiq.RoleCustomer {
			detail = company
		}
		out = append(out, mentionCandidate{Name: p.Name, Email: p.Email, Detail: detail, Insert: insert})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("mention candidates: %w", err)
	}
	return string(b), nil
}
