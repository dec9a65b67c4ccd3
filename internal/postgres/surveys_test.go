package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// askSurvey requests a survey of the fixture's contact (or user) as of
// now, and returns the request and what happened.
func (f *pageFixture) askSurvey(t *testing.T, a SurveyAsk, now time.Time) (uuid.UUID, string) {
	t.Helper()
	if a.UserID == uuid.Nil {
		a.UserID = f.contact.ID
	}
	if a.Reason == "" {
		a.Reason = SurveySchedule
	}
	if a.Key == "" {
		a.Key = a.Kind + ":" + uuid.NewString()
	}
	var id uuid.UUID
	var out string
	err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		id, out, err = tx.RequestSurvey(ctx, a, "http://onboardiq.test", now)
		return err
	})
	if err != nil {
		t.Fatalf("request survey: %v", err)
	}
	return id, out
}

// surveyLink is the token of request's link for score.
func (f *pageFixture) surveyLink(t *testing.T, request uuid.UUID, score int) string {
	t.Helper()
	var tok string
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		tok = tx.SurveyToken(request, score)
		return nil
	}); err != nil || tok == "" {
		t.Fatalf("survey token: %q, %v", tok, err)
	}
	return tok
}

// count runs a count in the fixture's tenant.
func (f *pageFixture) countRows(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, q, append([]any{f.tenant}, args...)...).Scan(&n)
	}); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestSurveyLinkRecordsOnce: one click on a score of the email records it;
