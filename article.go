package onboardiq

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// Article is a knowledge-base article: public ones are for customers too,
// internal ones for staff only.
type Article struct {
	ID             uuid.UUID  `json:"id"`
	Title          string     `json:"title"`
	Content        string     `json:"content"`
	Visibility     Visibility `json:"visibility"`
	Tags           []string   `json:"tags"`
	Slug           *string    `json:"slug,omitempty"`
	EmbeddingModel *string    `json:"embedding_model,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// ArticlePatch changes an article.
type ArticlePatch struct {
	Title      Patch[string]
	Content    Patch[string]
	Visibility Patch[Visibility]
	Tags       Patch[[]string]
}

// Apply applies the patch to a and validates the result.
func (p *ArticlePatch) Apply(a *Article) error {
	if !p.Title.ApplyValue(&a.Title) {
		return Invalid("title", "is required")
	}
	if !p.Content.ApplyValue(&a.Content) {
		a.Content = ""
	}
	if !p.Visibility.ApplyValue(&a.Visibility) {
		return Invalid("visibility", "must be public or internal")
	}
	if !p.Tags.ApplyValue(&a.Tags) {
		a.Tags = nil
	}
	in := NewArticle{Title: a.Title, Content: a.Content, Visibility: a.Visibility, Tags: a.Tags}
	if err := in.Validate(); err != nil {
		return err
	}
	a.Title, a.Tags = in.Title, in.Tags
	return nil
}

// SearchMode picks how the knowledge base is searched.
type SearchMode string

const (
	SearchHybrid   SearchMode = "hybrid"   // both, fused by standard scores
	SearchSemantic SearchMode = "semantic" // by meaning: nearest embeddings
	SearchKeyword  SearchMode = "keyword"  // by words: PostgreSQL full text
)

// Valid reports whether m is a search mode.
func (m SearchMode) Valid() bool {
	return m == SearchHybrid || m == SearchSemantic || m == SearchKeyword
}

// ArticleHit is one search result.
type ArticleHit struct {
	ID           uuid.UUID  `json:"id"`
	Title        string     `json:"title"`
	Visibility   Visibility `json:"visibility"`
	Tags         []string   `json:"tags"`
	Score        float64    `json:"score" doc:"Fused score (hybrid), cosine similarity of the best passage (semantic) or BM25 (keyword)."`
	Snippet      string     `json:"snippet" doc:"An excerpt of the passage that matched best; matched words are marked «like this»."`
	KeywordRank  *int       `json:"keyword_rank,omitempty"`
	Similarity   *float64   `json:"similarity,omitempty" doc:"Cosine similarity to the query, when the semantic search found it."`
	SemanticRank *int       `json:"semantic_rank,omitempty"`
	Section      string     `json:"section,omitempty" doc:"The heading path of the article's passage that matched best (« › » between levels); empty when it is the text before the first heading."`
	Anchor       string     `json:"anchor,omitempty" doc:"The id of that passage's heading in the article's page, for a link to #anchor."`
	// MatchedWords is true when the article has a word of the query that
	// says something (not only stop words such as "how" or "the").
	MatchedWords bool `json:"-"`
	// Excerpt is Snippet in parts, matched or not, for pages that mark the
	// matches themselves: a « or » in the article is text here, never a mark.
	Excerpt Excerpt `json:"-"`
}

// Excerpt is a passage of text cut into parts, each one either words a
// search matched or the text between them.
type Excerpt []ExcerptPart

// ExcerptPart is one part of an Excerpt.
type ExcerptPart struct {
	Text  string
	Match bool
}

// Marked is the excerpt as plain text with the matched words «like this».
func (e Excerpt) Marked() string {
	var b strings.Builder
	for _, p := range e {
		if p.Match {
			b.WriteString("«" + p.Text + "»")
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// TrimQuery normalises a search query.
func TrimQuery(q string) (string, error) {
	q = strings.TrimSpace(q)
	if err := checkText("q", q, 1, 500); err != nil {
		return "", err
	}
	return q, nil
}
