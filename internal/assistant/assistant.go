// Package assistant answers questions grounded in a tenant's knowledge base
// and onboarding history: it retrieves what the asker may see, has the chat
// model (or the offline responder) answer from it, cites its sources, and
// records every call.
package assistant

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Service is the assistant.
type Service struct {
	DB       *postgres.DB
	Embedder ai.Embedder
	Chat     ai.Chat
	Logger   *slog.Logger
	// Limits bound every call that may reach the model; zero values take
	// DefaultLimits'.
	Limits Limits
}

// Limits bound the calls to the assistant: per user and per tenant in a
// window, and one user's share of the tenant's monthly token budget.
type Limits = postgres.AskLimits

// Rate is N calls per Window.
type Rate = postgres.Rate

// DefaultLimits are the limits when none are set (ONBOARDIQ_ASSISTANT_USER_LIMIT,
// ONBOARDIQ_ASSISTANT_TENANT_LIMIT, ONBOARDIQ_AI_USER_BUDGET_PERCENT).
var DefaultLimits = Limits{User: Rate{N: 20, Window: 10 * time.Minute}, Tenant: Rate{N: 300, Window: 10 * time.Minute}, UserBudgetPercent: 25}

func (s *Service) limits() Limits {
	l := s.Limits
	if l.User.N <= 0 || l.User.Window <= 0 {
		l.User = DefaultLimits.User
	}
	if l.Tenant.N <= 0 || l.Tenant.Window <= 0 {
		l.Tenant = DefaultLimits.Tenant
	}
	if l.UserBudgetPercent <= 0 || l.UserBudgetPercent > 100 {
		l.UserBudgetPercent = DefaultLimits.UserBudgetPercent
	}
	return l
}

// abandon completes the record of an admitted call that ended before the
// model was asked.
func (s *Service) abandon(ctx context.Context, p *onboardiq.Principal, id uuid.UUID, cause error) {
	msg := cause.Error()
	err := s.DB.InTenant(context.WithoutCancel(ctx), p.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return postgres.FinishAICall(ctx, tx, id, postgres.AICall{Provider: "none", Model: "none", Error: &msg})
	})
	if err != nil {
		s.Logger.ErrorContext(ctx, "record an abandoned ai call", "err", err)
	}
}

// Citation is a source an answer used.
type Citation struct {
	Type    string `json:"type" enum:"article,task"`
	ID      string `json:"id"`
	Title   string `json:"title"`
	Snippet string `json:"snippet"`
}

// Answer is the assistant's reply.
type Answer struct {
	Answer         string     `json:"answer" doc:"Markdown, sanitised: no images (their alt text stays), no raw HTML, links to http, https and mailto only; at most 50,000 characters (a longer answer is cut with a note)."`
	Citations      []Citation `json:"citations"`
	ConversationID *uuid.UUID `json:"conversation_id,omitempty"`
	// NothingFound is true when nothing relevant was found: the answer
	// says so and offers to pass the question to the support member
	// (POST /assistant/escalate).
	NothingFound bool   `json:"nothing_found"`
	Provider     string `json:"provider"`
	Model        string `json:"model"`
}

// Question is what a user asks.
type Question struct {
	Text           string
	ProjectID      *uuid.UUID
	TaskID         *uuid.UUID
	ConversationID *uuid.UUID
}

// Prepared is a question with everything retrieved for it, ready for the
// model.
type Prepared struct {
	q            Question
	req          ai.Request
	nothingFound bool
	cites        []Citation // by source index
	principal    *onboardiq.Principal
	support      string    // the support member's name, for the offer
	callID       uuid.UUID // the audit record, begun when the ask was admitted
}

// minSimilarity is the cosine similarity above which a semantic match
// counts as relevant (keyword matches always do).
const minSimilarity = 0.3

// relevant reports whether a search hit is worth answering from: it
// matched words of the question, or is close enough in meaning.
func relevant(h onboardiq.ArticleHit) bool {
	return h.KeywordRank != nil || (h.Similarity != nil && *h.Similarity >= minSimilarity)
}