// a second click, on the same or another score, answers "already
// recorded" and changes nothing; a comment can be added once afterwards.
func TestSurveyLinkRecordsOnce(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	now := time.Now()
	id, out := f.askSurvey(t, SurveyAsk{Kind: SurveyCSAT, Reason: SurveyMilestone, Subject: "Kickoff"}, now)
	if id == uuid.Nil || out != MailQueued && out != MailQuiet {
		t.Fatalf("request: %s %s", id, out)
	}
	a, err := f.db.AnswerSurveyLink(context.Background(), f.surveyLink(t, id, 4), now)
	if err != nil || a.Already || a.Score != 4 || a.Kind != SurveyCSAT || a.Subject != "Kickoff" || a.Slug != "acme" {
		t.Fatalf("first click: %+v, %v", a, err)
	}
	for _, score := range []int{4, 1} {
		again, err := f.db.AnswerSurveyLink(context.Background(), f.surveyLink(t, id, score), now.Add(time.Minute))
		if err != nil || !again.Already || again.Score != 4 {
			t.Errorf("second click on %d: %+v, %v", score, again, err)
		}
	}
	if n := f.countRows(t, `SELECT count(*) FROM survey_responses WHERE tenant_id = $1 AND request_id = $2 AND score = 4`, id); n != 1 {
		t.Errorf("%d responses of 4, want 1", n)
	}
	if n := f.countRows(t, `SELECT count(*) FROM survey_responses WHERE tenant_id = $1 AND request_id IS NOT NULL`); n != 1 {
		t.Errorf("%d responses, want 1", n)
	}
	if n := f.countRows(t, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind = 'survey.answered'`); n != 1 {
		t.Errorf("%d survey.answered events, want 1", n)
	}
	if n := f.countRows(t, `SELECT count(*) FROM survey_requests WHERE tenant_id = $1 AND answered_at IS NOT NULL`); n != 1 {
		t.Errorf("%d requests answered, want 1", n)
	}
	// The comment, on the thank-you page: once.
	c, err := f.db.CommentSurveyLink(context.Background(), f.surveyLink(t, id, 4), "  Smooth kickoff.  ", now)
	if err != nil || c.Comment != "Smooth kickoff." || c.Already {
		t.Fatalf("comment: %+v, %v", c, err)
	}
	c, err = f.db.CommentSurveyLink(context.Background(), f.surveyLink(t, id, 4), "Changed my mind", now)
	if err != nil || !c.Already || c.Comment != "Smooth kickoff." {
		t.Errorf("second comment: %+v, %v", c, err)
	}
	if _, err := f.db.CommentSurveyLink(context.Background(), f.surveyLink(t, id, 4), strings.Repeat("x", MaxSurveyComment+1), now); onboardiq.ErrorField(err) != "comment" {
		t.Errorf("a comment too long: %v", err)
	}
}

// TestSurveyLinkRefusesForgedTamperedExpired: a token altered anywhere, cut
// short, made with another key or for a score off the scale is refused
// and records nothing; so is a link past its survey's 30 days.
func TestSurveyLinkRefusesForgedTamperedExpired(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	ctx := context.Background()
	now := time.Now()
	id, _ := f.askSurvey(t, SurveyAsk{Kind: SurveyCSAT, Reason: SurveyMilestone}, now)
	good := f.surveyLink(t, id, 5)
	raw, err := surveyEnc.DecodeString(good)
	if err != nil {
		t.Fatal(err)
	}
	tampered := func(i int) string {
		b := append([]byte{}, raw...)
		b[i] ^= 1
		return surveyEnc.EncodeToString(b)
	}
	other := uuid.New()
	forged := append(append(append([]byte{}, f.tenant[:]...), other[:]...), 5)
	forged = append(forged, make([]byte, 16)...)
	for name, tok := range map[string]string{
		"score changed":   tampered(32),
		"request changed": tampered(20),
		"tenant changed":  tampered(3),
		"mac changed":     tampered(len(raw) - 1),
		"cut short":       good[:len(good)-4],
		"empty":           "",
		"not base64":      "!!!",
		"forged mac":      surveyEnc.EncodeToString(forged),
	} {
		if _, err := f.db.AnswerSurveyLink(ctx, tok, now); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	// Signed, but off the CSAT scale.
	if _, err := f.db.AnswerSurveyLink(ctx, f.surveyLink(t, id, 9), now); onboardiq.ErrorField(err) != "score" {
		t.Errorf("a score of 9 on CSAT: %v", err)
	}
	// Expired.
	if _, err := f.db.AnswerSurveyLink(ctx, good, now.Add(SurveyTTL+time.Minute)); onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
		t.Errorf("after 30 days: %v", err)
	}
	if n := f.countRows(t, `SELECT count(*) FROM survey_responses WHERE tenant_id = $1 AND request_id IS NOT NULL`); n != 0 {
		t.Errorf("%d responses recorded by refused links", n)
	}
	// The good link still works.
	if a, err := f.db.AnswerSurveyLink(ctx, good, now); err != nil || a.Score != 5 {
		t.Errorf("the good link: %+v, %v", a, err)
	}
}

// TestPortalSurveyAnswer: the signed-in contact sees their open surveys and
// answers one, with a comment; nobody else can answer it.
func TestPortalSurveyAnswer(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	now := time.Now()
	id, _ := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS}, now)
	open, err := f.db.ListOpenSurveys(f.asContact, now)
	if err != nil || len(open) != 1 || open[0].ID != id || len(open[0].Scores()) != 11 || open[0].Subject != "Acme" {
		t.Fatalf("open surveys: %+v, %v", open, err)
	}
	for name, who := range map[string]context.Context{"colleague": f.colleague, "stranger": f.stranger, "admin": f.as, "csm": f.csm} {
		if _, err := f.db.AnswerSurvey(who, id, 9, "", now); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
			t.Errorf("%s answered the contact's survey: %v", name, err)
		}
		if mine, err := f.db.ListOpenSurveys(who, now); err != nil || len(mine) != 0 {
			t.Errorf("%s sees the contact's survey: %v, %v", name, mine, err)
		}
	}
	if _, err := f.db.AnswerSurvey(f.asContact, id, 11, "", now); onboardiq.ErrorField(err) != "score" {
		t.Errorf("a score of 11: %v", err)
	}
	a, err := f.db.AnswerSurvey(f.asContact, id, 10, "Great onboarding", now)
	if err != nil || a.Already || a.Score != 10 || a.Comment != "Great onboarding" {
		t.Fatalf("answer: %+v, %v", a, err)
	}
	if open, _ := f.db.ListOpenSurveys(f.asContact, now); len(open) != 0 {
		t.Errorf("still open after the answer: %+v", open)
	}
	list, err := f.db.ListSurveyResponses(f.viewer, SurveyFilter{Kind: SurveyNPS})
	if err != nil || len(list.Items) != 1 || list.Items[0].Score != 10 || list.Items[0].Comment != "Great onboarding" ||
		list.Items[0].ContactName != "Contact" || list.Items[0].CustomerName != "Globex" || list.Items[0].Detractor {
		t.Fatalf("responses: %+v, %v", list.Items, err)
	}
}

// TestSurveyDetractorTellsTheCSM: an NPS of 6 or less (or a CSAT of 2 or
// less) notifies the customer's CSM, naming the customer, the contact,
// the score and the comment; a promoter notifies nobody.
func TestSurveyDetractorTellsTheCSM(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	now := time.Now()
	csm := onboardiq.PrincipalFromContext(f.csm).UserID
	promoter, _ := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS}, now)
	if _, err := f.db.AnswerSurveyLink(context.Background(), f.surveyLink(t, promoter, 9), now); err != nil {
		t.Fatal(err)
	}
	if n := f.countRows(t, `SELECT count(*) FROM notifications WHERE tenant_id = $1 AND kind = 'survey_detractor'`); n != 0 {
		t.Errorf("a promoter notified %d", n)
	}
	detractor, _ := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS}, now.Add(time.Minute))
	if _, err := f.db.AnswerSurvey(f.asContact, detractor, 3, "Too slow", now); err != nil {
		t.Fatal(err)
	}
	var title, body string
	var user uuid.UUID
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id, title, body FROM notifications WHERE tenant_id = $1 AND kind = 'survey_detractor'`, f.tenant).Scan(&user, &title, &body)
	}); err != nil {
		t.Fatalf("the detractor's notice: %v", err)
	}
	if user != csm {
		t.Errorf("the notice went to %s, want the CSM", user)
	}
	for _, w := range []string{"Contact", "Globex", "3", "Too slow", "NPS"} {
		if !strings.Contains(title+" "+body, w) {
			t.Errorf("the notice %q / %q lacks %q", title, body, w)
		}
	}
	// A CSAT of 2 is a detractor's; 3 is not.
	for score, want := range map[int]bool{2: true, 3: false, 1: true} {
		if IsDetractor(SurveyCSAT, score) != want {
			t.Errorf("CSAT %d detractor = %v", score, !want)
		}
	}
	for score, want := range map[int]bool{6: true, 7: false, 0: true, 10: false} {
		if IsDetractor(SurveyNPS, score) != want {
			t.Errorf("NPS %d detractor = %v", score, !want)
		}
	}
}

