package assistant

import (
	"fmt"
	"strings"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// similarTitle stands for another customer's task in a contact's prompt.
const similarTitle = "A similar task of an earlier onboarding"

// relatedSource turns a retrieved task into a source, as its asker may
// see it:
//
//   - a contact's own company's task: its own words, citable;
//   - another customer's task, for a contact: only the tenant's template
//     text of the task it was made from and an outcome made of numbers and
//     generic words (how long it took, whether and by what kind of thing it
//     was blocked), never that customer's words, comments, names or project;
//     a task made from no template has nothing to say and is left out;
//   - any task, for staff: its words, project, outcome, blocked reason and
//     latest comments, citable.
func relatedSource(t postgres.RelatedTask) (ai.Source, Citation, bool) {
	id := t.ID.String()
	switch {
	case t.Anonymous:
		if t.Template == nil {
			return ai.Source{}, Citation{}, false
		}
		text := strings.TrimSpace(t.Template.Description + "\n" + t.Template.Details)
		text += "\n" + outcome(t)
		return ai.Source{Type: "task", ID: id, Title: similarTitle, Text: text, Score: t.Similarity},
			Citation{Type: "task", ID: id, Title: similarTitle}, true
	case t.Own:
		return ai.Source{Type: "task", ID: id, Title: t.Description, Text: t.Description + "\n" + t.Details, Cite: true, Score: t.Similarity},
			Citation{Type: "task", ID: id, Title: t.Description, Snippet: snippet(t.Details)}, true
	}
	title := t.Description + " — " + t.ProjectName
	text := fmt.Sprintf("%s\nProject: %s\n%s", t.Description, t.ProjectName, outcome(t))
	if t.Details != "" {
		text += "\n" + t.Details
	}
	if t.BlockedReason != nil {
		text += "\nBlocked because: " + *t.BlockedReason
	}
	for _, c := range t.Comments {
		text += fmt.Sprintf("\nComment by %s: %s", c.Author, c.Body)
	}
	return ai.Source{Type: "task", ID: id, Title: title, Text: text, Cite: true, Score: t.Similarity},
		Citation{Type: "task", ID: id, Title: title, Snippet: snippet(t.Details)}, true
}

// outcome says how a task went in numbers and generic words.
func outcome(t postgres.RelatedTask) string {
	s := "Outcome: " + strings.ReplaceAll(string(t.Status), "_", " ")
	if t.DaysToDo != nil {
		s += fmt.Sprintf(", %.0f days after its project started", *t.DaysToDo)
	}
	if t.DaysLate != nil {
		switch late := *t.DaysLate; {
		case late >= 1:
			s += fmt.Sprintf(", %.0f days after its due date", late)
		case late <= -1:
			s += fmt.Sprintf(", %.0f days before its due date", -late)
		default:
			s += ", on its due date"
		}
	}
	s += "."
	if t.WasBlocked {
		s += " It was blocked on the way, by " + t.BlockedKind + "."
	}
	return s
}
