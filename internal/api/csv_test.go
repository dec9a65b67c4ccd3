package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// csvGet sends a GET as caller with the given Accept (none when empty) and
// returns the answer.
func (e *env) csvGet(t *testing.T, caller, path, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+"/api/v1"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if tok := e.tokens[caller]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

// csvTable reads a CSV answer into its header and rows keyed by column.
func csvTable(t *testing.T, body string) ([]string, []map[string]string) {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("not CSV (%v): %q", err, body)
	}
	var rows []map[string]string
	for _, r := range records[1:] {
		row := map[string]string{}
		for i, c := range records[0] {
			row[c] = r[i]
		}
		rows = append(rows, row)
	}
	return records[0], rows
}

// TestCSVLists: list endpoints answer CSV for Accept: text/csv and for
// ?format=csv, the whole filtered list across pages, with a header of the
// JSON field names, nested fields flattened, formulas guarded; a non-list
// answers 406, errors stay problem+json, and who may see a list is
// unchanged.
func TestCSVLists(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mustDo := func(method, path string, body any, want int) {
		t.Helper()
		if st, out := e.do(t, "admin", method, path, body); st != want {
			t.Fatalf("%s %s: %d %s", method, path, st, out)
		}
	}
	mustDo("POST", "/custom-fields", map[string]any{"entity": "customer", "key": "plan", "label": "Plan", "type": "one_of", "options": []string{"Basic", "Pro"}}, 201)
	mustDo("POST", "/customers", map[string]any{"name": "=HYPERLINK(\"http://evil.test\")", "segment": "SMB",
		"contact_info": map[string]any{"email": "ops@evil.test"}, "arr": 1200.5, "custom_fields": map[string]any{"plan": "Pro"}}, 201)
	// More customers than one page holds, to see the pages followed.
	for i := range 205 {
		mustDo("POST", "/customers", map[string]any{"name": fmt.Sprintf("Bulk %03d", i), "segment": "Bulk"}, 201)
	}

	resp, body := e.csvGet(t, "admin", "/customers?cf.plan=Pro", "text/csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("Accept: text/csv: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	want := `attachment; filename="customers-` + time.Now().UTC().Format(time.DateOnly) + `.csv"`
	if got := resp.Header.Get("Content-Disposition"); got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	header, rows := csvTable(t, body)
	if !contains(header, "id") || !contains(header, "name") || !contains(header, "contact_info.email") || !contains(header, "custom_fields.plan") {
		t.Errorf("header %q", header)
	}
	if len(rows) != 1 || rows[0]["custom_fields.plan"] != "Pro" {
		t.Errorf("filtered by plan: %d rows", len(rows))
	}
	resp, body = e.csvGet(t, "admin", "/customers?q=hyperlink&format=csv", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("?format=csv: %d %s", resp.StatusCode, body)
	}
	_, rows = csvTable(t, body)
	if len(rows) != 1 {
		t.Fatalf("filtered: %d rows: %q", len(rows), body)
	}
	r := rows[0]
	if r["name"] != `'=HYPERLINK("http://evil.test")` || r["contact_info.email"] != "ops@evil.test" || r["arr"] != "1200.5" ||
		r["custom_fields.plan"] != "Pro" || r["segment"] != "SMB" {
		t.Errorf("row %q", r)
	}
	if _, err := time.Parse(time.RFC3339, r["created_at"]); err != nil {
		t.Errorf("created_at %q: %v", r["created_at"], err)
	}
	// The whole list, past the first page (2 fixture customers + 206).
	_, body = e.csvGet(t, "admin", "/customers?limit=5", "text/csv")
	if _, rows := csvTable(t, body); len(rows) != 208 {
		t.Errorf("whole list: %d rows", len(rows))
	}
	// Another list: projects, with its nested customer and CSM.
	_, body = e.csvGet(t, "csm", "/projects?format=csv", "")
	header, rows = csvTable(t, body)
	if len(rows) != 2 || !contains(header, "name") || !contains(header, "status") {
		t.Errorf("projects: %q", body)
	}
	// A list that is no paged items: the custom fields.
	_, body = e.csvGet(t, "admin", "/custom-fields?format=csv", "")
	if _, rows := csvTable(t, body); len(rows) != 1 || rows[0]["key"] != "plan" || rows[0]["options"] != "Basic; Pro" {
		t.Errorf("custom fields: %q", body)
	}
	// JSON stays the default, and is what */* and format=json get.
	for _, c := range []struct{ path, accept string }{{"/customers", ""}, {"/customers", "*/*"}, {"/customers?format=json", "text/csv"}, {"/customers", "application/json, text/csv;q=0.5"}} {
		if resp, body := e.csvGet(t, "admin", c.path, c.accept); !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s (Accept %q): %s %.80s", c.path, c.accept, resp.Header.Get("Content-Type"), body)
		}
	}
	// Not a list: 406, as a problem.
	resp, body = e.csvGet(t, "admin", "/customers/"+e.c1.String()+"?format=csv", "")
	if resp.StatusCode != http.StatusNotAcceptable || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") || !strings.Contains(body, "not a list") {
		t.Errorf("non-list: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// Errors stay problems: a bad filter, no token.
	resp, body = e.csvGet(t, "admin", "/customers?lifecycle_status=nope", "text/csv")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
		t.Errorf("bad filter: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := e.csvGet(t, "", "/customers?format=csv", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	// Who sees what is unchanged: a contact gets their own customer only,
	// another workspace none of acme's, and a list staff only see stays
	// refused.
	_, body = e.csvGet(t, "contact", "/customers?format=csv", "")
	if _, rows := csvTable(t, body); len(rows) != 1 || rows[0]["name"] != "Customer One" {
		t.Errorf("contact: %q", body)
	}
	if _, body := e.csvGet(t, "other_tenant", "/customers?format=csv", ""); strings.Contains(body, "Customer One") || strings.Contains(body, "Bulk") {
		t.Errorf("other tenant: %q", body)
	}
	if resp, body := e.csvGet(t, "contact", "/users?format=csv", ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("contact lists users: %d %s", resp.StatusCode, body)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCSVTooLong: a list of more than 10,000 records is refused with a
// 422 problem asking for narrower filters, not cut short; filtered under
// the bound it downloads.
func TestCSVTooLong(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	err := e.db.App.InTenant(context.Background(), e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO customers (tenant_id, name) SELECT $1, 'Bulk ' || g FROM generate_series(1, 10001) g RETURNING customer_id`, e.acme)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := e.csvGet(t, "admin", "/customers?format=csv", "")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") || !strings.Contains(body, "narrow") {
		t.Errorf("too long: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, body = e.csvGet(t, "admin", "/customers?format=csv&q=Bulk%20999", "")
	if _, rows := csvTable(t, body); resp.StatusCode != http.StatusOK || len(rows) != 11 { // Bulk 999 and Bulk 9990–9999
		t.Errorf("filtered: %d, %d rows", resp.StatusCode, len(rows))
	}
}