// TestSurveyRequestRules: a request is made once per key; never two open
// NPS surveys to one contact; nothing to a contact who turned the kind
// off, whose address bounced, or who is disabled.
func TestSurveyRequestRules(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	now := time.Now()
	if id, out := f.askSurvey(t, SurveyAsk{Kind: SurveyCSAT, Reason: SurveyProjectCompleted, Key: "csat:project:x"}, now); id == uuid.Nil {
		t.Fatalf("first: %s", out)
	}
	if id, out := f.askSurvey(t, SurveyAsk{Kind: SurveyCSAT, Reason: SurveyProjectCompleted, Key: "csat:project:x"}, now); id != uuid.Nil || out != MailDuplicate {
		t.Errorf("the same key again: %s %s", id, out)
	}
	if id, _ := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS}, now); id == uuid.Nil {
		t.Fatal("no NPS")
	}
	if id, out := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS}, now); id != uuid.Nil || out != SurveyOpen {
		t.Errorf("a second open NPS: %s %s", id, out)
	}
	// Milestones: one a week.
	if id, _ := f.askSurvey(t, SurveyAsk{Kind: SurveyCSAT, Reason: SurveyMilestone}, now); id == uuid.Nil {
		t.Fatal("no milestone CSAT")
	}
	if id, out := f.askSurvey(t, SurveyAsk{Kind: SurveyCSAT, Reason: SurveyMilestone}, now.Add(time.Hour)); id != uuid.Nil || out != SurveyQuiet {
		t.Errorf("a second milestone CSAT within a week: %s %s", id, out)
	}
	colleague := onboardiq.PrincipalFromContext(f.colleague).UserID
	exec := func(q string, args ...any) {
		t.Helper()
		if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
			_, err := tx.Exec(ctx, q, append([]any{f.tenant}, args...)...)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO notification_preferences (tenant_id, user_id, kind, in_app, email) VALUES ($1, $2, 'survey_csat', true, 'off')`, colleague)
	if id, out := f.askSurvey(t, SurveyAsk{Kind: SurveyCSAT, UserID: colleague}, now); id != uuid.Nil || out != MailOff {
		t.Errorf("to a contact who turned CSAT off: %s %s", id, out)
	}
	exec(`UPDATE tenant_users SET undeliverable_at = now() WHERE tenant_id = $1 AND user_id = $2`, colleague)
	if id, out := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS, UserID: colleague}, now); id != uuid.Nil || out != MailUndeliverable {
		t.Errorf("to an undeliverable address: %s %s", id, out)
	}
	exec(`UPDATE tenant_users SET disabled_at = now() WHERE tenant_id = $1 AND user_id = $2`, colleague)
	if id, out := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS, UserID: colleague}, now); id != uuid.Nil || out != MailNotContact {
		t.Errorf("to a disabled contact: %s %s", id, out)
	}
	admin := onboardiq.PrincipalFromContext(f.as).UserID
	if id, out := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS, UserID: admin}, now); id != uuid.Nil || out != MailNotContact {
		t.Errorf("to staff: %s %s", id, out)
	}
}

// TestNPSScheduleOncePerInterval: the scan asks each active contact for an
// NPS once per interval, not within their first 14 days, not while one is
// open, and not at all when the schedule is off.
func TestNPSScheduleOncePerInterval(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	now := time.Now()
	scan := func(at time.Time) int {
		t.Helper()
		var n int
		if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
			var err error
			n, err = tx.QueueNPSSurveys(ctx, "http://onboardiq.test", at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := scan(now); n != 0 {
		t.Errorf("new contacts were asked: %d", n)
	}
	// Three contacts (the contact, the colleague, the stranger): 20 days
	// later, each is asked once.
	at := now.Add(20 * 24 * time.Hour)
	if n := scan(at); n != 3 {
		t.Fatalf("after 20 days: %d asked, want 3", n)
	}
	if n := scan(at.Add(time.Hour)); n != 0 {
		t.Errorf("an hour later: %d asked again", n)
	}
	open, err := f.db.ListOpenSurveys(f.asContact, at)
	if err != nil || len(open) != 1 {
		t.Fatalf("open: %v, %v", open, err)
	}
	if _, err := f.db.AnswerSurvey(f.asContact, open[0].ID, 8, "", at); err != nil {
		t.Fatal(err)
	}
	if n := scan(at.Add(24 * time.Hour)); n != 0 {
		t.Errorf("a day after answering: %d asked", n)
	}
	// After the 90 days: everyone again (the unanswered ones have expired).
	if n := scan(at.Add(91 * 24 * time.Hour)); n != 3 {
		t.Errorf("after 91 days: %d asked, want 3", n)
	}
	if _, err := f.db.SetSurveySettings(f.as, SurveySettings{NPSIntervalDays: 0}); err != nil {
		t.Fatal(err)
	}
	if n := scan(at.Add(400 * 24 * time.Hour)); n != 0 {
		t.Errorf("with the schedule off: %d asked", n)
	}
}

// TestSurveySettings: the defaults, validation naming the field, and
// admins alone may change them.
func TestSurveySettings(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	s, err := f.db.GetSurveySettings(f.viewer)
	if err != nil || !s.CSATOnCompletion || !s.CSATOnMilestones || s.NPSIntervalDays != 90 {
		t.Fatalf("defaults: %+v, %v", s, err)
	}
	for _, days := range []int{-1, 1, 29, 366} {
		if _, err := f.db.SetSurveySettings(f.as, SurveySettings{NPSIntervalDays: days}); onboardiq.ErrorField(err) != "nps_interval_days" {
			t.Errorf("%d days: %v", days, err)
		}
	}
	for name, who := range map[string]context.Context{"csm": f.csm, "sales": f.sales, "viewer": f.viewer, "contact": f.asContact} {
		if _, err := f.db.SetSurveySettings(who, SurveySettings{NPSIntervalDays: 30}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
			t.Errorf("%s changed the settings: %v", name, err)
		}
	}
	if _, err := f.db.GetSurveySettings(f.asContact); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact read the settings: %v", err)
	}
	if _, err := f.db.SetSurveySettings(f.as, SurveySettings{CSATOnMilestones: true, NPSIntervalDays: 180}); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.db.GetSurveySettings(f.as); s.CSATOnCompletion || !s.CSATOnMilestones || s.NPSIntervalDays != 180 {
		t.Errorf("saved: %+v", s)
	}
	if n := f.countRows(t, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind = 'settings.surveys_changed'`); n != 1 {
		t.Errorf("%d settings events, want 1", n)
	}
}

