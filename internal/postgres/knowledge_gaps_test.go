package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// askTurn stores a question and its answer in a new conversation of the
// caller in ctx, about task (when set), and returns the conversation.
func (f *convFixture) askTurn(t *testing.T, ctx context.Context, question string, task *uuid.UUID) uuid.UUID {
	t.Helper()
	p := onboardiq.PrincipalFromContext(ctx)
	var id uuid.UUID
	err := f.db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		id, err = tx.SaveTurn(ctx, p, nil, nil, task, question, "I couldn't find anything about this.", []any{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// gapReasons reads the knowledge gaps as an admin: question → reasons.
func (f *convFixture) gapReasons(t *testing.T) map[string]string {
	t.Helper()
	facts, err := f.db.ReadKnowledgeGaps(f.as, time.Now().Add(-time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, q := range facts.Questions {
		var rs []string
		for _, r := range q.Reasons {
			rs = append(rs, string(r))
		}
		out[q.Question] = strings.Join(rs, ",")
	}
	return out
}

func TestRateAnswerRecordsAndWithdrawsTheGap(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	pr := f.project(t, f.customer, "Rollout", 1)
	page, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{})
	tasks := page.Items
	if err != nil || len(tasks) == 0 {
		t.Fatalf("tasks: %v", err)
	}
	conv := f.askTurn(t, f.asContact, "How do I set up SSO?", &tasks[0].ID)

	// Only the asker rates: a colleague, the CSM and an admin are told
	// there is no such conversation, and nothing is recorded.
	for name, ctx := range map[string]context.Context{"colleague": f.colleague, "csm": f.csm, "admin": f.as, "stranger": f.stranger} {
		if _, err := f.db.RateAnswer(ctx, onboardiq.AnswerRating{ConversationID: conv, Helpful: false}); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
			t.Errorf("%s rates the contact's answer: %v, want ENOTFOUND", name, err)
		}
	}
	if got := f.gapReasons(t); len(got) != 0 {
		t.Fatalf("gaps after refused ratings: %v", got)
	}
	if _, err := f.db.RateAnswer(f.asContact, onboardiq.AnswerRating{ConversationID: conv, Comment: strings.Repeat("x", 2001)}); onboardiq.ErrorField(err) != "comment" {
		t.Errorf("a long comment: %v, want invalid comment", err)
	}

	r, err := f.db.RateAnswer(f.asContact, onboardiq.AnswerRating{ConversationID: conv, Helpful: false, Comment: "  No Okta steps "})
	if err != nil {
		t.Fatal(err)
	}
	if r.Helpful || r.Comment != "No Okta steps" {
		t.Errorf("rating %+v", r)
	}
	facts, err := f.db.ReadKnowledgeGaps(f.viewer, time.Now().Add(-time.Hour), 100)
	if err != nil {
		t.Fatalf("a viewer reads the gaps: %v", err)
	}
	if len(facts.Questions) != 1 {
		t.Fatalf("gaps %+v, want the unhelpful question", facts.Questions)
	}
	q := facts.Questions[0]
	contact := onboardiq.PrincipalFromContext(f.asContact)
	if q.Question != "How do I set up SSO?" || !slices.Equal(q.Reasons, []onboardiq.GapReason{onboardiq.GapUnhelpful}) || q.AskerID != contact.UserID ||
		q.CustomerID == nil || *q.CustomerID != f.customer.ID || q.ProjectID == nil || *q.ProjectID != pr.ID {
		t.Errorf("gap %+v, want the contact's question about the project, unhelpful", q)
	}
	// One rating per answer: rating again replaces it.
	var ratings int
	err = f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM assistant_ratings WHERE tenant_id = $1`, f.tenant).Scan(&ratings)
	})
	if err != nil || ratings != 1 {
		t.Fatalf("ratings %d, %v", ratings, err)
	}
	if _, err := f.db.RateAnswer(f.asContact, onboardiq.AnswerRating{ConversationID: conv, Helpful: true}); err != nil {
		t.Fatal(err)
	}
	if got := f.gapReasons(t); len(got) != 0 {
		t.Errorf("gaps after the answer was rated helpful: %v, want none", got)
	}
	err = f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM assistant_ratings WHERE tenant_id = $1 AND helpful`, f.tenant).Scan(&ratings)
	})
	if err != nil || ratings != 1 {
		t.Fatalf("helpful ratings %d, %v", ratings, err)
	}
}

