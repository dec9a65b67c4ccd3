package web_test

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// download GETs u and reads its CSV into the header and the rows by
// column, failing unless it is a CSV download named list.
func download(t *testing.T, c *http.Client, u, list string) ([]string, []map[string]string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := `attachment; filename="` + list + "-" + time.Now().UTC().Format(time.DateOnly) + `.csv"`
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || resp.Header.Get("Content-Disposition") != want {
		t.Fatalf("%s: %d %s %s %.200s", u, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), body)
	}
	records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("%s: not CSV (%v): %q", u, err, body)
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

// TestListDownloads: the customers, projects and my-tasks pages link to a
// CSV download of their rows with the page's filters; the download holds
// every row the filters select, custom fields as columns, formulas
// guarded; only staff may download.
func TestListDownloads(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	defineCustomFields(t, a)
	c := signIn(t, a, roleEmails["csm"])
	if p := post(t, c, a.url+"/app/customers", url.Values{"name": {"=1+2"}, "lifecycle_status": {"churned"}, "cf.plan": {"Pro"}, "arr": {"1200"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", p.status, p.text(".error"))
	}

	// Customers: the link keeps the filter; the download applies it.
	list := get(t, c, a.url+"/app/customers?lifecycle_status=churned")
	links := list.all("a#customers-csv")
	if len(links) != 1 {
		t.Fatal("no download link on the customers page")
	}
	href, _ := url.Parse(attr(links[0], "href"))
	if href.Path != "/app/customers" || href.Query().Get("format") != "csv" || href.Query().Get("lifecycle_status") != "churned" || href.Query().Get("cursor") != "" {
		t.Errorf("the link %q", href)
	}
	header, rows := download(t, c, a.url+href.String(), "customers")
	if header[0] != "Name" || !strings.Contains(strings.Join(header, ","), "Plan") {
		t.Errorf("header %q", header)
	}
	if len(rows) != 1 || rows[0]["Name"] != "'=1+2" || rows[0]["Plan"] != "Pro" || rows[0]["ARR"] != "1200" || rows[0]["Lifecycle status"] != "Churned" {
		t.Errorf("churned customers: %q", rows)
	}
	var customers int
	actScan(t, a, `SELECT count(*) FROM customers WHERE archived_at IS NULL`, nil, &customers)
	if _, rows := download(t, c, a.url+"/app/customers?format=csv", "customers"); len(rows) != customers {
		t.Errorf("all customers: %d rows, want %d", len(rows), customers)
	}
	if _, rows := download(t, c, a.url+"/app/customers?format=csv&cf.plan=Pro", "customers"); len(rows) != 1 {
		t.Errorf("customers on Pro: %d rows", len(rows))
	}

	// Projects: of one customer, as the filter says.
	var customer string
	var projects int
	actScan(t, a, `SELECT customer_id::text, count(*) FROM projects GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT 1`, nil, &customer, &projects)
	pl := get(t, c, a.url+"/app/projects?customer_id="+customer)
	links = pl.all("a#projects-csv")
	if len(links) != 1 || !strings.Contains(attr(links[0], "href"), "customer_id="+customer) || !strings.Contains(attr(links[0], "href"), "format=csv") {
		t.Fatal("the projects page's link")
	}
	_, rows = download(t, c, a.url+attr(links[0], "href"), "projects")
	var customerName string
	actScan(t, a, `SELECT name FROM customers WHERE customer_id = $1`, []any{customer}, &customerName)
	if len(rows) != projects {
		t.Errorf("the customer's projects: %d rows, want %d", len(rows), projects)
	}
	for _, r := range rows {
		if r["Customer"] != customerName || r["Project"] == "" || r["Status"] == "" {
			t.Errorf("a project row %q", r)
		}
	}

	// My tasks.
	mt := get(t, c, a.url+"/app/my-tasks")
	if len(mt.all(`a#my-tasks-csv[href="/app/my-tasks?format=csv"]`)) != 1 {
		t.Error("no download link on my tasks")
	}
	if header, _ := download(t, c, a.url+"/app/my-tasks?format=csv", "my-tasks"); header[0] != "Task" {
		t.Errorf("my tasks header %q", header)
	}

	// The journey board: every active customer, by stage.
	if len(get(t, c, a.url+"/app/journey").all(`a#journey-csv[href="/app/journey?format=csv"]`)) != 1 {
		t.Error("no download link on the journey board")
	}
	if header, rows := download(t, c, a.url+"/app/journey?format=csv", "journey"); header[0] != "Customer" || len(rows) != customers {
		t.Errorf("journey: %q, %d rows, want %d", header, len(rows), customers)
	}

	// The dashboard's report: the open projects.
	if len(get(t, c, a.url+"/app").all(`a#dashboard-csv[href="/app?format=csv"]`)) != 1 {
		t.Error("no download link on the dashboard")
	}
	var open int
	actScan(t, a, `SELECT count(*) FROM projects WHERE status NOT IN ('completed', 'cancelled')`, nil, &open)
	if header, rows := download(t, c, a.url+"/app?format=csv", "dashboard"); header[0] != "Project" || len(rows) != open {
		t.Errorf("dashboard: %q, %d rows, want %d", header, len(rows), open)
	}

	// A contact may not download the console's lists.
	contact := client(t)
	if p := post(t, contact, a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"hannah.becker@globex.example"}, "password": {demo.Password}}, a.url); p.status != http.StatusSeeOther {
		t.Fatal("the contact's sign-in")
	}
	for _, u := range []string{"/app/customers?format=csv", "/app/projects?format=csv", "/app/journey?format=csv", "/app/my-tasks?format=csv", "/app?format=csv"} {
		p := get(t, contact, a.url+u)
		if strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") || p.header.Get("Content-Disposition") != "" {
			t.Errorf("a contact downloads %s: %d", u, p.status)
		}
	}
}
