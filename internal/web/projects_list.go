package web

import (
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// projectsPageSize is how many projects the list shows at once.
const projectsPageSize = 25

// projectsData is the projects list: the page, the filter as asked (kept in
// the form and the next page's link).
type projectsData struct {
	Page     *postgres.ProjectsPage
	Q        string
	Status   string
	CSM      string
	Customer string
	Overdue  bool
	AtRisk   bool
	Sort     string
	Sorts    []projectSortChoice
	Statuses []onboardiq.Status
	Next     string
	First    string
	CSV      string // the download link: the filtered list as CSV
}

type projectSortChoice struct{ Value, Label string }

// projectSortChoices are the orders the list offers, in words.
var projectSortChoices = []projectSortChoice{
	{"-created_at", "Newest first"}, {"created_at", "Oldest first"},
	{"deadline", "Deadline, soonest first"}, {"-deadline", "Deadline, latest first"},
	{"name", "Name, A to Z"}, {"-name", "Name, Z to A"},
	{"-progress", "Progress, most first"}, {"progress", "Progress, least first"},
}

var projectStatuses = []onboardiq.Status{onboardiq.StatusNotStarted, onboardiq.StatusInProgress, onboardiq.StatusBlocked,
	onboardiq.StatusOnHold, onboardiq.StatusCompleted, onboardiq.StatusCancelled}

// projects is the projects list: filters (status, CSM, customer, overdue,
// at risk), search by name, sort and paging, all in the query string.
func (h *Handler) projects(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := &projectsData{Q: q.Get("q"), Status: q.Get("status"), CSM: q.Get("csm"), Customer: q.Get("customer_id"),
		Overdue: q.Get("overdue") != "", AtRisk: q.Get("at_risk") != "", Sort: q.Get("sort"), Sorts: projectSortChoices, Statuses: projectStatuses}
	f := postgres.ProjectFilter{ListOptions: onboardiq.ListOptions{Limit: projectsPageSize, Cursor: q.Get("cursor")},
		Q: d.Q, Status: onboardiq.Status(d.Status), Overdue: d.Overdue, AtRisk: d.AtRisk, Sort: d.Sort}
	var err error
	if f.SupportMemberID, err = queryUUID(d.CSM, "csm"); err != nil {
		return err
	}
	if f.CustomerID, err = queryUUID(d.Customer, "customer_id"); err != nil {
		return err
	}
	if wantsCSV(r) {
		return h.projectsCSV(w, r, f)
	}
	pg, err := h.DB.LoadProjectsPage(r.Context(), f)
	if err != nil {
		return err
	}
	d.Page = pg
	filter := url.Values{}
	for k, v := range map[string]string{"q": d.Q, "status": d.Status, "csm": d.CSM, "customer_id": d.Customer, "sort": d.Sort} {
		if v != "" {
			filter.Set(k, v)
		}
	}
	if d.Overdue {
		filter.Set("overdue", "1")
	}
	if d.AtRisk {
		filter.Set("at_risk", "1")
	}
	d.CSV = csvLink("/app/projects", filter)
	if f.Cursor != "" {
		d.First = "/app/projects?" + filter.Encode()
	}
	if c := pg.Projects.NextCursor; c != "" {
		filter.Set("cursor", c)
		d.Next = "/app/projects?" + filter.Encode()
	}
	return h.render(w, r, http.StatusOK, "projects.html", view{Title: "Projects", Data: d, Unread: pg.Unread, counted: true})
}

// queryUUID parses an optional id of the query string; a malformed one is
// invalid input about field.
func queryUUID(s, field string) (*uuid.UUID, error) {
	if s == "" {
		return nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return nil, onboardiq.Invalid(field, "is not an id")
	}
	return &id, nil
}