// TestListSurveyResponses: staff read the answers, filtered by kind,
// customer and time; contacts may not; a bad filter names its field.
func TestListSurveyResponses(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	now := time.Now()
	csat, _ := f.askSurvey(t, SurveyAsk{Kind: SurveyCSAT, Reason: SurveyProjectCompleted}, now)
	nps, _ := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS}, now)
	if _, err := f.db.AnswerSurvey(f.asContact, csat, 5, "", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AnswerSurvey(f.asContact, nps, 2, "", now); err != nil {
		t.Fatal(err)
	}
	for name, who := range map[string]context.Context{"admin": f.as, "csm": f.csm, "sales": f.sales, "viewer": f.viewer} {
		l, err := f.db.ListSurveyResponses(who, SurveyFilter{})
		if err != nil || len(l.Items) != 2 || l.Items[0].Kind != SurveyNPS || !l.Items[0].Detractor {
			t.Errorf("%s: %+v, %v", name, l.Items, err)
		}
	}
	if _, err := f.db.ListSurveyResponses(f.asContact, SurveyFilter{}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact listed the responses: %v", err)
	}
	if l, _ := f.db.ListSurveyResponses(f.as, SurveyFilter{Kind: SurveyCSAT}); len(l.Items) != 1 || l.Items[0].Score != 5 || l.Items[0].Reason != SurveyProjectCompleted {
		t.Errorf("csat: %+v", l.Items)
	}
	if l, _ := f.db.ListSurveyResponses(f.as, SurveyFilter{CustomerID: &f.other.ID}); len(l.Items) != 0 {
		t.Errorf("another customer's: %+v", l.Items)
	}
	from := now.Add(-time.Minute)
	if l, _ := f.db.ListSurveyResponses(f.as, SurveyFilter{From: &from}); len(l.Items) != 1 || l.Items[0].Kind != SurveyNPS {
		t.Errorf("from: %+v", l.Items)
	}
	if _, err := f.db.ListSurveyResponses(f.as, SurveyFilter{Kind: "ces"}); onboardiq.ErrorField(err) != "kind" {
		t.Errorf("kind ces: %v", err)
	}
	l, err := f.db.ListSurveyResponses(f.as, SurveyFilter{ListOptions: onboardiq.ListOptions{Limit: 1}})
	if err != nil || len(l.Items) != 1 || l.NextCursor == "" {
		t.Fatalf("page 1: %+v, %v", l, err)
	}
	l2, err := f.db.ListSurveyResponses(f.as, SurveyFilter{ListOptions: onboardiq.ListOptions{Limit: 1, Cursor: l.NextCursor}})
	if err != nil || len(l2.Items) != 1 || l2.Items[0].ID == l.Items[0].ID {
		t.Errorf("page 2: %+v, %v", l2, err)
	}
}

