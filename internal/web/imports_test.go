package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// TestImportPages: an admin uploads a file whose name column the guess
// misses; the draft shows the missing field and the problems; choosing the
// column and checking again keeps the choice; all-or-nothing refuses the
// file with a bad row on the same page; row by row starts it, and once the
// job has run the page shows what it did. Bad uploads come back with the
// error beside the field; other roles see no control and are refused.
func TestImportPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, roleEmails["admin"])
	list := get(t, admin, a.url+"/app/imports")
	if list.status != 200 || len(list.all("#import-form")) != 1 {
		t.Fatalf("imports page: %d", list.status)
	}
	labelled(t, "imports", list)

	// No file; a kind that does not exist.
	p := postMultipart(t, admin, a.url+"/app/imports", url.Values{"kind": {"customers"}, "mode": {"all"}}, nil, a.url)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("no file: %d", p.status)
	}
	describedError(t, p, "#file", "error-file", "choose a CSV file")
	p = postMultipart(t, admin, a.url+"/app/imports", url.Values{"kind": {"widgets"}}, map[string][]byte{"file": []byte("a\n1\n")}, a.url)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad kind: %d", p.status)
	}
	describedError(t, p, "#kind", "error-kind", "customers")
	if p := postMultipart(t, admin, a.url+"/app/imports", url.Values{"kind": {"customers"}}, map[string][]byte{"file": []byte("Firm\nX\n")}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin upload: %d", p.status)
	}

	file := []byte("Firm,Account ID,ARR\nImported Widgets,IW-1,1200\nBroken Inc,BI-1,lots\n")
	p = postMultipart(t, admin, a.url+"/app/imports", url.Values{"kind": {"customers"}, "mode": {"all"}}, map[string][]byte{"file": file}, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", p.status, p.text(".error"))
	}
	where := a.url + p.header.Get("Location")
	draft := get(t, admin, where)
	labelled(t, "draft", draft)
	if !strings.Contains(draft.text("#missing"), "name") || len(draft.all("#mapping-form")) != 1 {
		t.Fatalf("the draft does not ask for the name column: %q", draft.text("#missing"))
	}
	if got := draft.all(`#map-external_id option[selected]`); len(got) != 1 || attr(got[0], "value") != "Account ID" {
		t.Errorf("the guessed column of external_id is not chosen")
	}
	check := url.Values{"map.name": {"Firm"}, "map.external_id": {"Account ID"}, "map.arr": {"ARR"}, "mode": {"all"}, "action": {"check"}}
	if p := post(t, admin, where, check, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("check again: %d %s", p.status, p.text(".error"))
	}
	checked := get(t, admin, where)
	if len(checked.all("#missing")) != 0 || !strings.Contains(checked.text("#problems"), "must be a number") ||
		len(checked.all(`#map-name option[value="Firm"][selected]`)) != 1 {
		t.Fatalf("after choosing the column: missing %q, problems %q", checked.text("#missing"), checked.text("#problems"))
	}
	check.Set("action", "import")
	refusedPage := post(t, admin, where, check, a.url)
	if refusedPage.status != http.StatusUnprocessableEntity || !strings.Contains(refusedPage.text("#error-file"), "1 row has a problem") ||
		len(refusedPage.all(`#map-name option[value="Firm"][selected]`)) != 1 {
		t.Fatalf("all or nothing with a bad row: %d %q", refusedPage.status, refusedPage.text(".error"))
	}
	check.Set("mode", "rows")
	if p := post(t, admin, where, check, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("start: %d %s", p.status, p.text(".error"))
	}
	queued := get(t, admin, where)
	if queued.text("#import-status") != "queued" || len(queued.all(`meta[http-equiv="refresh"]`)) != 1 || len(queued.all("#mapping-form")) != 0 {
		t.Fatalf("a queued import: %q", queued.text("#import-status"))
	}
	id, _ := uuid.Parse(where[strings.LastIndex(where, "/")+1:])
	if err := a.db.App.RunImport(context.Background(), a.demo.TenantID, id); err != nil {
		t.Fatal(err)
	}
	done := get(t, admin, where)
	if done.text("#import-status") != "done" || !strings.Contains(done.text("#import-summary"), "1 created") || len(done.all(`meta[http-equiv="refresh"]`)) != 0 {
		t.Fatalf("the finished import: %q", done.text("#import-summary"))
	}
	var n int
	actScan(t, a, `SELECT count(*) FROM customers WHERE external_id = 'IW-1' AND arr = 1200`, nil, &n)
	if n != 1 {
		t.Error("the imported customer is missing")
	}
	if !strings.Contains(get(t, admin, a.url+"/app/imports").text("#imports"), "file.png") {
		t.Error("the list does not show the import")
	}

	// The workspace archive, from settings.
	settings := get(t, admin, a.url+"/app/settings")
	if len(settings.all("#imports-link")) != 1 || len(settings.all("#export-link")) != 1 {
		t.Error("settings do not link to imports and the archive")
	}
	resp, body := pbDownload(t, admin, a.url+"/app/settings/export")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "workspace-") || !strings.Contains(string(body), `"IW-1"`) {
		t.Errorf("the archive: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}

	for _, role := range []string{"csm", "sales_leader", "viewer"} {
		c := signIn(t, a, roleEmails[role])
		if (&onboardiq.Principal{Role: onboardiq.Role(role)}).Can(onboardiq.ImportData) {
			t.Fatalf("%s may import", role)
		}
		if s := get(t, c, a.url+"/app/settings"); len(s.all("#imports-link, #export-link")) != 0 {
			t.Errorf("%s: settings show the import or archive link", role)
		}
		refused(t, role+" opens imports", get(t, c, a.url+"/app/imports"))
		refused(t, role+" opens the import", get(t, c, where))
		refused(t, role+" uploads", postMultipart(t, c, a.url+"/app/imports", url.Values{"kind": {"customers"}}, map[string][]byte{"file": file}, a.url))
		refused(t, role+" downloads the archive", get(t, c, a.url+"/app/settings/export"))
	}
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	refused(t, "a contact opens imports", get(t, contact, a.url+"/app/imports"))
}
