package jobs

import (
	"context"
	"log/slog"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// askJobs lists the queued survey_ask jobs of the tenant.
func (f *fixture) askJobs(t *testing.T) []postgres.SurveyAskArgs {
	t.Helper()
	rows, err := f.db.App.Pool.Query(context.Background(), `
SELECT args FROM river_job WHERE kind = 'survey_ask' AND args->>'tenant_id' = $1 ORDER BY id`, f.tenant.String())
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[postgres.SurveyAskArgs])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// surveyRequests counts the tenant's survey requests by "kind reason
// email".
func (f *fixture) surveyRequests(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT r.kind || ' ' || r.reason || ' ' || u.email, count(*) FROM survey_requests r
JOIN tenant_users u ON u.tenant_id = r.tenant_id AND u.user_id = r.user_id GROUP BY 1`)
		if err != nil {
			return err
		}
		var k string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&k, &n}, func() error { out[k] = n; return nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var surveyLink = regexp.MustCompile(`http://onboardiq\.test/portal/acme/s/([A-Za-z0-9_-]{66})`)

// TestCSATOnProjectCompletion: a completed project schedules its CSAT
// surveys once, however often the fan-out runs; worked (twice), the job
// requests one survey of each contact of the customer, by email with the
// scale 1–5 as signed links; one click records the score once. A phase
// completed earlier asked at the milestone.
func TestCSATOnProjectCompletion(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	ctx := context.Background()
	globex := m.projectID(t, "Globex platform rollout")
	seed := len(m.askJobs(t)) // the demo's completed project
	for _, id := range m.openTasks(t, globex, "Technical setup") {
		m.setStatus(t, m.admin, id, onboardiq.StatusCompleted)
	}
	m.fanOut(t)
	m.fanOutAgain(t)
	w := &SurveyAskWorker{DB: m.db.App, BaseURL: "http://onboardiq.test"}
	work := func(jobs []postgres.SurveyAskArgs) {
		t.Helper()
		for range 2 {
			for _, a := range jobs {
				if err := w.Work(ctx, job(a, 1)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	phase := m.askJobs(t)[seed:]
	if len(phase) != 1 || phase[0].Phase != "Technical setup" || phase[0].ProjectID != globex {
		t.Fatalf("after the technical setup phase: %+v, want one job for the phase", phase)
	}
	work(phase)
	want := map[string]int{"csat milestone hannah.becker@globex.example": 1, "csat milestone omar.aziz@globex.example": 1}
	if got := m.surveyRequests(t); !maps.Equal(got, want) {
		t.Fatalf("requests after the phase: %v, want %v", got, want)
	}
	for _, id := range m.openTasks(t, globex, "") {
		m.setStatus(t, m.admin, id, onboardiq.StatusCompleted)
	}
	m.fanOut(t)
	m.fanOutAgain(t)
	jobs := m.askJobs(t)[seed+1:]
	if len(jobs) != 1 || jobs[0].Phase != "" || jobs[0].ProjectID != globex {
		t.Fatalf("after the project: %+v, want one job for the project", jobs)
	}
	work(jobs)
	want["csat project_completed hannah.becker@globex.example"] = 1
	want["csat project_completed omar.aziz@globex.example"] = 1
	if got := m.surveyRequests(t); !maps.Equal(got, want) {
		t.Fatalf("requests: %v, want %v", got, want)
	}
	if got := m.contactMails(t, "survey:"); got["survey_csat hannah.becker@globex.example"] != 2 {
		t.Errorf("survey emails: %v", got)
	}
	var mail string
	for _, msg := range to(m.send(t), "hannah.becker@globex.example") {
		if header(msg, "Subject") == "How did Globex platform rollout go?" {
			mail = msg.Data
		}
	}
	if mail == "" {
		t.Fatal("no CSAT email about the project reached Hannah")
	}
	links := surveyLink.FindAllStringSubmatch(mail, -1)
	seen := map[string]bool{}
	for _, l := range links {
		seen[l[1]] = true
	}
	if len(seen) != 5 {
		t.Fatalf("%d distinct score links in the email, want 5:\n%s", len(seen), mail)
	}
	if !strings.Contains(mail, "how satisfied are you with") {
		t.Errorf("the email lacks its question:\n%s", mail)
	}
	// One click on "4" (the fourth link) records 4; a click on "1" after
	// it changes nothing.
	var four, one string
	for _, l := range links {
		a, err := m.db.App.CheckSurveyLink(ctx, l[1])
		if err != nil {
			t.Fatal(err)
		}
		switch a.Score {
		case 4:
			four = l[1]
		case 1:
			one = l[1]
		}
	}
	if a, err := m.db.App.AnswerSurveyLink(ctx, four, time.Now()); err != nil || a.Score != 4 || a.Already {
		t.Fatalf("click on 4: %+v, %v", a, err)
	}
	if a, err := m.db.App.AnswerSurveyLink(ctx, one, time.Now()); err != nil || a.Score != 4 || !a.Already {
		t.Fatalf("click on 1 after 4: %+v, %v", a, err)
	}
	if n := m.count(t, `SELECT count(*) FROM survey_responses WHERE score = 4 AND request_id IS NOT NULL`); n != 1 {
		t.Errorf("%d responses of 4", n)
	}
	if n := m.count(t, `SELECT count(*) FROM survey_responses WHERE request_id IS NOT NULL`); n != 1 {
		t.Errorf("%d responses", n)
	}
}

// TestCSATOffAsksNothing: with CSAT at completion and milestones off, a
// completed project schedules nothing.
func TestCSATOffAsksNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t)
	seed := len(f.askJobs(t))
	if _, err := f.db.App.SetSurveySettings(f.admin, postgres.SurveySettings{NPSIntervalDays: 90}); err != nil {
		t.Fatal(err)
	}
	globex := f.projectID(t, "Globex platform rollout")
	for _, id := range f.openTasks(t, globex, "") {
		f.setStatus(t, f.admin, id, onboardiq.StatusCompleted)
	}
	f.fanOut(t)
	if jobs := f.askJobs(t)[seed:]; len(jobs) != 0 {
		t.Errorf("jobs with CSAT off: %+v", jobs)
	}
}

// TestNPSScanWorker: the tenant's NPS scan asks each contact past their
// first 14 days once, by email with the scale 0–10, and not again within
// the interval.
func TestNPSScanWorker(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	ctx := context.Background()
	later := time.Now().Add(15 * 24 * time.Hour)
	w := &SurveyTenantWorker{DB: m.db.App, BaseURL: "http://onboardiq.test", Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return later }}
	for range 2 {
		if err := w.Work(ctx, job(postgres.SurveyTenantArgs{TenantID: m.tenant}, 1)); err != nil {
			t.Fatal(err)
		}
	}
	got := m.surveyRequests(t)
	if got["nps schedule hannah.becker@globex.example"] != 1 || len(got) < 2 {
		t.Fatalf("requests: %v", got)
	}
	for k, n := range got {
		if n != 1 || !strings.HasPrefix(k, "nps schedule ") {
			t.Errorf("request %s × %d", k, n)
		}
	}
	sent := to(m.send(t), "hannah.becker@globex.example")
	if len(sent) != 1 {
		t.Fatalf("%d emails reached Hannah", len(sent))
	}
	seen := map[string]bool{}
	for _, l := range surveyLink.FindAllStringSubmatch(sent[0].Data, -1) {
		seen[l[1]] = true
	}
	if len(seen) != 11 {
		t.Errorf("%d score links in the NPS email, want 11", len(seen))
	}
}