// TestSurveyLinkClickedConcurrently: clicks on several scores of one email
// at once (a double click, a mail scanner) record one answer; every other
// click says it was recorded already.
func TestSurveyLinkClickedConcurrently(t *testing.T) {
	t.Parallel()
	f := newConvFixture(t)
	now := time.Now()
	id, _ := f.askSurvey(t, SurveyAsk{Kind: SurveyNPS}, now)
	tokens := make([]string, 6)
	for i := range tokens {
		tokens[i] = f.surveyLink(t, id, i+4)
	}
	type result struct {
		a   *SurveyAnswer
		err error
	}
	results := make(chan result, len(tokens))
	for _, tok := range tokens {
		go func() {
			a, err := f.db.AnswerSurveyLink(context.Background(), tok, now)
			results <- result{a, err}
		}()
	}
	fresh, score := 0, -1
	for range tokens {
		r := <-results
		if r.err != nil {
			t.Fatalf("a click: %v", r.err)
		}
		if !r.a.Already {
			fresh++
			score = r.a.Score
		}
	}
	if fresh != 1 {
		t.Errorf("%d clicks recorded, want 1", fresh)
	}
	if n := f.countRows(t, `SELECT count(*) FROM survey_responses WHERE tenant_id = $1 AND score = $2 AND request_id IS NOT NULL`, score); n != 1 {
		t.Errorf("%d responses of the recorded score %d", n, score)
	}
	if n := f.countRows(t, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind = 'survey.answered'`); n != 1 {
		t.Errorf("%d survey.answered events, want 1", n)
	}
}
