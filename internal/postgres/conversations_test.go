package postgres

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// convFixture is a page fixture with the people a conversation concerns:
// the customer's CSM, another CSM, a sales leader, a viewer, a colleague of
// the contact, and a contact of another customer.
type convFixture struct {
	*pageFixture
	csm, otherCSM, sales, viewer, colleague, stranger context.Context
	other                                             *onboardiq.Customer
}

func newConvFixture(t *testing.T) *convFixture {
	t.Helper()
	f := &convFixture{pageFixture: newPageFixture(t)}
	user := func(email string, role onboardiq.Role, customer *uuid.UUID) context.Context {
		t.Helper()
		u, err := f.db.CreateUser(f.as, onboardiq.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role, CustomerID: customer})
		if err != nil {
			t.Fatal(err)
		}
		return onboardiq.NewContextWithPrincipal(context.Background(), &onboardiq.Principal{TenantID: f.tenant, TenantSlug: "acme",
			UserID: u.ID, Name: u.Name, Role: role, CustomerID: customer})
	}
	var err error
	if f.other, err = f.db.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Initech"}); err != nil {
		t.Fatal(err)
	}
	f.csm = user("csm@acme.test", onboardiq.RoleCSM, nil)
	f.otherCSM = user("other.csm@acme.test", onboardiq.RoleCSM, nil)
	f.sales = user("sales@acme.test", onboardiq.RoleSalesLeader, nil)
	f.viewer = user("viewer@acme.test", onboardiq.RoleViewer, nil)
	f.colleague = user("colleague@globex.test", onboardiq.RoleCustomer, &f.customer.ID)
	f.stranger = user("someone@initech.test", onboardiq.RoleCustomer, &f.other.ID)
	csm := onboardiq.PrincipalFromContext(f.csm).UserID
	if _, err := f.db.AssignSupportMember(f.as, f.customer.ID, &csm); err != nil {
		t.Fatal(err)
	}
	p := onboardiq.PrincipalFromContext(f.asContact)
	p.TenantSlug, p.Name = "acme", "Contact"
	return f
}

