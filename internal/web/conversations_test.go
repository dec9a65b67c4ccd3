package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// conversationFrom is the id of the conversation a post redirected to.
func conversationFrom(t *testing.T, p page, prefix string) string {
	t.Helper()
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, prefix) {
		t.Fatalf("want a redirect to %s…: %d %q %s", prefix, p.status, loc, p.text(".error"))
	}
	return strings.SplitN(strings.TrimPrefix(loc, prefix), "#", 2)[0]
}

// TestAskMyCSMForms: a contact asks their CSM about a task from the
// portal's project page, and passes on the assistant's answer; the CSM
// answers in the console; the contact reads the answer and replies. Every
// field has a label; a cross-origin post is refused; a bad value comes
// back on the same page beside its field with the text kept; the answer
// box, close and reopen show only to those the store lets use them (the
// customer's CSM and the admins), and the others are refused; a contact
// of another customer finds nothing.
func TestAskMyCSMForms(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const rollout = "Globex platform rollout"
	pid := a.projectID(t, rollout)
	task := actTaskID(t, a, rollout, actContactTask)
	var title string
	actScan(t, a, `SELECT description FROM tasks WHERE task_id = $1`, []any{task}, &title)
	hannah := actPortalClient(t, a, "hannah.becker@globex.example")

	// Every task on the project page offers "Ask my CSM".
	pp := get(t, hannah, a.url+"/portal/acme/projects/"+pid)
	tasks, asks := pp.all("div.task"), pp.all("div.task a.ask-csm")
	if pp.status != 200 || len(tasks) == 0 || len(asks) != len(tasks) {
		t.Fatalf("the project page: %d, %d tasks, %d Ask my CSM links", pp.status, len(tasks), len(asks))
	}
	link := pp.all(byID("task-"+task) + " a.ask-csm")
	if len(link) != 1 || attr(link[0], "href") != "/portal/acme/conversations/new?task="+task {
		t.Fatalf("the task's Ask my CSM link: %v", link)
	}
	form := get(t, hannah, a.url+attr(link[0], "href"))
	labelled(t, "the ask form", form)
	if form.status != 200 || attr(form.all("#ask-subject")[0], "value") != "About: "+title || len(form.all(`form#ask input[name="task_id"][value="`+task+`"]`)) != 1 {
		t.Fatalf("the ask form: %d, subject %q", form.status, form.text("#ask-subject"))
	}

	// Refused: no question (the subject kept), another origin.
	ask := url.Values{"subject": {"About: " + title}, "body": {"  "}, "task_id": {task}}
	p := post(t, hannah, a.url+"/portal/acme/conversations", ask, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != "Ask your CSM" || p.text("#error-ask-body") == "" ||
		len(p.all(`#ask-body[aria-invalid="true"][aria-describedby="error-ask-body"]`)) != 1 || attr(p.all("#ask-subject")[0], "value") != "About: "+title ||
		len(p.all(`form#ask input[name="task_id"][value="`+task+`"]`)) != 1 {
		t.Fatalf("no question: %d %q %q", p.status, p.text("h1"), p.text("#error-ask-body"))
	}
	long := strings.Repeat("s", 201)
	p = post(t, hannah, a.url+"/portal/acme/conversations", url.Values{"subject": {long}, "body": {"Which file?"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("#error-ask-subject") == "" || p.text("#ask-body") != "Which file?" {
		t.Errorf("a long subject: %d %q, question kept %q", p.status, p.text("#error-ask-subject"), p.text("#ask-body"))
	}
	ask.Set("body", "Which **CSV** columns do you need?")
	if p := post(t, hannah, a.url+"/portal/acme/conversations", ask, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin ask: %d", p.status)
	}
	var n int
	actScan(t, a, `SELECT count(*) FROM conversations`, nil, &n)
	if n != 0 {
		t.Fatalf("the refused posts opened %d conversations", n)
	}
	id := conversationFrom(t, post(t, hannah, a.url+"/portal/acme/conversations", ask, a.url), "/portal/acme/conversations/")
	thread := get(t, hannah, a.url+"/portal/acme/conversations/"+id)
	labelled(t, "the portal's thread", thread)
	if thread.status != 200 || thread.text("h1") != "About: "+title || len(thread.all("ol#thread li.message.question strong")) != 2 ||
		!strings.Contains(thread.text("#thread"), "CSV") || len(thread.all("form#reply textarea#reply-body")) != 1 || thread.text("#about-task") != title {
		t.Fatalf("the portal's thread: %d %q %q", thread.status, thread.text("h1"), thread.text("#thread"))
	}
	list := get(t, hannah, a.url+"/portal/acme/conversations")
	labelled(t, "the portal's list", list)
	if !strings.Contains(list.text("table#conversations"), "waiting for an answer") {
		t.Errorf("the portal's list: %q", list.text("main"))
	}

	// The console: Priya, Globex's CSM, has it in her inbox.
	priya := signIn(t, a, roleEmails["csm"])
	inbox := get(t, priya, a.url+"/app/inbox")
	labelled(t, "the inbox", inbox)
	if inbox.status != 200 || len(inbox.all(`nav a#conversations-nav[href="/app/inbox"]`)) != 1 ||
		len(inbox.all(byID("c-"+id)+".awaiting")) != 1 || !strings.Contains(inbox.text(byID("c-"+id)), "awaiting reply") {
		t.Fatalf("Priya's inbox: %d %q", inbox.status, inbox.text("main"))
	}
	page := get(t, priya, a.url+"/app/conversations/"+id)
	labelled(t, "the console's thread", page)
	if page.status != 200 || len(page.all("form#answer textarea#answer-body")) != 1 || len(page.all("form#close")) != 1 || len(page.all("form#reopen")) != 0 ||
		len(page.all(`a#about-task[href="/app/tasks/`+task+`"]`)) != 1 {
		t.Fatalf("the console's thread for its CSM: %d, answer %d, close %d", page.status, len(page.all("form#answer")), len(page.all("form#close")))
	}
	answerURL := a.url + "/app/conversations/" + id + "/messages"
	tooLong := strings.Repeat("a", 10001)
	p = post(t, priya, answerURL, url.Values{"body": {tooLong}}, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != "About: "+title || p.text("#error-answer-body") == "" ||
		len(p.all(`#answer-body[aria-invalid="true"][aria-describedby="error-answer-body"]`)) != 1 || p.text("#answer-body") != tooLong {
		t.Fatalf("a long answer: %d %q", p.status, p.text("#error-answer-body"))
	}
	if p := post(t, priya, answerURL, url.Values{"body": {"Name and email."}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin answer: %d", p.status)
	}

	// Who sees the answer box, close and reopen: the CSM and the admins;
	// the others read, and the store refuses them.
	for role, email := range map[string]string{"admin": roleEmails["admin"], "another csm": "marco.rossi@acme.example",
		"sales_leader": roleEmails["sales_leader"], "viewer": roleEmails["viewer"]} {
		c := signIn(t, a, email)
		pg := get(t, c, a.url+"/app/conversations/"+id)
		answers := role == "admin"
		if pg.status != 200 || (len(pg.all("form#answer")) == 1) != answers || (len(pg.all("form#close")) == 1) != answers || !strings.Contains(pg.text("#thread"), "CSV") {
			t.Errorf("%s: %d, answer form %d, close %d", role, pg.status, len(pg.all("form#answer")), len(pg.all("form#close")))
		}
		if !answers {
			if pg.text("#read-only") == "" {
				t.Errorf("%s: the page does not say who answers", role)
			}
			refused(t, role+" answering", post(t, c, answerURL, url.Values{"body": {"I can help"}}, a.url))
			refused(t, role+" closing", post(t, c, a.url+"/app/conversations/"+id+"/close", nil, a.url))
		}
	}
	refused(t, "the contact answering in the console", post(t, hannah, answerURL, url.Values{"body": {"x"}}, a.url))

	p = post(t, priya, answerURL, url.Values{"body": {"The **name** and email columns."}}, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/conversations/"+id+"#latest" {
		t.Fatalf("the answer: %d %q %s", p.status, p.header.Get("Location"), p.text(".error"))
	}
	if pg := get(t, priya, a.url+"/app/conversations/"+id); !strings.Contains(pg.text(".flash"), "Answer sent") || len(pg.all("li.message.staff .markdown strong")) != 1 {
		t.Errorf("after the answer: flash %q, %d staff messages rendered", pg.text(".flash"), len(pg.all("li.message.staff")))
	}
	thread = get(t, hannah, a.url+"/portal/acme/conversations/"+id)
	if msgs := thread.all("li.message.staff"); len(msgs) != 1 || !strings.Contains(thread.text("li.message.staff"), "Priya Shah") ||
		!strings.Contains(thread.text("li.message.staff"), "email columns") || !strings.Contains(thread.text("main > p"), "answered") {
		t.Errorf("Hannah's thread after the answer: %q", thread.text("main"))
	}

	// Closed, the console offers Reopen; the contact may still reply, which
	// reopens it.
	if p := post(t, priya, a.url+"/app/conversations/"+id+"/close", nil, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("close: %d %s", p.status, p.text(".error"))
	}
	page = get(t, priya, a.url+"/app/conversations/"+id)
	if len(page.all("form#answer")) != 0 || len(page.all("form#close")) != 0 || len(page.all("form#reopen")) != 1 {
		t.Errorf("closed: answer %d, close %d, reopen %d", len(page.all("form#answer")), len(page.all("form#close")), len(page.all("form#reopen")))
	}
	if p := post(t, priya, a.url+"/app/conversations/"+id+"/close", nil, a.url); p.status != http.StatusConflict || !strings.Contains(p.text("#error-status"), "closed already") {
		t.Errorf("closing it twice: %d %q", p.status, p.text("#error-status"))
	}
	if p := post(t, priya, answerURL, url.Values{"body": {"One more thing"}}, a.url); p.status != http.StatusUnprocessableEntity {
		t.Errorf("answering a closed one: %d", p.status)
	}
	thread = get(t, hannah, a.url+"/portal/acme/conversations/"+id)
	if len(thread.all("form#reply")) != 1 || !strings.Contains(thread.text("form#reply"), "replying opens it again") {
		t.Errorf("a closed conversation in the portal: %q", thread.text("main"))
	}
	p = post(t, hannah, a.url+"/portal/acme/conversations/"+id+"/messages", url.Values{"body": {""}}, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("#error-reply-body") == "" || len(p.all(`#reply-body[aria-invalid="true"]`)) != 1 {
		t.Errorf("an empty reply: %d %q", p.status, p.text("#error-reply-body"))
	}
	if p := post(t, hannah, a.url+"/portal/acme/conversations/"+id+"/messages", url.Values{"body": {"Thanks!"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin reply: %d", p.status)
	}
	if p := post(t, hannah, a.url+"/portal/acme/conversations/"+id+"/messages", url.Values{"body": {"And the phone numbers?"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("Hannah's reply: %d %s", p.status, p.text(".error"))
	}
	if inbox := get(t, priya, a.url+"/app/inbox"); len(inbox.all(byID("c-"+id)+".awaiting")) != 1 {
		t.Errorf("reopened by Hannah's reply, it is not awaiting Priya: %q", inbox.text("main"))
	}

	// A contact of another customer finds nothing, and changes nothing.
	lena := actPortalClient(t, a, "lena.park@initech.example")
	if p := get(t, lena, a.url+"/portal/acme/conversations/"+id); p.status != http.StatusNotFound {
		t.Errorf("another customer's contact reads it: %d", p.status)
	}
	if p := post(t, lena, a.url+"/portal/acme/conversations/"+id+"/messages", url.Values{"body": {"Me too"}}, a.url); p.status != http.StatusNotFound {
		t.Errorf("another customer's contact replies: %d", p.status)
	}
	if l := get(t, lena, a.url+"/portal/acme/conversations"); strings.Contains(l.raw, id) {
		t.Error("another customer's contact lists it")
	}
	if p := get(t, lena, a.url+"/portal/acme/conversations/new?task="+task); p.status != http.StatusNotFound {
		t.Errorf("another customer's contact asks about its task: %d", p.status)
	}
	actScan(t, a, `SELECT count(*) FROM conversation_messages WHERE conversation_id = $1`, []any{id}, &n)
	if n != 3 {
		t.Errorf("%d messages, want 3 (the question, Priya's answer, Hannah's reply)", n)
	}
}

// TestAskMyCSMFromTheAssistant: the assistant's answer passed on (the form
// the chat's script adds posts only the assistant's conversation id)
// carries the question, the answer and its sources, read from the record;
// another contact's conversation with the assistant is refused beside the
// form.
func TestAskMyCSMFromTheAssistant(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hannah := actPortalClient(t, a, "hannah.becker@globex.example")
	chat := get(t, hannah, a.url+"/portal/acme/assistant")
	if attr(chat.all("form#ask")[0], "data-conversations") != "/portal/acme/conversations" ||
		len(chat.all(`#ask-a-person a[href="/portal/acme/conversations/new"]`)) != 1 {
		t.Fatalf("the assistant's page does not offer to ask the CSM: %q", chat.text("main"))
	}
	_, events := portalAsk(t, hannah, a, "How do I set up SSO?")
	done := last(events, "done")
	if done == nil {
		t.Fatalf("no answer: %v", events)
	}
	conv, _ := done.Data["conversation_id"].(string)
	answer, _ := done.Data["answer"].(string)
	omar := actPortalClient(t, a, "omar.aziz@globex.example")
	p := post(t, omar, a.url+"/portal/acme/conversations", url.Values{"assistant_conversation_id": {conv}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("form#ask .error"), "not a conversation of yours") {
		t.Errorf("a colleague passing on Hannah's answer: %d %q", p.status, p.text(".error"))
	}
	id := conversationFrom(t, post(t, hannah, a.url+"/portal/acme/conversations", url.Values{"assistant_conversation_id": {conv}}, a.url), "/portal/acme/conversations/")
	thread := get(t, hannah, a.url+"/portal/acme/conversations/"+id)
	if thread.text("h1") != "How do I set up SSO?" || len(thread.all("li.message.question")) != 1 || len(thread.all("li.message.assistant_answer")) != 1 {
		t.Fatalf("the thread: %q", thread.text("main"))
	}
	if got := thread.text("li.message.assistant_answer .markdown"); !strings.Contains(answer, strings.TrimSpace(strings.SplitN(got, "\n", 2)[0])) {
		t.Errorf("the answer passed on %q is not the assistant's %q", got, answer)
	}
	cites := thread.all("li.message.assistant_answer a.citation")
	if len(cites) == 0 || !strings.HasPrefix(attr(cites[0], "href"), "/portal/acme/kb/") {
		t.Errorf("the answer's sources in the portal: %v", cites)
	}
	priya := signIn(t, a, roleEmails["csm"])
	page := get(t, priya, a.url+"/app/conversations/"+id)
	cites = page.all("li.message.assistant_answer a.citation")
	if len(cites) == 0 || !strings.HasPrefix(attr(cites[0], "href"), "/app/kb/") {
		t.Errorf("the answer's sources in the console: %v", cites)
	}
}
