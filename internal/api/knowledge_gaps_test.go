package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// runGapEmbeddings runs the embed_gap jobs of acme's gaps, as the worker
// would.
func (e *demoEnv) runGapEmbeddings(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT gap_id FROM knowledge_gaps WHERE tenant_id = $1`, e.acme)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		t.Fatal(err)
	}
	var jobsQueued int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'embed_gap'`).Scan(&jobsQueued); err != nil {
		t.Fatal(err)
	}
	if jobsQueued < len(ids) {
		t.Errorf("%d embed_gap jobs for %d gaps", jobsQueued, len(ids))
	}
	for _, id := range ids {
		if err := jobs.EmbedGap(ctx, e.db.App, ai.Local{}, postgres.GapEmbedArgs{TenantID: e.acme, GapID: id}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *demoEnv) gapReport(t *testing.T, caller, query string) onboardiq.GapReport {
	t.Helper()
	st, body := e.do(t, caller, "GET", "/knowledge-gaps"+query, nil)
	return decode[onboardiq.GapReport](t, st, body, 200)
}

func findGroup(r onboardiq.GapReport, question string) *onboardiq.GapGroup {
	for i, g := range r.Groups {
		for _, q := range g.Questions {
			if q.Question == question {
				return &r.Groups[i]
			}
		}
	}
	return nil
}

// TestKnowledgeGapClosesWhenTheArticleIsPublished asks what the knowledge
// base does not answer (nothing found: a gap, grouped with its paraphrase),
// writes the article the report calls for through the store, embeds it,
// and asks again: the answer cites the article and the group leaves the
// report, listed as answered by the article only when asked for.
func TestKnowledgeGapClosesWhenTheArticleIsPublished(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	const q1, q2 = "Bitcoin?", "bitcoin or ethereum?"
	for _, q := range []string{q1, q2} {
		st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": q})
		if a := decode[answerJSON](t, st, body, 200); !a.NothingFound {
			t.Fatalf("%q: %s, want nothing found (the demo has no article about it)", q, body)
		}
	}
	e.runGapEmbeddings(t)

	if st, body := e.do(t, "contact", "GET", "/knowledge-gaps", nil); st != 403 {
		t.Errorf("a contact reads the gaps: %d %s", st, body)
	}
	r := e.gapReport(t, "csm", "")
	g := findGroup(r, q1)
	if g == nil {
		t.Fatalf("report %+v: no group with %q", r, q1)
	}
	if g.Count != 2 || g.Askers != 1 || !g.Public || findGroup(r, q2) != g || g.AnsweredBy != nil {
		t.Fatalf("group %+v, want both questions of the contact, public, open", g)
	}
	for _, q := range g.Questions {
		if len(q.Reasons) != 1 || q.Reasons[0] != onboardiq.GapNothingFound {
			t.Errorf("%q: reasons %v, want nothing_found", q.Question, q.Reasons)
		}
	}

	// Write the article the report calls for, through the store.
	draft := onboardiq.ArticleDraftFromGap(*g)
	if !strings.Contains(draft.Content, "- "+q1) || !strings.Contains(draft.Content, "- "+q2) || draft.Visibility != onboardiq.VisibilityPublic {
		t.Fatalf("draft %+v, want the questions as an outline, public", draft)
	}
	draft.Title = "Paying with bitcoin"
	draft.Content = strings.Replace(draft.Content, "1. \n",
		"We accept bitcoin for annual plans.\n\n1. Open **Billing → Invoices** and choose the invoice.\n2. Choose **Pay with bitcoin** to see the wallet address.\n", 1)
	var article uuid.UUID
	err := e.db.App.InTenant(context.Background(), e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		article, err = tx.CreateArticle(ctx, draft)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.Reembed(context.Background(), e.db.App, ai.Local{}, []uuid.UUID{e.acme}, nil); err != nil {
		t.Fatal(err)
	}

	st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": q1})
	a := decode[answerJSON](t, st, body, 200)
	cited := false
	for _, c := range a.Citations {
		cited = cited || c.ID == article.String()
	}
	if a.NothingFound || !cited {
		t.Fatalf("asked again: %s, want an answer citing the new article %s", body, article)
	}

	r = e.gapReport(t, "csm", "")
	if g := findGroup(r, q1); g != nil || r.Answered < 1 {
		t.Errorf("after the article: group %+v still listed (answered %d)", g, r.Answered)
	}
	r = e.gapReport(t, "admin", "?include_answered=true")
	g = findGroup(r, q1)
	if g == nil || g.AnsweredBy == nil || g.AnsweredBy.ID != article {
		t.Errorf("with include_answered: %+v, want the group answered by %s", g, article)
	}
}

// TestUnhelpfulRatingIsAGap: a contact rates an answer unhelpful through
// the API (the question joins the report), then helpful (it leaves).
func TestUnhelpfulRatingIsAGap(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	const q = "How do I set up SSO?"
	st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": q})
	a := decode[answerJSON](t, st, body, 200)
	if a.NothingFound {
		t.Fatalf("answer %s", body)
	}
	if st, body := e.do(t, "csm", "POST", "/assistant/feedback", map[string]any{"conversation_id": a.ConversationID, "helpful": false}); st != 404 {
		t.Errorf("the CSM rates the contact's answer: %d %s, want 404", st, body)
	}
	st, body = e.do(t, "contact", "POST", "/assistant/feedback", map[string]any{"conversation_id": a.ConversationID, "helpful": false, "comment": "It skips Okta."})
	if rating := decode[onboardiq.Rating](t, st, body, 200); rating.Helpful || rating.Comment != "It skips Okta." {
		t.Errorf("rating %s", body)
	}
	e.runGapEmbeddings(t)
	g := findGroup(e.gapReport(t, "admin", ""), q)
	if g == nil || len(g.Questions[0].Reasons) != 1 || g.Questions[0].Reasons[0] != onboardiq.GapUnhelpful {
		t.Fatalf("group %+v, want the question, rated unhelpful", g)
	}
	if st, body := e.do(t, "contact", "POST", "/assistant/feedback", map[string]any{"conversation_id": a.ConversationID, "helpful": true}); st != 200 {
		t.Fatalf("rate helpful: %d %s", st, body)
	}
	if g := findGroup(e.gapReport(t, "admin", "?include_answered=true"), q); g != nil {
		t.Errorf("rated helpful, still a gap: %+v", g)
	}
	if st, body := e.do(t, "contact", "POST", "/assistant/feedback", map[string]any{"conversation_id": a.ConversationID, "helpful": true, "comment": strings.Repeat("x", 2001)}); st != 422 {
		t.Errorf("a long comment: %d %s, want 422", st, body)
	}
}

// TestKnowledgeGapReportSearchesOnlyAfterAnArticleChanged: the report
// asks whether a group is answered (a search) only when an article
// changed after the group's last question, so that reading it costs no
// search while the knowledge base stands still.
func TestKnowledgeGapReportSearchesOnlyAfterAnArticleChanged(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	const q = "Bitcoin?"
	if st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": q}); !decode[answerJSON](t, st, body, 200).NothingFound {
		t.Fatalf("%q: %s, want nothing found", q, body)
	}
	e.runGapEmbeddings(t)

	rt := &roundTrips{}
	srv := tracedServer(t, e.env, rt)
	report := func() (onboardiq.GapReport, int) {
		t.Helper()
		rt.take()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/knowledge-gaps", nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["csm"])
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return decode[onboardiq.GapReport](t, resp.StatusCode, body, 200), rt.containing("FROM kb_passages")
	}

	r, searches := report()
	if findGroup(r, q) == nil || searches != 0 {
		t.Errorf("no article changed since the question: group %+v and %d searches, want the group and none", findGroup(r, q), searches)
	}
	err := e.db.App.InTenant(context.Background(), e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: "Office hours", Content: "We answer from nine to five.", Visibility: onboardiq.VisibilityPublic})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, searches = report(); findGroup(r, q) == nil || searches == 0 {
		t.Errorf("an article published since the question: group %+v and %d searches, want the group still open, searched for", findGroup(r, q), searches)
	}
}
