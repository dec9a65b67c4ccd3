package assistant

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Report is an answer for staff, with the data it was written from.
type Report[T any] struct {
	Text      string     `json:"text" doc:"Markdown."`
	Facts     T          `json:"facts" doc:"The data the text is written from."`
	Citations []Citation `json:"citations"`
	Provider  string     `json:"provider"`
	Model     string     `json:"model"`
}

// staffOnly refuses customer contacts the staff assistant.
func staffOnly(ctx context.Context) (*onboardiq.Principal, error) {
	p := onboardiq.PrincipalFromContext(ctx)
	if p == nil {
		return nil, onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "not signed in")
	}
	return p, p.Check(onboardiq.UseStaffAI)
}

// generate runs a staff request through the model, once the call is
// admitted (limits and budget), and records it.
func (s *Service) generate(ctx context.Context, p *onboardiq.Principal, req ai.Request, cites []Citation) (string, []Citation, error) {
	callID, err := s.DB.BeginAICall(ctx, onboardiq.AICall{Kind: string(req.Task), Question: req.Question,
		Provider: s.Chat.Provider(), Model: s.Chat.Model()}, s.limits())
	if err != nil {
		return "", nil, err
	}
	start := time.Now()
	text, usage, callErr := s.complete(ctx, req, nil)
	err = s.DB.InTenant(context.WithoutCancel(ctx), p.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		call := onboardiq.AICall{Provider: s.Chat.Provider(), Model: s.Chat.Model(), InputTokens: usage.InputTokens, OutputTokens: usage.OutputTokens,
			LatencyMS: int(time.Since(start).Milliseconds()), Sources: callSources(req.Sources)}
		if callErr != nil {
			msg := callErr.Error()
			call.Error = &msg
		}
		return tx.FinishAICall(ctx, callID, call)
	})
	if callErr != nil {
		return "", nil, modelError(callErr)
	}
	return text, citations(text, cites, req.Sources), err
}

// Summary tells what a customer did between since and until, from the
// activity log, with the facts beside the prose (staff).
func (s *Service) Summary(ctx context.Context, customerID uuid.UUID, since, until time.Time) (*Report[*onboardiq.CustomerFacts], error) {
	// The facts come first: they check visibility (404) before role.
	f, err := s.DB.GetCustomerFacts(ctx, customerID, since, until)
	if err != nil {
		return nil, err
	}
	p, err := staffOnly(ctx)
	if err != nil {
		return nil, err
	}
	req := ai.Request{Task: ai.TaskSummary, Audience: "staff", Facts: summaryFacts(f),
		Question: fmt.Sprintf("Summarise what %s did from %s to %s.", f.Customer, day(since), day(until))}
	text, _, err := s.generate(ctx, p, req, nil)
	if err != nil {
		return nil, err
	}
	return &Report[*onboardiq.CustomerFacts]{Text: text, Facts: f, Citations: []Citation{}, Provider: s.Chat.Provider(), Model: s.Chat.Model()}, nil
}

func summaryFacts(f *onboardiq.CustomerFacts) []string {
	out := []string{fmt.Sprintf("Period: %s to %s.", day(f.Since), day(f.Until))}
	out = append(out, fmt.Sprintf("%s completed %d task(s) in the period%s.", f.Customer, len(f.Completed), list(f.Completed, 5)))
	if len(f.CompletedLate) > 0 {
		var late []string
		for _, t := range f.CompletedLate {
			late = append(late, fmt.Sprintf("%q %.1f days late", t.Description, deref(t.DaysLate)))
		}
		out = append(out, fmt.Sprintf("%d of them were completed after their due date: %s.", len(f.CompletedLate), strings.Join(late, "; ")))
	} else {
		out = append(out, "None was completed late.")
	}
	if len(f.Blocked) > 0 {
		var b []string
		for _, t := range f.Blocked {
			b = append(b, fmt.Sprintf("%q (%s)", t.Description, derefS(t.Reason)))
		}
		out = append(out, fmt.Sprintf("%d task(s) are blocked now: %s.", len(f.Blocked), strings.Join(b, "; ")))
	} else {
		out = append(out, "No task is blocked now.")
	}
	out = append(out, fmt.Sprintf("The customer's contacts wrote %d comment(s) and asked the assistant %d question(s) in the period.", f.Comments, f.Questions))
	if f.LastActivity != nil {
		out = append(out, fmt.Sprintf("Last activity by the customer: %s by %s.", day(*f.LastActivity), derefS(f.LastActivityBy)))
	} else {
		out = append(out, "The customer's contacts have no recorded activity.")
	}
	for _, p := range f.Projects {
		s := fmt.Sprintf("Project %q is %s at %.2f%%", p.Name, strings.ReplaceAll(string(p.Status), "_", " "), p.Progress)
		if p.Deadline != nil {
			s += ", deadline " + day(*p.Deadline)
		}
		if p.Overdue {
			s += " (overdue)"
		}
		out = append(out, s+".")
	}
	return out
}