// Prepare checks the question and the budget and retrieves the sources
// the asker may see: public articles (all articles for staff), the task or
// project asked about, and similar tasks (relatedSource).
func (s *Service) Prepare(ctx context.Context, q Question) (*Prepared, error) {
	p := onboardiq.PrincipalFromContext(ctx)
	if p == nil {
		return nil, onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "not signed in")
	}
	q.Text = strings.TrimSpace(q.Text)
	if n := utf8.RuneCountInString(q.Text); n == 0 || n > 2000 {
		return nil, onboardiq.Invalid("question", "must be 1 to 2000 characters")
	}
	// Admitted first: a refused ask costs nothing, not even an embedding.
	callID, err := s.DB.BeginAICall(ctx, postgres.AICall{Kind: string(ai.TaskAnswer), Question: q.Text,
		Provider: s.Chat.Provider(), Model: s.Chat.Model()}, s.limits())
	if err != nil {
		return nil, err
	}
	pr, err := s.retrieve(ctx, p, q)
	if err != nil {
		s.abandon(ctx, p, callID, err)
		return nil, err
	}
	pr.callID = callID
	return pr, nil
}

// retrieve gathers the sources of a question.
func (s *Service) retrieve(ctx context.Context, p *onboardiq.Principal, q Question) (*Prepared, error) {
	var vec []float32
	if v, err := s.Embedder.Embed(ctx, []string{q.Text}); err != nil {
		s.Logger.WarnContext(ctx, "embed the question; retrieving by keyword only", "err", err)
	} else {
		vec = v[0]
	}
	audience := "staff"
	if p.IsCustomer() {
		audience = "customer"
	}
	pr := &Prepared{q: q, principal: p, req: ai.Request{Task: ai.TaskAnswer, Question: q.Text, Audience: audience}}
	grounded := false
	err := s.DB.InTenantReadOnly(ctx, p.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		if q.ConversationID != nil {
			conv, err := postgres.LoadConversation(ctx, tx, p, *q.ConversationID)
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
			t, err := postgres.TaskInContext(ctx, tx, p, *q.TaskID)
			if err != nil {
				return onboardiq.Invalid("task_id", "no such task")
			}
			pr.add(ai.Source{Type: "task", ID: t.ID.String(), Title: t.Description, Text: taskText(t), Cite: true, Score: 1},
				Citation{Type: "task", ID: t.ID.String(), Title: t.Description, Snippet: snippet(t.Details)})
			grounded = true
		}
		if q.ProjectID != nil {
			if _, err := postgres.ProjectInContext(ctx, tx, p, *q.ProjectID); err != nil {
				return onboardiq.Invalid("project_id", "no such project")
			}
		}
		mode := onboardiq.SearchHybrid
		if vec == nil {
			mode = onboardiq.SearchKeyword
		}
		hits, err := postgres.SearchArticles(ctx, tx, postgres.SearchParams{Q: q.Text, Vector: vec, Model: s.Embedder.Model(),
			Mode: mode, Limit: 4, PublicOnly: p.IsCustomer()})
		if err != nil {
			return err
		}
		for _, h := range hits {
			if !relevant(h) {
				continue
			}
			a, err := postgres.ArticleText(ctx, tx, h.ID, p.IsCustomer())
			if err != nil {
				return err
			}
			pr.add(ai.Source{Type: "article", ID: h.ID.String(), Title: h.Title, Text: a, Cite: true, Score: h.Score},
				Citation{Type: "article", ID: h.ID.String(), Title: h.Title, Snippet: h.Snippet})
			grounded = true
		}
		tasks, err := postgres.TasksNear(ctx, tx, p, vec, s.Embedder.Model(), 3)
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
			pr.support, _ = postgres.SupportMemberName(ctx, tx, *p.CustomerID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pr.nothingFound = !grounded
	return pr, nil
}

func (pr *Prepared) add(s ai.Source, c Citation) {
	pr.req.Sources = append(pr.req.Sources, s)
	pr.cites = append(pr.cites, c)
}

// Run has the model answer a prepared question, streaming the sanitised
// text through onDelta, then stores the conversation turn and the audit
// record. An answer longer than MaxAnswer is cut there, with a note.
func (s *Service) Run(ctx context.Context, pr *Prepared, onDelta func(string) error) (*Answer, error) {
	ans := &Answer{Provider: s.Chat.Provider(), Model: s.Chat.Model(), Citations: []Citation{}, NothingFound: pr.nothingFound}
	start := time.Now()
	var usage ai.Usage
	var callErr error
	if pr.nothingFound {
		// Say so instead of guessing; no model call.
		who := "your support member"
		if pr.support != "" {
			who = "your support member, " + pr.support
		}
		ans.Answer = "I couldn't find anything about this in the knowledge base or your onboarding plan, so I'd rather not guess. " +
			"Would you like me to pass your question to " + who + "?"
		ans.Provider, ans.Model = "none", "none"
		if onDelta != nil {
			callErr = onDelta(ans.Answer)
		}
	} else {
		ans.Answer, usage, callErr = s.complete(ctx, pr.req, onDelta)
		ans.Citations = citations(ans.Answer, pr.cites, pr.req.Sources)
	}
	latency := time.Since(start)
	// Record the call even when it failed; store the turn only when it
	// did not.
	err := s.DB.InTenant(context.WithoutCancel(ctx), pr.principal.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		call := postgres.AICall{Provider: ans.Provider, Model: ans.Model, InputTokens: usage.InputTokens, OutputTokens: usage.OutputTokens,
			LatencyMS: int(latency.Milliseconds()), Sources: callSources(pr.req.Sources)}
		if callErr == nil {
			id, err := postgres.SaveTurn(ctx, tx, pr.principal, pr.q.ConversationID, pr.q.ProjectID, pr.q.TaskID, pr.q.Text, ans.Answer, ans.Citations)
			if err != nil {
				return err
			}
			ans.ConversationID, call.ConversationID = &id, &id
		} else {
			msg := callErr.Error()
			call.Error = &msg
		}
		return postgres.FinishAICall(ctx, tx, pr.callID, call)
	})
	if callErr != nil {
		return nil, fmt.Errorf("assistant: %w", callErr)
	}
	return ans, err
}

var citeMark = regexp.MustCompile(`\[(\d{1,2})\]`)

// citations returns the sources an answer cites by number ([2]); when it
// cites none, the citable sources it was given, best first.
func citations(answer string, cites []Citation, sources []ai.Source) []Citation {
	out := []Citation{}
	seen := map[int]bool{}
	for _, m := range citeMark.FindAllStringSubmatch(answer, -1) {
		i, _ := strconv.Atoi(m[1])
		if i >= 1 && i <= len(cites) && !seen[i] && sources[i-1].Cite {
			seen[i] = true
			out = append(out, cites[i-1])
		}
	}
	if len(out) > 0 {
		return out
	}
	for i, c := range cites {
		if sources[i].Cite && len(out) < 3 {
			out = append(out, c)
		}
	}
	return out
}

func callSources(src []ai.Source) []postgres.CallSource {
	out := make([]postgres.CallSource, len(src))
	for i, s := range src {
		out[i] = postgres.CallSource{Type: s.Type, ID: s.ID, Title: s.Title}
	}
	return out
}

func taskText(t *onboardiq.Task) string {
	s := fmt.Sprintf("%s\nStatus: %s", t.Description, t.Status)
	if t.DueAt != nil {
		s += "\nDue: " + t.DueAt.Format("2 Jan 2006")
	}
	if t.BlockedReason != nil {
		s += "\nBlocked because: " + *t.BlockedReason
	}
	if t.Details != "" {
		s += "\n" + t.Details
	}
	return s
}

func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}
