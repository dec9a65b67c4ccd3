// Package assistant answers questions grounded in a tenant's knowledge base
// and onboarding history: it retrieves what the asker may see, has the chat
// model (or the offline responder) answer from it, cites its sources, and
// records every call.
package assistant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

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
	// defaultLimits'.
	Limits Limits
}

// Limits bound the calls to the assistant: per user and per tenant in a
// window, and one user's share of the tenant's monthly token budget.
type Limits = postgres.AskLimits

// defaultLimits are the limits when none are set (ONBOARDIQ_ASSISTANT_USER_LIMIT,
// ONBOARDIQ_ASSISTANT_TENANT_LIMIT, ONBOARDIQ_AI_USER_BUDGET_PERCENT).
var defaultLimits = Limits{User: onboardiq.Rate{N: 20, Window: 10 * time.Minute}, Tenant: onboardiq.Rate{N: 300, Window: 10 * time.Minute}, UserBudgetPercent: 25}

func (s *Service) limits() Limits {
	l := s.Limits
	if l.User.N <= 0 || l.User.Window <= 0 {
		l.User = defaultLimits.User
	}
	if l.Tenant.N <= 0 || l.Tenant.Window <= 0 {
		l.Tenant = defaultLimits.Tenant
	}
	if l.UserBudgetPercent <= 0 || l.UserBudgetPercent > 100 {
		l.UserBudgetPercent = defaultLimits.UserBudgetPercent
	}
	return l
}

// Citation is a source an answer used.
type Citation struct {
	Type    string `json:"type" enum:"article,task"`
	ID      string `json:"id"`
	Title   string `json:"title"`
	Snippet string `json:"snippet"`
	// Anchor is the id of the cited passage's heading in the article's
	// page (#anchor); empty for the text before the first heading.
	Anchor string `json:"anchor,omitempty"`
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
	return h.MatchedWords || (h.Similarity != nil && *h.Similarity >= minSimilarity)
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
		call := onboardiq.AICall{Provider: ans.Provider, Model: ans.Model, InputTokens: usage.InputTokens, OutputTokens: usage.OutputTokens,
			LatencyMS: int(latency.Milliseconds()), Sources: callSources(pr.req.Sources)}
		if callErr == nil {
			id, err := tx.SaveTurn(ctx, pr.principal, pr.q.ConversationID, pr.q.ProjectID, pr.q.TaskID, pr.q.Text, ans.Answer, ans.Citations)
			if err != nil {
				return err
			}
			ans.ConversationID, call.ConversationID = &id, &id
			if pr.nothingFound { // a knowledge gap (docs/knowledge-gaps.md)
				if err := tx.RecordKnowledgeGap(ctx, pr.principal, id, onboardiq.GapNothingFound); err != nil {
					return err
				}
			}
		} else {
			msg := callErr.Error()
			call.Error = &msg
		}
		return tx.FinishAICall(ctx, pr.callID, call)
	})
	if callErr != nil {
		return nil, modelError(callErr)
	}
	return ans, err
}

// modelError marks a failed model call as onboardiq.ErrModel, keeping the
// cause; a call the asker gave up on stays a cancellation.
func modelError(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %w", onboardiq.ErrModel, err)
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

func callSources(src []ai.Source) []onboardiq.CallSource {
	out := make([]onboardiq.CallSource, len(src))
	for i, s := range src {
		out[i] = onboardiq.CallSource{Type: s.Type, ID: s.ID, Title: s.Title}
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
