package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestHealthPages: the health overview lists the demo's customers worst
// first with their level, and names Initech Health (Critical) first among
// whom to call, with the signal that costs it most; the filters narrow the
// list and the CSV download has the same rows; Initech's page shows its
// score, the reason, the history chart and each component's evidence;
// staff read both, a contact is sent to their portal.
func TestHealthPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	viewer := signIn(t, a, roleEmails["viewer"])
	p := get(t, viewer, a.url+"/app/health")
	if p.status != http.StatusOK {
		t.Fatalf("the health overview: %d", p.status)
	}
	rows := p.all("#health-table tbody tr")
	if len(rows) != 3 {
		t.Fatalf("%d rows, want the 3 demo customers", len(rows))
	}
	first := strings.Join(strings.Fields(p.text("#health-table tbody tr")), " ")
	if !strings.HasPrefix(first, "Initech Health") || !strings.Contains(first, "Critical") || !strings.Contains(first, "Marco Rossi") {
		t.Errorf("the worst first: %q, want Initech Health, Critical, Marco Rossi", first)
	}
	call := strings.Join(strings.Fields(p.text("#call-today")), " ")
	if !strings.Contains(call, "Initech Health Critical") || !strings.Contains(call, "/100:") || strings.Contains(call, "Globex") {
		t.Errorf("whom to call: %q, want Initech with its reason and not Globex", call)
	}
	p = get(t, viewer, a.url+"/app/health?level=healthy&sort=name")
	if got := strings.Join(strings.Fields(p.text("#health-table tbody")), " "); !strings.Contains(got, "Globex Logistics") || strings.Contains(got, "Initech") {
		t.Errorf("the Healthy customers: %q", got)
	}
	mine := get(t, signIn(t, a, "marco.rossi@acme.example"), a.url+"/app/health?csm=me")
	if got := strings.Join(strings.Fields(mine.text("#health-table tbody")), " "); !strings.Contains(got, "Initech Health") || strings.Contains(got, "Globex") {
		t.Errorf("Marco's customers: %q", got)
	}
	csv := get(t, viewer, a.url+"/app/health?format=csv&sort=score")
	lines := strings.Split(strings.TrimSpace(csv.raw), "\n")
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || len(lines) != 4 ||
		!strings.HasPrefix(lines[0], "customer_id,customer,score,level,trend") || !strings.Contains(lines[1], ",Initech Health,") {
		t.Errorf("the CSV: %d %s %q", csv.status, csv.header.Get("Content-Type"), lines)
	}

	initech := ""
	p = get(t, viewer, a.url+"/app/health?sort=score")
	for _, n := range p.all("#health-table tbody tr td a") {
		for _, at := range n.Attr {
			if at.Key == "href" && initech == "" {
				initech = at.Val
			}
		}
	}
	c := get(t, viewer, a.url+strings.TrimSuffix(initech, "#health"))
	if c.status != http.StatusOK {
		t.Fatalf("Initech's page: %d", c.status)
	}
	if lvl := c.text("#health-level"); lvl != "Critical" {
		t.Errorf("Initech's level: %q", lvl)
	}
	if reason := c.text("#health-reason"); !strings.Contains(reason, "What costs it most:") {
		t.Errorf("the reason: %q", reason)
	}
	if n := len(c.all("#health-chart circle.dot")); n < 20 {
		t.Errorf("the chart has %d points, want the demo's months of history", n)
	}
	if n := len(c.all("#health-chart rect.band")); n != 4 {
		t.Errorf("the chart has %d level bands, want 4", n)
	}
	usage := c.text("#component-usage")
	if !strings.Contains(usage, "daily_active_users") || !strings.Contains(usage, "demo-initech-") {
		t.Errorf("the usage component's evidence: %q, want the signal and the events cited", usage)
	}
	if got := c.text("#component-support_sentiment"); !strings.Contains(got, "blocked_tasks 1") {
		t.Errorf("support sentiment's evidence: %q, want the blocked task", got)
	}
	// Globex's first API call, its first value, is on its page.
	var globex string
	for _, n := range p.all("#health-table tbody tr td a") {
		for _, at := range n.Attr {
			if at.Key == "href" && n.FirstChild != nil && strings.HasPrefix(n.FirstChild.Data, "Globex") {
				globex = at.Val
			}
		}
	}
	g := get(t, viewer, a.url+strings.TrimSuffix(globex, "#health"))
	if got := g.text("#milestones-reached"); !strings.Contains(got, "First API call") || !strings.Contains(got, "demo-globex-") {
		t.Errorf("Globex's milestones: %q", got)
	}

	// The success metrics' table downloads too, by the grouping asked.
	m := get(t, viewer, a.url+"/app/metrics?group_by=csm&format=csv")
	if lines := strings.Split(strings.TrimSpace(m.raw), "\n"); m.status != http.StatusOK || !strings.HasPrefix(lines[0], "csm,projects,time_to_first_value_median") ||
		len(lines) < 2 || !strings.Contains(m.raw, "Marco Rossi") {
		t.Errorf("the metrics CSV: %d %q", m.status, lines)
	}
	contact := signIn(t, a, "lena.park@initech.example")
	if p := get(t, contact, a.url+"/app/health"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/portal/") {
		t.Errorf("a contact on the health overview: %d %s", p.status, p.header.Get("Location"))
	}
}
