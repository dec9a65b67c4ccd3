package bench

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestBareAnswersAsTheApp: the bare handler runs the app's own SQL, so it
// answers the point read and the two lists with the same JSON as the API,
// for staff and for a customer contact (whose projects and tasks are
// limited to their customer's); it answers the search, the pages and the
// assistant; it refuses what is not one of the run's credentials, and a
// project the caller may not see is 404 there too.
func TestBareAnswersAsTheApp(t *testing.T) {
	t.Parallel()
	tdb := testdb.New(t)
	ctx := context.Background()
	s := Scale{Name: "test", Data: DataSet{Corpus: Corpus{Seed: 5}, Tenants: 2, Articles: 40, Skewed: true}, Customers: 3, ProjectsPerCustomer: 2}
	w, err := LoadWorkspace(ctx, tdb.App, ai.Local{}, s, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Projects) != 6 || len(w.ContactProjects) != 2 || w.Tasks == 0 || w.Stats.Customers != 3 {
		t.Fatalf("workspace: %d projects, %d of the contact's, %d tasks, %+v", len(w.Projects), len(w.ContactProjects), w.Tasks, w.Stats)
	}
	creds, err := NewCredentials(ctx, tdb.App, w)
	if err != nil {
		t.Fatal(err)
	}
	contactToken, err := creds.token(ctx, tdb.App, w.Main.ID, w.Contact)
	if err != nil {
		t.Fatal(err)
	}
	if creds.Principals[contactToken], err = tdb.App.Authenticate(ctx, contactToken); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := httptest.NewServer(server.New(server.Options{DB: tdb.App, Logger: quiet}))
	defer app.Close()
	bareDB, err := postgres.Open(ctx, tdb.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	defer bareDB.Close()
	bare := httptest.NewServer((&Bare{DB: bareDB, Embedder: ai.Local{}, Creds: creds.Principals, Logger: quiet,
		Assistant: &assistant.Service{DB: bareDB, Embedder: ai.Local{}, Chat: ai.Extractive{}, Logger: quiet}}).Handler())
	defer bare.Close()

	get := func(base, path string, h http.Header) (int, any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v any
		b, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(b, &v) != nil {
			v = string(b)
		}
		return resp.StatusCode, v
	}
	bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }
	other := w.Projects[0]
	for _, id := range w.Projects {
		if id != w.ContactProjects[0] && id != w.ContactProjects[1] {
			other = id
		}
	}
	for _, tc := range []struct {
		who, token, path string
	}{
		{"staff", creds.Token, "/api/v1/projects/" + w.Projects[3].String()},
		{"staff", creds.Token, "/api/v1/projects"},
		{"staff", creds.Token, "/api/v1/projects/" + w.Projects[1].String() + "/tasks"},
		{"contact", contactToken, "/api/v1/projects/" + w.ContactProjects[1].String()},
		{"contact", contactToken, "/api/v1/projects"},
		{"contact", contactToken, "/api/v1/projects/" + w.ContactProjects[0].String() + "/tasks"},
	} {
		as, want := get(app.URL, tc.path, bearer(tc.token))
		bs, got := get(bare.URL, tc.path, bearer(tc.token))
		if as != http.StatusOK || bs != http.StatusOK {
			t.Errorf("%s %s: app %d, bare %d: %v", tc.who, tc.path, as, bs, got)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s (-app +bare):\n%s", tc.who, tc.path, diff)
		}
	}
	// The contact sees their customer's projects only.
	_, list := get(bare.URL, "/api/v1/projects", bearer(contactToken))
	if items := list.(map[string]any)["items"].([]any); len(items) != 2 {
		t.Errorf("the contact listed %d projects", len(items))
	}
	for _, path := range []string{"/api/v1/projects/" + other.String(), "/api/v1/projects/" + other.String() + "/tasks"} {
		if code, _ := get(bare.URL, path, bearer(contactToken)); code != http.StatusNotFound {
			t.Errorf("contact, another customer's %s: %d", path, code)
		}
	}
	cookie := func(s string) http.Header { return http.Header{"Cookie": {SessionCookie + "=" + s}} }
	for path, h := range map[string]http.Header{
		"/app": cookie(creds.StaffSession), "/app/projects/" + w.Projects[2].String(): cookie(creds.StaffSession),
		"/portal/" + w.Main.Slug + "/projects/" + w.ContactProjects[0].String(): cookie(creds.PortalSession),
		"/api/v1/kb/search?q=single+sign-on&mode=hybrid":                        bearer(creds.Token),
	} {
		if code, body := get(bare.URL, path, h); code != http.StatusOK {
			t.Errorf("bare %s: %d %v", path, code, body)
		}
		if code, body := get(app.URL, path, h); code != http.StatusOK {
			t.Errorf("app %s: %d %v", path, code, body)
		}
	}
	for _, h := range []http.Header{nil, bearer("oiq_not_a_token"), cookie("oiqs_nope")} {
		if code, _ := get(bare.URL, "/api/v1/projects", h); code != http.StatusUnauthorized {
			t.Errorf("bare with %v: %d", h, code)
		}
	}
	if err := creds.Close(ctx, tdb.App, w); err != nil {
		t.Fatal(err)
	}
	if _, err := tdb.App.Authenticate(ctx, creds.Token); err == nil {
		t.Error("the run's token works after Close")
	}
	if _, err := tdb.App.AuthenticateSession(ctx, creds.StaffSession); err == nil {
		t.Error("the run's session works after Close")
	}
}