// conversationEvents lists the conversation events recorded, as "kind
// by_staff" with their data's contact and message.
func (f *convFixture) conversationEvents(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT kind, data FROM events WHERE kind LIKE 'conversation.%' ORDER BY event_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var kind string
			var data map[string]any
			if err := rows.Scan(&kind, &data); err != nil {
				return err
			}
			data["kind"] = kind
			out = append(out, data)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConversationPermissions: a contact asks their CSM; their colleagues
// and every staff member read it; the CSM and the admins answer, close and
// reopen it; sales leaders, viewers and other CSMs only read; a contact of
// another customer, or a user of another workspace, finds nothing. Each
// change records its event with what the consumers need.
func TestConversationPermissions(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	pr := f.project(t, f.customer, "Rollout", 1)
	tasks, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	task := tasks.Items[0]
	internal, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Internal prep"), Visibility: onboardiq.Set(onboardiq.VisibilityInternal)})
	if err != nil {
		t.Fatal(err)
	}
	otherProject := f.project(t, f.other, "Initech rollout", 1)
	otherTasks, err := f.db.ListTasks(f.as, otherProject.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}

	// Who may open one.
	for name, ctx := range map[string]context.Context{"an admin": f.as, "a CSM": f.csm, "a viewer": f.viewer} {
		if _, err := f.db.OpenConversation(ctx, onboardiq.NewConversation{Subject: "Hi", Body: "Hello"}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s opens a conversation: %v, want EFORBIDDEN", name, err)
		}
	}
	for name, id := range map[string]uuid.UUID{"an internal task": internal.ID, "another customer's task": otherTasks.Items[0].ID} {
		if _, err := f.db.OpenConversation(f.asContact, onboardiq.NewConversation{Subject: "About it", Body: "?", TaskID: &id}); onboardiq.ErrorField(err) != "task_id" {
			t.Errorf("a contact asks about %s: %v, want an error naming task_id", name, err)
		}
	}
	if _, err := f.db.OpenConversation(f.asContact, onboardiq.NewConversation{Subject: "", Body: "?"}); onboardiq.ErrorField(err) != "subject" {
		t.Errorf("no subject: %v", err)
	}

	c, err := f.db.OpenConversation(f.asContact, onboardiq.NewConversation{Subject: "About: " + task.Description, Body: "Which **file** do you need?", TaskID: &task.ID})
	if err != nil {
		t.Fatal(err)
	}
	csmID := onboardiq.PrincipalFromContext(f.csm).UserID
	if c.CSMID == nil || *c.CSMID != csmID || c.CSM != "csm" || c.TaskID == nil || *c.TaskID != task.ID || c.ProjectID == nil || *c.ProjectID != pr.ID ||
		c.Status != onboardiq.ConversationOpen || !c.AwaitingReply || c.Customer != "Globex" {
		t.Errorf("opened: %+v", c)
	}

	// Who sees it.
	for name, ctx := range map[string]context.Context{"the contact": f.asContact, "a colleague": f.colleague, "the admin": f.as, "the CSM": f.csm,
		"another CSM": f.otherCSM, "a sales leader": f.sales, "a viewer": f.viewer} {
		got, err := f.db.GetConversation(ctx, c.ID)
		if err != nil || len(got.Messages) != 1 || got.Messages[0].Kind != onboardiq.MessageQuestion || got.Messages[0].Body != "Which **file** do you need?" ||
			got.Messages[0].ByStaff || got.Messages[0].Author != "Contact" {
			t.Errorf("%s reads it: %+v, %v", name, got, err)
		}
		list, err := f.db.ListConversations(ctx, ConversationFilter{})
		if err != nil || len(list.Items) != 1 || list.Items[0].ID != c.ID {
			t.Errorf("%s lists %v (%v)", name, list.Items, err)
		}
	}
	other, err := f.db.CreateTenant(context.Background(), onboardiq.NewTenant{Name: "Bolt", Slug: "bolt", AdminEmail: "a@bolt.test"})
	if err != nil {
		t.Fatal(err)
	}
	boltAdmin, err := f.db.Authenticate(context.Background(), other.Token)
	if err != nil {
		t.Fatal(err)
	}
	bolt := onboardiq.NewContextWithPrincipal(context.Background(), boltAdmin)
	for name, ctx := range map[string]context.Context{"a contact of another customer": f.stranger, "another workspace's admin": bolt} {
		if _, err := f.db.GetConversation(ctx, c.ID); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
			t.Errorf("%s reads it: %v, want ENOTFOUND", name, err)
		}
		if _, err := f.db.ReplyToConversation(ctx, c.ID, "Me too"); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
			t.Errorf("%s replies: %v, want ENOTFOUND", name, err)
		}
		if _, err := f.db.CloseConversation(ctx, c.ID); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
			t.Errorf("%s closes it: %v, want ENOTFOUND", name, err)
		}
		if list, err := f.db.ListConversations(ctx, ConversationFilter{}); err != nil || len(list.Items) != 0 {
			t.Errorf("%s lists %d (%v)", name, len(list.Items), err)
		}
	}

	// Who answers: the read-only roles are refused, and nothing changes.
	for name, ctx := range map[string]context.Context{"another CSM": f.otherCSM, "a sales leader": f.sales, "a viewer": f.viewer} {
		if _, err := f.db.ReplyToConversation(ctx, c.ID, "I can help"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s replies: %v, want EFORBIDDEN", name, err)
		}
		if _, err := f.db.CloseConversation(ctx, c.ID); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s closes it: %v, want EFORBIDDEN", name, err)
		}
	}
	if _, err := f.db.CloseConversation(f.asContact, c.ID); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("the contact closes it: %v, want EFORBIDDEN (the CSM closes)", err)
	}
	if _, err := f.db.ReplyToConversation(f.csm, c.ID, "   "); onboardiq.ErrorField(err) != "body" {
		t.Errorf("an empty answer: %v", err)
	}
	m, err := f.db.ReplyToConversation(f.csm, c.ID, "The **CSV** export, please.")
	if err != nil || !m.ByStaff || m.Kind != onboardiq.MessageReply {
		t.Fatalf("the CSM answers: %+v, %v", m, err)
	}
	if got, _ := f.db.GetConversation(f.asContact, c.ID); got.AwaitingReply || len(got.Messages) != 2 || got.Messages[1].Author != "csm" {
		t.Errorf("after the answer: awaiting %v, %d messages", got.AwaitingReply, len(got.Messages))
	}
	if _, err := f.db.ReplyToConversation(f.as, c.ID, "Adding to that: UTF-8."); err != nil {
		t.Errorf("an admin answers: %v", err)
	}
	if _, err := f.db.ReopenConversation(f.csm, c.ID); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
		t.Errorf("reopening an open one: %v, want ECONFLICT", err)
	}
	if closed, err := f.db.CloseConversation(f.csm, c.ID); err != nil || closed.Status != onboardiq.ConversationClosed {
		t.Fatalf("the CSM closes it: %+v, %v", closed, err)
	}
	if _, err := f.db.CloseConversation(f.as, c.ID); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
		t.Errorf("closing it twice: %v, want ECONFLICT", err)
	}
	if _, err := f.db.ReplyToConversation(f.csm, c.ID, "One more thing"); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
		t.Errorf("the CSM replies to a closed one: %v, want ECONFLICT", err)
	}
	if list, _ := f.db.ListConversations(f.csm, ConversationFilter{Status: onboardiq.ConversationOpen}); len(list.Items) != 0 {
		t.Errorf("closed, it is still listed as open")
	}

	// The colleague's reply reopens it, and it awaits the CSM again.
	if _, err := f.db.ReplyToConversation(f.colleague, c.ID, "It failed again."); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.GetConversation(f.csm, c.ID)
	if err != nil || got.Status != onboardiq.ConversationOpen || !got.AwaitingReply || len(got.Messages) != 4 {
		t.Errorf("after the contact's reply: %s, awaiting %v, %d messages (%v)", got.Status, got.AwaitingReply, len(got.Messages), err)
	}
	if _, err := f.db.CloseConversation(f.as, c.ID); err != nil {
		t.Fatal(err)
	}
	if again, err := f.db.ReopenConversation(f.as, c.ID); err != nil || again.Status != onboardiq.ConversationOpen {
		t.Errorf("an admin reopens it: %+v, %v", again, err)
	}

	contact := onboardiq.PrincipalFromContext(f.asContact).UserID.String()
	var kinds []string
	for _, e := range f.conversationEvents(t) {
		kinds = append(kinds, e["kind"].(string)+" "+map[bool]string{true: "staff", false: "contact"}[e["by_staff"] == true])
		if e["conversation_id"] != c.ID.String() || e["contact_id"] != contact || e["customer_id"] != f.customer.ID.String() {
			t.Errorf("%s: data %v", e["kind"], e)
		}
		if _, ok := e["message_id"]; ok != (e["kind"] == "conversation.opened" || e["kind"] == "conversation.replied") {
			t.Errorf("%s: message_id %v", e["kind"], e["message_id"])
		}
	}
	want := []string{"conversation.opened contact", "conversation.replied staff", "conversation.replied staff", "conversation.closed staff",
		"conversation.reopened contact", "conversation.replied contact", "conversation.closed staff", "conversation.reopened staff"}
	if strings.Join(kinds, ", ") != strings.Join(want, ", ") {
		t.Errorf("events:\n%s\nwant\n%s", strings.Join(kinds, ", "), strings.Join(want, ", "))
	}
}

