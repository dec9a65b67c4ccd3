package web_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// askSurvey requests a survey of kind of the demo contact email, and
// returns the request.
func askSurvey(t *testing.T, a *app, email, kind string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := a.db.App.InTenant(context.Background(), a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		var user uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE email = $1`, email).Scan(&user); err != nil {
			return err
		}
		var err error
		id, _, err = tx.RequestSurvey(ctx, postgres.SurveyAsk{Kind: kind, Reason: postgres.SurveySchedule, UserID: user, Key: kind + ":" + uuid.NewString()},
			a.url, time.Now())
		return err
	})
	if err != nil || id == uuid.Nil {
		t.Fatalf("request a survey: %s, %v", id, err)
	}
	return id
}

// surveyToken is the token of request's score link.
func surveyToken(t *testing.T, a *app, request uuid.UUID, score int) string {
	t.Helper()
	var tok string
	_ = a.db.App.InTenant(context.Background(), a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		tok = tx.SurveyToken(request, score)
		return nil
	})
	if tok == "" {
		t.Fatal("no survey token")
	}
	return tok
}

func surveyResponses(t *testing.T, a *app, request uuid.UUID) (n, score int, comment string) {
	t.Helper()
	actScan(t, a, `SELECT count(*), coalesce(max(score), -1), coalesce(max(comment), '') FROM survey_responses WHERE request_id = $1`, []any{request}, &n, &score, &comment)
	return n, score, comment
}

// TestSurveyLinkPage: one click on a score in the email (no session)
// records it and thanks, with a comment form; a second click, on any
// score, says it was recorded already and changes nothing; the comment is
// added once (a cross-origin post refused, one too long kept beside its
// field); a tampered link and an expired one are refused with a page that
// says so.
func TestSurveyLinkPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	anon := client(t)
	id := askSurvey(t, a, "hannah.becker@globex.example", postgres.SurveyCSAT)
	link := a.url + "/portal/acme/s/" + surveyToken(t, a, id, 4)
	p := get(t, anon, link)
	if p.status != http.StatusOK || !strings.Contains(p.text("#survey-recorded"), "4 of 5") {
		t.Fatalf("first click: %d %q", p.status, p.text("main"))
	}
	if p.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Referrer-Policy %q", p.header.Get("Referrer-Policy"))
	}
	labelledIn(t, p, "form#survey-comment-form")
	for _, score := range []int{4, 1} {
		again := get(t, anon, a.url+"/portal/acme/s/"+surveyToken(t, a, id, score))
		if again.status != http.StatusOK || !strings.Contains(again.text("#survey-already"), "4 of 5") {
			t.Errorf("second click on %d: %d %q", score, again.status, again.text("main"))
		}
	}
	if n, score, _ := surveyResponses(t, a, id); n != 1 || score != 4 {
		t.Fatalf("%d responses, score %d; want one of 4", n, score)
	}
	comment := link + "/comment"
	if p := post(t, anon, comment, url.Values{"comment": {"Smooth"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin comment: %d", p.status)
	}
	long := strings.Repeat("x", postgres.MaxSurveyComment+1)
	bad := post(t, anon, comment, url.Values{"comment": {long}}, a.url)
	box := bad.all("textarea#survey-comment")
	if bad.status != http.StatusUnprocessableEntity || len(bad.all("p.error#error-comment")) != 1 || len(box) != 1 ||
		attr(box[0], "aria-describedby") != "error-comment" || bad.text("textarea#survey-comment") != long {
		t.Errorf("a comment too long: %d", bad.status)
	}
	ok := post(t, anon, comment, url.Values{"comment": {"Smooth kickoff"}}, a.url)
	if ok.status != http.StatusSeeOther || !strings.HasSuffix(ok.header.Get("Location"), "?commented=1") {
		t.Fatalf("comment: %d %s", ok.status, ok.header.Get("Location"))
	}
	if done := get(t, anon, a.url+ok.header.Get("Location")); len(done.all("#survey-commented")) != 1 || len(done.all("form#survey-comment-form")) != 0 ||
		!strings.Contains(done.text(".survey-comment"), "Smooth kickoff") {
		t.Errorf("after the comment: %q", done.text("main"))
	}
	if _, _, c := surveyResponses(t, a, id); c != "Smooth kickoff" {
		t.Errorf("the comment: %q", c)
	}
	// Tampered: the score's byte changed.
	tok := surveyToken(t, a, id, 4)
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	raw[32] = 1 // the score
	tampered := base64.RawURLEncoding.EncodeToString(raw)
	for name, u := range map[string]string{"tampered": "/portal/acme/s/" + tampered, "cut short": "/portal/acme/s/" + tok[:40], "garbage": "/portal/acme/s/nonsense"} {
		if p := get(t, anon, a.url+u); p.status != http.StatusNotFound || len(p.all("#survey-refused")) != 1 {
			t.Errorf("%s: %d %q", name, p.status, p.text("main"))
		}
	}
	// Expired.
	late := askSurvey(t, a, "omar.aziz@globex.example", postgres.SurveyNPS)
	actExec(t, a, `UPDATE survey_requests SET expires_at = now() - interval '1 minute' WHERE request_id = $1`, late)
	if p := get(t, anon, a.url+"/portal/acme/s/"+surveyToken(t, a, late, 9)); p.status != http.StatusGone || !strings.Contains(p.text("#survey-refused"), "closed") {
		t.Errorf("expired: %d %q", p.status, p.text("main"))
	}
	if n, _, _ := surveyResponses(t, a, late); n != 0 {
		t.Errorf("an expired link recorded %d", n)
	}
}

// TestPortalSurveyCard: the contact's open survey shows on the portal home
// as a form with the scale as buttons and an optional comment; a score
// that is none comes back beside its field with the comment kept; a
// cross-origin post is refused; the answer is recorded and the card says
// thanks; a detractor's answer tells the CSM; staff cannot answer.
func TestPortalSurveyCard(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const email = "hannah.becker@globex.example"
	id := askSurvey(t, a, email, postgres.SurveyNPS)
	c := actPortalClient(t, a, email)
	home := get(t, c, a.url+"/portal/acme")
	form := "form#survey-" + id.String()
	if len(home.all(form)) != 1 || len(home.all(form+` button[name="score"]`)) != 11 {
		t.Fatalf("the card: %q", home.text("#surveys"))
	}
	labelledIn(t, home, form)
	action := a.url + "/portal/acme/surveys/" + id.String()
	if p := post(t, c, action, url.Values{"score": {"2"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin answer: %d", p.status)
	}
	bad := post(t, c, action, url.Values{"score": {"eleven"}, "comment": {"Too slow"}}, a.url)
	if bad.status != http.StatusUnprocessableEntity || len(bad.all(form+" p.error#error-score")) != 1 || bad.text(form+" textarea") != "Too slow" {
		t.Errorf("a bad score: %d %q", bad.status, bad.text("#surveys"))
	}
	if n, _, _ := surveyResponses(t, a, id); n != 0 {
		t.Fatalf("a refused answer recorded %d", n)
	}
	staff := signIn(t, a, roleEmails["admin"])
	refused(t, "an admin answers a contact's survey", post(t, staff, action, url.Values{"score": {"9"}}, a.url))
	ok := post(t, c, action, url.Values{"score": {"2"}, "comment": {"Too slow"}}, a.url)
	if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/portal/acme?survey=answered#surveys" {
		t.Fatalf("answer: %d %s", ok.status, ok.header.Get("Location"))
	}
	if n, score, comment := surveyResponses(t, a, id); n != 1 || score != 2 || comment != "Too slow" {
		t.Errorf("recorded %d, %d, %q", n, score, comment)
	}
	after := get(t, c, a.url+"/portal/acme?survey=answered")
	if len(after.all("#survey-thanks")) != 1 || len(after.all(form)) != 0 {
		t.Errorf("after the answer: %q", after.text("#surveys"))
	}
	var notices int
	actScan(t, a, `SELECT count(*) FROM notifications WHERE kind = 'survey_detractor' AND body LIKE '%Too slow%'`, nil, &notices)
	if notices == 0 {
		t.Error("the detractor's answer told nobody")
	}
}

// TestSurveySettingsSection: admins change the survey settings on the
// settings page; a bad interval comes back beside its field with the
// input kept; a cross-origin post is refused; other roles see no form and
// are refused.
func TestSurveySettingsSection(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, roleEmails["admin"])
	s := get(t, admin, a.url+"/app/settings")
	labelledIn(t, s, "form#survey-settings")
	if v := attr(s.all("input#nps_interval_days")[0], "value"); v != "90" {
		t.Errorf("the interval shows %q", v)
	}
	form := url.Values{"csat_on_completion": {"on"}, "nps_interval_days": {"10"}}
	bad := post(t, admin, a.url+"/app/settings/surveys", form, a.url)
	in := bad.all("input#nps_interval_days")
	if bad.status != http.StatusUnprocessableEntity || len(bad.all("p.error#error-nps_interval_days")) != 1 || len(in) != 1 ||
		attr(in[0], "value") != "10" || attr(in[0], "aria-describedby") != "error-nps_interval_days" || hasAttr(bad.all("input#csat_on_milestones")[0], "checked") {
		t.Fatalf("a bad interval: %d", bad.status)
	}
	form.Set("nps_interval_days", "180")
	if p := post(t, admin, a.url+"/app/settings/surveys", form, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("cross-origin: %d", p.status)
	}
	ok := post(t, admin, a.url+"/app/settings/surveys", form, a.url)
	if ok.status != http.StatusSeeOther {
		t.Fatalf("save: %d", ok.status)
	}
	var completion, milestones bool
	var days int
	actScan(t, a, `SELECT csat_on_completion, csat_on_milestones, nps_interval_days FROM tenants WHERE tenant_id = $1`, []any{a.demo.TenantID}, &completion, &milestones, &days)
	if !completion || milestones || days != 180 {
		t.Errorf("saved %v %v %d", completion, milestones, days)
	}
	for _, role := range []string{"csm", "sales_leader", "viewer"} {
		c := signIn(t, a, roleEmails[role])
		if p := get(t, c, a.url+"/app/settings"); len(p.all("form#survey-settings")) != 0 {
			t.Errorf("%s sees the survey settings form", role)
		}
		if p := post(t, c, a.url+"/app/settings/surveys", form, a.url); p.status != http.StatusForbidden {
			t.Errorf("%s saved the survey settings: %d", role, p.status)
		}
	}
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	refused(t, "a contact saves the survey settings", post(t, contact, a.url+"/app/settings/surveys", form, a.url))
}