// TaskFacts is what a troubleshooting report is written from.
type TaskFacts struct {
	Task         *onboardiq.Task         `json:"task"`
	SimilarTasks []onboardiq.SimilarTask `json:"similar_tasks"`
}

// Troubleshoot explains why a task may be stuck and what to do next, from
// similar tasks of other projects and the knowledge base (staff).
func (s *Service) Troubleshoot(ctx context.Context, taskID uuid.UUID) (*Report[*TaskFacts], error) {
	t, err := s.DB.GetTask(ctx, taskID)
	if err != nil {
		return nil, err
	}
	p, err := staffOnly(ctx)
	if err != nil {
		return nil, err
	}
	similar, err := s.DB.FindSimilarTasks(ctx, taskID, 4)
	if err != nil {
		return nil, err
	}
	req := ai.Request{Task: ai.TaskTroubleshoot, Audience: "staff", Question: "Why may this task be stuck, and what are the next steps? Task: " + t.Description}
	var cites []Citation
	add := func(src ai.Source, c Citation) { req.Sources = append(req.Sources, src); cites = append(cites, c) }
	add(ai.Source{Type: "task", ID: t.ID.String(), Title: t.Description, Text: taskText(t), Cite: true, Score: 1},
		Citation{Type: "task", ID: t.ID.String(), Title: t.Description, Snippet: snippet(t.Details)})
	for _, st := range similar.Items {
		text := fmt.Sprintf("%s (project %s)\nOutcome: %s", st.Description, st.ProjectName, st.Status)
		if st.DaysLate != nil {
			text += fmt.Sprintf("; %.1f days after its due date", *st.DaysLate)
		}
		if st.BlockedFor != nil {
			text += "\nBlocked because: " + *st.BlockedFor
		}
		for _, c := range st.Comments {
			text += fmt.Sprintf("\nComment by %s: %s", c.Author, c.Body)
		}
		add(ai.Source{Type: "task", ID: st.ID.String(), Title: st.Description + " — " + st.ProjectName, Text: text, Cite: true, Score: st.Similarity},
			Citation{Type: "task", ID: st.ID.String(), Title: st.Description + " — " + st.ProjectName, Snippet: snippet(text)})
	}
	query := t.Description
	if t.BlockedReason != nil {
		query += " " + *t.BlockedReason
	}
	if err := s.addArticles(ctx, p, query, &req, &cites); err != nil {
		return nil, err
	}
	if t.DueAt != nil {
		req.Facts = append(req.Facts, "The task is due "+day(*t.DueAt)+".")
		if t.DueAt.Before(time.Now()) && t.Status != onboardiq.StatusCompleted {
			req.Facts = append(req.Facts, fmt.Sprintf("It is %.0f days overdue.", time.Since(*t.DueAt).Hours()/24))
		}
	}
	text, used, err := s.generate(ctx, p, req, cites)
	if err != nil {
		return nil, err
	}
	return &Report[*TaskFacts]{Text: text, Facts: &TaskFacts{Task: t, SimilarTasks: similar.Items},
		Citations: used, Provider: s.Chat.Provider(), Model: s.Chat.Model()}, nil
}

