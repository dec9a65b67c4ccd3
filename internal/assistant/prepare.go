package assistant

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Prepare checks the question, admits it (limits and budget) and
// retrieves the sources the asker may see: public articles (all articles
// for staff), the task or project asked about, and similar tasks
// (relatedSource). A question refused for its input or a limit changes
// nothing and costs nothing: the ids it names are checked, and the call
// admitted, in one transaction before anything is embedded.
func (s *Service) Prepare(ctx context.Context, q Question) (*Prepared, error) {
	p := onboardiq.PrincipalFromContext(ctx)
	if p == nil {
		return nil, onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "not signed in")
	}
	q.Text = strings.TrimSpace(q.Text)
	if n := utf8.RuneCountInString(q.Text); n == 0 || n > 2000 {
		return nil, onboardiq.Invalid("question", "must be 1 to 2000 characters")
	}
	audience := "staff"
	if p.IsCustomer() {
		audience = "customer"
	}
	pr := &Prepared{q: q, principal: p, req: ai.Request{Task: ai.TaskAnswer, Question: q.Text, Audience: audience}}
	err := s.DB.InTenant(ctx, p.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		if err := pr.loadContext(ctx, tx); err != nil {
			return err
		}
		var err error
		pr.callID, err = tx.AdmitAICall(ctx, p, onboardiq.AICall{Kind: string(ai.TaskAnswer), Question: q.Text,
			Provider: s.Chat.Provider(), Model: s.Chat.Model()}, s.limits())
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.retrieve(ctx, pr); err != nil {
		s.abandon(ctx, p, pr.callID, err)
		return nil, err
	}
	return pr, nil
}

// loadContext reads the conversation continued and the task or project
// asked about; ids the asker may not see are invalid.
func (pr *Prepared) loadContext(ctx context.Context, tx *postgres.Tx) error {
	p, q := pr.principal, pr.q
	if q.ConversationID != nil {
		conv, err := tx.LoadConversation(ctx, p, *q.ConversationID)
		if err != nil {
			return onboardiq.Invalid("conversation_id", "no such conversation of yours")
		}
		for _, m := range conv.Messages {
			pr.req.History = append(pr.req.History, ai.Message{Role: m.Role, Content: m.Content})
		}
		if q.TaskID == nil {
			q.TaskID = conv.TaskID
		}
		if q.ProjectID == nil {
			q.ProjectID = conv.ProjectID
		}
		pr.q = q
	}
	if q.TaskID != nil {
		t, err := tx.TaskInContext(ctx, p, *q.TaskID)
		if err != nil {
			return onboardiq.Invalid("task_id", "no such task")
		}
		pr.add(ai.Source{Type: "task", ID: t.ID.String(), Title: t.Description, Text: taskText(t), Cite: true, Score: 1},
			Citation{Type: "task", ID: t.ID.String(), Title: t.Description, Snippet: snippet(t.Details)})
	}
	if q.ProjectID != nil {
		if _, err := tx.ProjectInContext(ctx, p, *q.ProjectID); err != nil {
			return onboardiq.Invalid("project_id", "no such project")
		}
	}
	return nil
}

// retrieve embeds the question and gathers the articles and tasks near it.
func (s *Service) retrieve(ctx context.Context, pr *Prepared) error {
	p, q := pr.principal, pr.q
	vec, mode, err := ai.SearchVector(ctx, s.Logger, s.Embedder, q.Text, onboardiq.SearchHybrid)
	if err != nil {
		return err
	}
	grounded := len(pr.req.Sources) > 0 // the task asked about
	err = s.DB.InTenantReadOnly(ctx, p.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		hits, err := tx.SearchArticles(ctx, postgres.SearchParams{Q: q.Text, Vector: vec, Model: s.Embedder.Model(),
			Mode: mode, Limit: 4, PublicOnly: p.IsCustomer()})
		if err != nil {
			return err
		}
		for _, h := range hits {
			if !relevant(h) {
				continue
			}
			a, err := tx.ArticleText(ctx, h.ID, p.IsCustomer())
			if err != nil {
				return err
			}
			ps, err := tx.ArticlePassages(ctx, h.ID, p.IsCustomer())
			if err != nil {
				return err
			}
			src := ai.Source{Type: "article", ID: h.ID.String(), Title: h.Title, Text: a, Cite: true, Score: h.Score}
			for _, x := range ps {
				src.Passages = append(src.Passages, ai.Passage{Heading: x.Heading, Anchor: x.Anchor, Text: x.Text, Best: x.Anchor == h.Anchor && x.Heading == h.Section})
			}
			pr.add(src, Citation{Type: "article", ID: h.ID.String(), Title: h.Title, Snippet: h.Snippet, Anchor: h.Anchor})
			grounded = true
		}
		tasks, err := tx.TasksNear(ctx, p, vec, s.Embedder.Model(), 3)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.Similarity < minSimilarity || (q.TaskID != nil && t.ID == *q.TaskID) {
				continue
			}
			if src, c, ok := relatedSource(t); ok {
				pr.add(src, c)
			}
		}
		if p.CustomerID != nil {
			pr.support, _ = tx.SupportMemberName(ctx, *p.CustomerID)
		}
		return nil
	})
	pr.nothingFound = !grounded
	return err
}

// abandon completes the record of an admitted call that ended before the
// model was asked.
func (s *Service) abandon(ctx context.Context, p *onboardiq.Principal, id uuid.UUID, cause error) {
	msg := cause.Error()
	err := s.DB.InTenant(context.WithoutCancel(ctx), p.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.FinishAICall(ctx, id, onboardiq.AICall{Provider: "none", Model: "none", Error: &msg})
	})
	if err != nil {
		s.Logger.ErrorContext(ctx, "record an abandoned ai call", "err", err)
	}
}