// TestConversationLists: the inbox keeps the conversations a CSM answers
// (an admin's: all), newest activity first, by status and customer, paged
// without loss or repetition.
func TestConversationLists(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	var ids []uuid.UUID
	for _, subject := range []string{"First", "Second", "Third"} {
		c, err := f.db.OpenConversation(f.asContact, onboardiq.NewConversation{Subject: subject, Body: "?"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	// A conversation of the other customer, who has no CSM: the admins'.
	lone, err := f.db.OpenConversation(f.stranger, onboardiq.NewConversation{Subject: "Nobody's", Body: "Anyone?"})
	if err != nil {
		t.Fatal(err)
	}
	if lone.CSMID != nil {
		t.Errorf("a customer without a CSM: the conversation went to %v", lone.CSMID)
	}
	// The first gets the latest activity.
	if _, err := f.db.ReplyToConversation(f.asContact, ids[0], "Bump"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.CloseConversation(f.csm, ids[1]); err != nil {
		t.Fatal(err)
	}
	subjects := func(ctx context.Context, filter ConversationFilter) string {
		t.Helper()
		var out []string
		for {
			p, err := f.db.ListConversations(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Items {
				out = append(out, c.Subject)
			}
			if p.NextCursor == "" {
				return strings.Join(out, ", ")
			}
			filter.Cursor = p.NextCursor
		}
	}
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		filter ConversationFilter
		want   string
	}{
		{"the CSM's open ones", f.csm, ConversationFilter{Mine: true, Status: onboardiq.ConversationOpen}, "First, Third"},
		{"the CSM's, all", f.csm, ConversationFilter{Mine: true}, "First, Third, Second"},
		{"the CSM's, paged by one", f.csm, ConversationFilter{Mine: true, ListOptions: onboardiq.ListOptions{Limit: 1}}, "First, Third, Second"},
		{"the CSM's closed ones", f.csm, ConversationFilter{Mine: true, Status: onboardiq.ConversationClosed}, "Second"},
		{"another CSM's", f.otherCSM, ConversationFilter{Mine: true}, ""},
		{"another CSM, every customer's", f.otherCSM, ConversationFilter{}, "First, Nobody's, Third, Second"},
		{"an admin's", f.as, ConversationFilter{Mine: true, Status: onboardiq.ConversationOpen}, "First, Nobody's, Third"},
		{"by customer", f.as, ConversationFilter{CustomerID: &f.other.ID}, "Nobody's"},
		{"the contact's, whatever they ask", f.asContact, ConversationFilter{Mine: true, CustomerID: &f.other.ID}, ""},
		{"the contact's", f.colleague, ConversationFilter{}, "First, Third, Second"},
		{"the other customer's contact", f.stranger, ConversationFilter{}, "Nobody's"},
	} {
		if got := subjects(tc.ctx, tc.filter); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := f.db.ListConversations(f.as, ConversationFilter{Status: "archived"}); onboardiq.ErrorField(err) != "status" {
		t.Errorf("a bad status: %v", err)
	}
	if _, err := f.db.ListConversations(f.as, ConversationFilter{ListOptions: onboardiq.ListOptions{Cursor: "nope"}}); onboardiq.ErrorField(err) != "cursor" {
		t.Errorf("a bad cursor: %v", err)
	}

	// A conversation goes with its customer (and its contacts); one about a
	// task deleted since stays, about no task.
	if err := f.db.DeleteCustomer(f.as, f.other.ID); err != nil {
		t.Fatalf("delete a customer with a conversation: %v", err)
	}
	if _, err := f.db.GetConversation(f.as, lone.ID); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("the deleted customer's conversation: %v", err)
	}
	pr := f.project(t, f.customer, "Rollout", 1)
	tasks, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	about, err := f.db.OpenConversation(f.asContact, onboardiq.NewConversation{Subject: "About a task", Body: "?", TaskID: &tasks.Items[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.DeleteTask(f.as, tasks.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.db.DeleteProject(f.as, pr.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := f.db.GetConversation(f.asContact, about.ID); err != nil || got.TaskID != nil || got.Task != "" {
		t.Errorf("a conversation about a deleted task: %+v, %v", got, err)
	}
	if _, err := f.db.ReplyToConversation(f.asContact, about.ID, "Still there?"); err != nil {
		t.Errorf("replying about a deleted task and project: %v", err)
	}
}

// TestAskAboutTheAssistantsAnswer: passing on the assistant's answer copies
// the caller's own last question, the answer and its sources from the
// record (whatever else the request says); another user's conversation with
// the assistant is refused.
func TestAskAboutTheAssistantsAnswer(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	article, err := f.db.CreateArticle(f.as, onboardiq.NewArticle{Title: "SAML set-up", Content: "Upload the metadata.", Visibility: onboardiq.VisibilityPublic})
	if err != nil {
		t.Fatal(err)
	}
	record := func(ctx context.Context, question, answer string) uuid.UUID {
		t.Helper()
		var id uuid.UUID
		p := onboardiq.PrincipalFromContext(ctx)
		err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
			first, err := tx.SaveTurn(ctx, p, nil, nil, nil, "An earlier question", "An earlier answer", []map[string]any{})
			if err != nil {
				return err
			}
			id, err = tx.SaveTurn(ctx, p, &first, nil, nil, question, answer,
				[]map[string]any{{"type": "article", "id": article.ID.String(), "title": "SAML set-up", "snippet": "Upload…"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	mine := record(f.asContact, "How do I set up SSO?", "Upload the IdP metadata [1].")
	theirs := record(f.colleague, "Their question", "Their answer")

	if _, err := f.db.OpenConversation(f.asContact, onboardiq.NewConversation{AssistantConversationID: &theirs}); onboardiq.ErrorField(err) != "assistant_conversation_id" {
		t.Errorf("passing on a colleague's answer: %v, want an error naming assistant_conversation_id", err)
	}
	c, err := f.db.OpenConversation(f.asContact, onboardiq.NewConversation{AssistantConversationID: &mine, Body: "We use Okta."})
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "How do I set up SSO?" || c.AssistantConversationID == nil || *c.AssistantConversationID != mine {
		t.Errorf("opened: %+v", c)
	}
	for ctx, link := range map[context.Context]string{f.asContact: "/portal/acme/kb/" + article.ID.String(), f.csm: "/app/kb/" + article.ID.String()} {
		got, err := f.db.GetConversation(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, m := range got.Messages {
			kinds = append(kinds, string(m.Kind)+": "+m.Body)
		}
		want := []string{"question: How do I set up SSO?", "assistant_answer: Upload the IdP metadata [1].", "reply: We use Okta."}
		if strings.Join(kinds, " | ") != strings.Join(want, " | ") {
			t.Errorf("messages: %q, want %q", kinds, want)
		}
		if len(got.Messages) == 3 {
			a := got.Messages[1]
			if a.AuthorID != nil || a.Author != "The assistant" || len(a.Sources) != 1 || a.Sources[0].Title != "SAML set-up" || a.Sources[0].Link != link {
				t.Errorf("the answer: %+v, want its source linked at %s", a, link)
			}
		}
	}
	events := f.conversationEvents(t)
	if len(events) != 1 || !maps.Equal(map[string]bool{"opened": events[0]["kind"] == "conversation.opened", "contact": events[0]["by_staff"] == false},
		map[string]bool{"opened": true, "contact": true}) {
		t.Errorf("events: %v", events)
	}
}
