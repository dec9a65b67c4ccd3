package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestKnowledgeGapsPage: a question the assistant found nothing for is on
// the staff's page, labelled; admins and CSMs get "Write an article",
// which opens the editor filled in with the question; the sales leader and
// the viewer read the page without it and are refused the editor; a
// contact is sent back to the portal.
func TestKnowledgeGapsPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	_, events := portalAsk(t, contact, a, "Bitcoin?")
	if done := last(events, "done"); done == nil || done.Data["nothing_found"] != true {
		t.Fatalf("ask: %+v, want nothing found", events)
	}
	var gap uuid.UUID
	actScan(t, a, `SELECT gap_id FROM knowledge_gaps WHERE question = 'Bitcoin?'`, nil, &gap)

	for _, who := range []struct {
		email string
		write bool
	}{{"alex.morgan@acme.example", true}, {"priya.shah@acme.example", true}, {"dana.whitfield@acme.example", false}, {"sam.lee@acme.example", false}} {
		c := signIn(t, a, who.email)
		p := get(t, c, a.url+"/app/knowledge/gaps")
		if p.status != http.StatusOK || !strings.Contains(p.text("#gaps td[data-label=Question]"), "Bitcoin?") {
			t.Errorf("%s: %d, want the page with the question: %s", who.email, p.status, p.text("main"))
			continue
		}
		labelled(t, "knowledge gaps", p)
		if got := p.text("#gaps td[data-label=Question] .muted"); !strings.Contains(got, "nothing found") {
			t.Errorf("%s: reasons %q, want nothing found", who.email, got)
		}
		write := p.all(`#gaps a[href="/app/knowledge/gaps/` + gap.String() + `/article"]`)
		if (len(write) == 1) != who.write {
			t.Errorf("%s: %d Write an article links, want them: %v", who.email, len(write), who.write)
		}
		editor := get(t, c, a.url+"/app/knowledge/gaps/"+gap.String()+"/article")
		if !who.write {
			if editor.status != http.StatusForbidden {
				t.Errorf("%s opens the editor: %d, want 403", who.email, editor.status)
			}
			continue
		}
		if editor.status != http.StatusOK || attr(editor.all("#title")[0], "value") != "Bitcoin" ||
			!strings.Contains(editor.text("#content"), "- Bitcoin?") || len(editor.all(`#visibility option[value=public][selected]`)) != 1 ||
			attr(editor.all("form#editor")[0], "action") != "/app/kb" {
			t.Errorf("%s: the editor is not filled in from the question: %d %s", who.email, editor.status, editor.text("main"))
		}
		labelled(t, "the editor from a gap", editor)
	}
	if p := get(t, signIn(t, a, "priya.shah@acme.example"), a.url+"/app/knowledge/gaps/"+uuid.NewString()+"/article"); p.status != http.StatusNotFound {
		t.Errorf("the editor for no gap: %d, want 404", p.status)
	}
	if p := get(t, contact, a.url+"/app/knowledge/gaps"); p.status == http.StatusOK || strings.Contains(p.raw, "Bitcoin?") {
		t.Errorf("a contact opens the staff's page: %d", p.status)
	}
}

// TestPortalRating: the thumbs form rates the contact's latest answer, is
// refused cross-origin, keeps a too-long comment beside its error, and
// refuses a colleague's rating of it and the staff.
func TestPortalRating(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	if p := get(t, contact, a.url+"/portal/acme/assistant"); p.status != http.StatusOK || attr(p.all("form#ask")[0], "data-rate") != "/portal/acme/assistant/feedback" {
		t.Fatalf("the assistant page does not name the rating form: %d", p.status)
	}
	_, events := portalAsk(t, contact, a, "How do I set up SSO?")
	done := last(events, "done")
	if done == nil {
		t.Fatalf("no answer: %+v", events)
	}
	conv, _ := done.Data["conversation_id"].(string)
	ratings := func() int {
		var n int
		actScan(t, a, `SELECT count(*) FROM assistant_ratings WHERE conversation_id = $1`, []any{conv}, &n)
		return n
	}
	u := a.url + "/portal/acme/assistant/feedback"
	form := url.Values{"conversation_id": {conv}, "helpful": {"no"}, "comment": {"It skips Okta."}}

	if p := post(t, contact, u, form, "http://evil.example"); p.status != http.StatusForbidden || ratings() != 0 {
		t.Errorf("cross-origin: %d, %d ratings; want 403 and none", p.status, ratings())
	}
	long := url.Values{"conversation_id": {conv}, "helpful": {"no"}, "comment": {strings.Repeat("x", 2001)}}
	p := post(t, contact, u, long, a.url)
	if p.status != http.StatusUnprocessableEntity || len(p.all("#error-rate-comment")) != 1 || ratings() != 0 {
		t.Fatalf("a long comment: %d, want 422 with the error beside the field: %s", p.status, p.text("main"))
	}
	if in := p.all("#rate-comment")[0]; attr(in, "aria-invalid") != "true" || attr(in, "value") != strings.Repeat("x", 2001) ||
		attr(p.all("form#rate input[name=conversation_id]")[0], "value") != conv {
		t.Errorf("the comment and the conversation were not kept")
	}
	labelled(t, "rating sent back", p)

	p = post(t, contact, u, form, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme/assistant?rated=1" || ratings() != 1 {
		t.Fatalf("rate: %d %q, %d ratings", p.status, p.header.Get("Location"), ratings())
	}
	if p := get(t, contact, a.url+"/portal/acme/assistant?rated=1"); !strings.Contains(p.text("#rated"), "Thank you") {
		t.Errorf("no thanks after rating")
	}
	var reasons string
	actScan(t, a, `SELECT array_to_string(reasons, ',') FROM knowledge_gaps WHERE conversation_id = $1`, []any{conv}, &reasons)
	if reasons != "unhelpful" {
		t.Errorf("gap reasons %q, want unhelpful", reasons)
	}

	colleague := actPortalClient(t, a, "omar.aziz@globex.example")
	if p := post(t, colleague, u, form, a.url); p.status != http.StatusNotFound {
		t.Errorf("a colleague rates the contact's answer: %d, want 404", p.status)
	}
	if p := post(t, signIn(t, a, "priya.shah@acme.example"), u, form, a.url); p.status == http.StatusSeeOther && strings.Contains(p.header.Get("Location"), "rated=1") {
		t.Errorf("a CSM rated the contact's answer through the portal")
	}
	if p := post(t, contact, u, url.Values{"conversation_id": {conv}, "helpful": {"maybe"}}, a.url); p.status != http.StatusUnprocessableEntity {
		t.Errorf("helpful=maybe: %d, want 422", p.status)
	}
}
