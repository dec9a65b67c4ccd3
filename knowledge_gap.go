package onboardiq

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// A knowledge gap is a question the assistant could not answer: it found
// nothing relevant, the asker passed the question on to a person, or the
// asker rated the answer unhelpful (docs/knowledge-gaps.md). Staff see the
// gaps grouped by meaning and write the articles they call for.

// GapReason says why a question counts as a gap.
type GapReason string

// The reasons.
const (
	GapNothingFound GapReason = "nothing_found" // the assistant found nothing relevant to answer from
	GapEscalated    GapReason = "escalated"     // the asker passed the question to the support member
	GapUnhelpful    GapReason = "unhelpful"     // the asker rated the answer unhelpful
)

// GapReasons lists every reason.
var GapReasons = []GapReason{GapNothingFound, GapEscalated, GapUnhelpful}

// Label is how pages name the reason.
func (r GapReason) Label() string {
	switch r {
	case GapNothingFound:
		return "nothing found"
	case GapEscalated:
		return "passed to a person"
	case GapUnhelpful:
		return "rated unhelpful"
	}
	return string(r)
}

// MaxRatingComment bounds the comment of a rating.
const MaxRatingComment = 2000

// AnswerRating is an asker's verdict on the latest answer of their own
// assistant conversation: helpful or not, with an optional comment. Rating
// again replaces it.
type AnswerRating struct {
	ConversationID uuid.UUID
	Helpful        bool
	Comment        string
}

// Normalise trims the comment and checks its length.
func (r *AnswerRating) Normalise() error {
	r.Comment = strings.TrimSpace(r.Comment)
	if utf8.RuneCountInString(r.Comment) > MaxRatingComment {
		return Invalid("comment", "must be at most %d characters", MaxRatingComment)
	}
	return nil
}

// Rating is a stored rating.
type Rating struct {
	ConversationID uuid.UUID `json:"conversation_id"`
	Helpful        bool      `json:"helpful"`
	Comment        string    `json:"comment"`
	RatedAt        time.Time `json:"rated_at"`
}

// GapQuestion is one question of a knowledge-gap group.
type GapQuestion struct {
	ID         uuid.UUID   `json:"id"`
	Question   string      `json:"question"`
	Reasons    []GapReason `json:"reasons"`
	AskedAt    time.Time   `json:"asked_at"`
	AskerID    uuid.UUID   `json:"asker_id"`
	CustomerID *uuid.UUID  `json:"customer_id,omitempty" doc:"The asker's customer; none when staff asked."`
	ProjectID  *uuid.UUID  `json:"project_id,omitempty" doc:"The project the question was about."`
}

// GapGroup is a group of questions that mean the same thing, labelled by
// its most central question.
type GapGroup struct {
	Representative GapQuestion   `json:"representative"`
	Questions      []GapQuestion `json:"questions" doc:"Every question of the group, the representative first, then newest first."`
	Count          int           `json:"count" doc:"How many questions."`
	Askers         int           `json:"askers" doc:"How many different people asked."`
	Projects       int           `json:"projects" doc:"How many projects the questions were about."`
	BlockedDays    float64       `json:"blocked_days" doc:"Days the asking projects spent with a blocked task since they first asked (docs/knowledge-gaps.md)."`
	LastAskedAt    time.Time     `json:"last_asked_at"`
	Score          float64       `json:"score" doc:"The ranking: count + askers + blocked_days / 7."`
	Public         bool          `json:"public" doc:"A customer contact asked: the article should be public."`
	// AnsweredBy is the article that now answers the group (published or
	// changed since its last question, and found by the assistant for
	// the representative question); such groups are listed only when
	// asked for.
	AnsweredBy *ArticleRef `json:"answered_by,omitempty"`
}

// ArticleRef names an article.
type ArticleRef struct {
	ID    uuid.UUID `json:"id"`
	Title string    `json:"title"`
}

// GapReport is the knowledge-gap report: the open groups, best first.
type GapReport struct {
	Groups   []GapGroup `json:"groups"`
	Answered int        `json:"answered" doc:"How many groups an article now answers (listed with include_answered)."`
	Since    time.Time  `json:"since" doc:"The report covers the questions asked since then."`
}

// CanReadKnowledgeGaps reports whether p may read the knowledge-gap report:
// the staff, who read every article (the knowledge base's pages are the
// staff's); writing the article the report calls for is EditArticles.
func CanReadKnowledgeGaps(p *Principal) bool {
	return p != nil && p.Role.IsStaff()
}

// ArticleDraftFromGap is the new article a gap group calls for: titled by
// its representative question, with the group's questions as an outline.
func ArticleDraftFromGap(g GapGroup) NewArticle {
	title := strings.Join(strings.Fields(g.Representative.Question), " ")
	title = strings.TrimRight(title, "?")
	if r := []rune(title); len(r) > 100 {
		title = strings.TrimSpace(string(r[:99])) + "…"
	}
	var b strings.Builder
	b.WriteString("Draft from the knowledge-gap report: people asked these questions and the assistant could not answer them.\n\n")
	b.WriteString("## Questions this article answers\n\n")
	seen := map[string]bool{}
	n := 0
	for _, q := range g.Questions {
		text := strings.Join(strings.Fields(q.Question), " ")
		if seen[strings.ToLower(text)] || n == 20 {
			continue
		}
		seen[strings.ToLower(text)] = true
		n++
		b.WriteString("- " + text + "\n")
	}
	b.WriteString("\n## Steps\n\n1. \n")
	vis := VisibilityInternal
	if g.Public {
		vis = VisibilityPublic
	}
	return NewArticle{Title: title, Content: b.String(), Visibility: vis}
}