func TestEscalationIsAGapThatKeepsItsReasons(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	conv := f.askTurn(t, f.asContact, "Where is my invoice?", nil)
	if _, err := f.db.EscalateQuestion(f.colleague, conv); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("a colleague escalates the contact's question: %v, want ENOTFOUND", err)
	}
	where, err := f.db.EscalateQuestion(f.asContact, conv)
	if err != nil || where != "customer" {
		t.Fatalf("escalate: %q, %v", where, err)
	}
	if _, err := f.db.RateAnswer(f.asContact, onboardiq.AnswerRating{ConversationID: conv, Helpful: false}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.EscalateQuestion(f.asContact, conv); err != nil { // twice: the reason once
		t.Fatal(err)
	}
	if got := f.gapReasons(t)["Where is my invoice?"]; got != "escalated,unhelpful" {
		t.Errorf("reasons %q, want escalated,unhelpful", got)
	}
	if _, err := f.db.RateAnswer(f.asContact, onboardiq.AnswerRating{ConversationID: conv, Helpful: true}); err != nil {
		t.Fatal(err)
	}
	if got := f.gapReasons(t)["Where is my invoice?"]; got != "escalated" {
		t.Errorf("reasons after a helpful rating %q, want escalated", got)
	}
	// "Ask my CSM" with the assistant's answer is an escalation too.
	conv2 := f.askTurn(t, f.asContact, "Can we pay by wire transfer?", nil)
	if _, err := f.db.OpenConversation(f.asContact, onboardiq.NewConversation{AssistantConversationID: &conv2}); err != nil {
		t.Fatal(err)
	}
	if got := f.gapReasons(t)["Can we pay by wire transfer?"]; got != "escalated" {
		t.Errorf("passed on with Ask my CSM: reasons %q, want escalated", got)
	}
}

func TestKnowledgeGapsAreStaffs(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	for name, ctx := range map[string]context.Context{"admin": f.as, "csm": f.csm, "sales": f.sales, "viewer": f.viewer} {
		if _, err := f.db.ReadKnowledgeGaps(ctx, time.Now().Add(-time.Hour), 10); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := f.db.ReadKnowledgeGaps(f.asContact, time.Now().Add(-time.Hour), 10); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact reads the gaps: %v, want EFORBIDDEN", err)
	}
}

func TestKnowledgeGapFactsCarryBlockedSpells(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	pr := f.project(t, f.customer, "Rollout", 2)
	page, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{})
	tasks := page.Items
	if err != nil || len(tasks) < 2 {
		t.Fatalf("tasks: %v", err)
	}
	conv := f.askTurn(t, f.asContact, "Which ports must be open?", &tasks[0].ID)
	if _, err := f.db.RateAnswer(f.asContact, onboardiq.AnswerRating{ConversationID: conv}); err != nil {
		t.Fatal(err)
	}
	blocked := onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusBlocked), BlockedReason: onboardiq.Set("Firewall")}
	if _, err := f.db.UpdateTask(f.as, tasks[1].ID, blocked); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateTask(f.as, tasks[1].ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusInProgress)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateTask(f.as, tasks[0].ID, blocked); err != nil {
		t.Fatal(err)
	}
	facts, err := f.db.ReadKnowledgeGaps(f.as, time.Now().Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range facts.Blocked[pr.ID] {
		s := "task0"
		if tr.Task == tasks[1].ID {
			s = "task1"
		}
		if tr.Blocked {
			s += " blocked"
		} else {
			s += " unblocked"
		}
		got = append(got, s)
	}
	// task0's block twice: its event and its current status.
	want := []string{"task1 blocked", "task1 unblocked", "task0 blocked", "task0 blocked"}
	if !slices.Equal(got, want) {
		t.Errorf("transitions %v, want %v", got, want)
	}
}