// addArticles retrieves the articles (public and internal: staff) most
// relevant to query into the request.
func (s *Service) addArticles(ctx context.Context, p *onboardiq.Principal, query string, req *ai.Request, cites *[]Citation) error {
	vec, mode, err := ai.SearchVector(ctx, s.Logger, s.Embedder, query, onboardiq.SearchHybrid)
	if err != nil {
		return err
	}
	return s.DB.InTenantReadOnly(ctx, p.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		hits, err := tx.SearchArticles(ctx, postgres.SearchParams{Q: query, Vector: vec, Model: s.Embedder.Model(), Mode: mode, Limit: 3})
		if err != nil {
			return err
		}
		for _, h := range hits {
			if !relevant(h) {
				continue
			}
			text, err := tx.ArticleText(ctx, h.ID, false)
			if err != nil {
				return err
			}
			req.Sources = append(req.Sources, ai.Source{Type: "article", ID: h.ID.String(), Title: h.Title, Text: text, Cite: true, Score: h.Score})
			*cites = append(*cites, Citation{Type: "article", ID: h.ID.String(), Title: h.Title, Snippet: h.Snippet})
		}
		return nil
	})
}

// Unblock says what blocks a project and who must act (staff).
func (s *Service) Unblock(ctx context.Context, projectID uuid.UUID) (*Report[*onboardiq.Blockers], error) {
	b, err := s.DB.GetProjectBlockers(ctx, projectID)
	if err != nil {
		return nil, err
	}
	p, err := staffOnly(ctx)
	if err != nil {
		return nil, err
	}
	req := ai.Request{Task: ai.TaskUnblock, Audience: "staff", Question: "What blocks project " + b.Project + ", and who must act?"}
	var cites []Citation
	for _, group := range []struct {
		label string
		tasks []onboardiq.TaskFact
	}{{"Blocked", b.Blocked}, {"Overdue", b.OverdueOpen}} {
		for _, t := range group.tasks {
			who := "nobody (unassigned)"
			if t.Assignee != nil {
				who = fmt.Sprintf("%s (%s side)", *t.Assignee, t.AssigneeIs)
			}
			text := fmt.Sprintf("%s: %s\nHeld by: %s", group.label, t.Description, who)
			if t.Reason != nil {
				text += "\nReason: " + *t.Reason
			}
			if t.DueAt != nil {
				text += "\nDue: " + day(*t.DueAt)
			}
			req.Sources = append(req.Sources, ai.Source{Type: "task", ID: t.ID.String(), Title: t.Description, Text: text, Cite: true})
			cites = append(cites, Citation{Type: "task", ID: t.ID.String(), Title: t.Description, Snippet: snippet(text)})
		}
	}
	req.Facts = []string{fmt.Sprintf("Project %q is at %.2f%%.", b.Project, b.Progress),
		fmt.Sprintf("%d task(s) are blocked and %d open task(s) are past their due date.", len(b.Blocked), len(b.OverdueOpen))}
	if b.Deadline != nil {
		d := "The deadline is " + day(*b.Deadline)
		if b.Overdue {
			d += fmt.Sprintf(", %.0f days ago", time.Since(*b.Deadline).Hours()/24)
		}
		req.Facts = append(req.Facts, d+".")
	}
	text, used, err := s.generate(ctx, p, req, cites)
	if err != nil {
		return nil, err
	}
	return &Report[*onboardiq.Blockers]{Text: text, Facts: b, Citations: used, Provider: s.Chat.Provider(), Model: s.Chat.Model()}, nil
}

func day(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func list(ts []onboardiq.TaskFact, n int) string {
	if len(ts) == 0 {
		return ""
	}
	var names []string
	for i, t := range ts {
		if i == n {
			names = append(names, fmt.Sprintf("and %d more", len(ts)-n))
			break
		}
		names = append(names, fmt.Sprintf("%q", t.Description))
	}
	return ": " + strings.Join(names, ", ")
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

func derefS(s *string) string {
	if s == nil {
		return "no reason given"
	}
	return *s
}
