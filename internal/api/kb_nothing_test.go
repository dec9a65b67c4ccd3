package api_test

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// queriesWithoutWords have no word the embedder or the full-text parser
// keeps: stop words and punctuation only.
var queriesWithoutWords = []string{"the", "a", "...", "?", "(((", "to the of", "  a  "}

// TestSearchWithoutSearchableWords: a query with nothing to search for
// answers 200 with an empty, well-formed result in every mode, for
// customers and staff (it once embedded to a zero vector, whose cosine
// similarity is NaN, and the body was not JSON); the assistant says it
// found nothing.
func TestSearchWithoutSearchableWords(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	for _, caller := range []string{"contact", "csm"} {
		for _, mode := range []string{"hybrid", "semantic", "keyword"} {
			for _, q := range queriesWithoutWords {
				st, body := e.do(t, caller, "GET", "/kb/search?mode="+mode+"&q="+url.QueryEscape(q), nil)
				var res struct {
					Mode  *string
					Model *string
					Hits  *[]json.RawMessage
				}
				if st != 200 || json.Unmarshal(body, &res) != nil {
					t.Errorf("%s, %s, %q: %d %s, want 200 with JSON", caller, mode, q, st, body)
					continue
				}
				if res.Mode == nil || *res.Mode != mode || res.Model == nil || res.Hits == nil || len(*res.Hits) != 0 {
					t.Errorf("%s, %s, %q: %s, want {mode, model, hits: []}", caller, mode, q, body)
				}
			}
		}
		for _, q := range queriesWithoutWords {
			st, body := e.do(t, caller, "POST", "/assistant/ask", map[string]any{"question": q})
			if a := decode[answerJSON](t, st, body, 200); !a.NothingFound || len(a.Citations) != 0 {
				t.Errorf("%s asks %q: %s, want nothing found", caller, q, body)
			}
		}
	}
}

// TestZeroVectorsStoredEarlier: vectors of zero length stored before they
// were refused (an article, a project and a task whose text had no words)
// never reach a cosine comparison: search and the similar-items endpoints
// answer JSON with finite scores.
func TestZeroVectorsStoredEarlier(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newDemoEnv(t)
	super, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	zero := "[" + strings.TrimSuffix(strings.Repeat("0,", 768), ",") + "]"
	for _, q := range []string{
		`UPDATE kb_passages SET vector_embedding = $1 WHERE article_id IN (SELECT article_id FROM knowledge_base WHERE title LIKE 'Set up SAML%')`,
		`UPDATE projects SET vector_embedding = $1 WHERE name = 'Globex EU region expansion'`,
		`UPDATE tasks SET vector_embedding = $1 WHERE description = 'Import your historical data'`,
	} {
		if tag, err := super.Exec(ctx, q, zero); err != nil || tag.RowsAffected() == 0 {
			t.Fatalf("%s: %v (%d rows)", q, err, tag.RowsAffected())
		}
	}
	var project, task, euTask string
	err = super.QueryRow(ctx, `
SELECT p.project_id, t.task_id, (SELECT task_id FROM tasks WHERE description = 'Import your historical data' AND project_id =
       (SELECT project_id FROM projects WHERE name = 'Globex EU region expansion'))
FROM projects p JOIN tasks t ON t.project_id = p.project_id
WHERE p.name = 'Initech Health onboarding' AND t.description = 'Import your historical data'`).Scan(&project, &task, &euTask)
	if err != nil {
		t.Fatal(err)
	}
	finite := func(path string, body []byte) {
		t.Helper()
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Errorf("%s: not JSON: %s", path, body)
			return
		}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			case float64:
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%s: a score that is not a number: %s", path, body)
				}
			}
		}
		walk(v)
	}
	for _, path := range []string{
		"/kb/search?mode=semantic&q=" + url.QueryEscape("set up SAML single sign-on"),
		"/kb/search?mode=hybrid&q=" + url.QueryEscape("set up SAML single sign-on"),
		"/projects/" + project + "/similar",
		"/tasks/" + task + "/similar",
		"/tasks/" + euTask + "/similar",
	} {
		st, body := e.do(t, "csm", "GET", path, nil)
		if st != 200 {
			t.Errorf("%s: %d %s", path, st, body)
			continue
		}
		finite(path, body)
	}
	st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": "How do I import my historical data?"})
	decode[answerJSON](t, st, body, 200)
}
