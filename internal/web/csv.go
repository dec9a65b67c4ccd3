package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/csvout"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// CSV downloads of the console's lists: a list page asked with
// ?format=csv answers every row its filters select (not only the page on
// screen), up to csvout.MaxRows, as a CSV file with the columns the page
// shows and a few more. The page's "Download CSV" link is its URL with the
// filters and format=csv. The session decides what may be read, as for the
// page.

// csvPageSize is how many rows each read of a download asks for: the
// store's largest page.
const csvPageSize = 200

// wantsCSV reports whether a list page is asked as a CSV download.
func wantsCSV(r *http.Request) bool { return r.URL.Query().Get("format") == "csv" }

// csvLink is a list page's download link: its path with the filters and
// format=csv (never a cursor: the download is the whole list).
func csvLink(path string, filter url.Values) string {
	q := url.Values{}
	for k, v := range filter {
		if k != "cursor" {
			q[k] = v
		}
	}
	q.Set("format", "csv")
	return path + "?" + q.Encode()
}

// allPages reads a list page after page, following the cursor, and
// refuses a list longer than csvout.MaxRows.
func allPages[T any](read func(cursor string) ([]T, string, error)) ([]T, error) {
	var out []T
	cursor := ""
	for {
		items, next, err := read(cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(out) > csvout.MaxRows {
			return nil, onboardiq.Invalid("format", "the list has more than %d rows, more than one download holds: narrow it with the filters", csvout.MaxRows)
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// writeCSV answers a download named list (list-YYYY-MM-DD.csv): the
// header, then the rows, every cell guarded against formulas.
func writeCSV(w http.ResponseWriter, list string, header []string, rows [][]string) error {
	var b bytes.Buffer
	cw := csvout.NewWriter(&b)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range rows {
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", csvout.Disposition(csvout.Filename(list, time.Now().UTC().Format(dayLayout))))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := b.WriteTo(w)
	return err
}

// csvTime is a time cell: RFC 3339 in UTC, "" for none.
func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvNumber(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

func csvString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// customFieldsCSV is the header and cells of an entity's custom fields.
func customFieldsCSV(defs []*onboardiq.CustomField) (header []string, cells func(values map[string]any) []string) {
	for _, d := range defs {
		header = append(header, d.Label)
	}
	return header, func(values map[string]any) []string {
		out := make([]string, len(defs))
		for i, d := range defs {
			out[i] = customText(values[d.Key])
		}
		return out
	}
}

// customersCSV downloads the customers list as filtered.
func (h *Handler) customersCSV(w http.ResponseWriter, r *http.Request, f postgres.CustomerFilter) error {
	var defs []*onboardiq.CustomField
	rows, err := allPages(func(cursor string) ([]*postgres.CustomerSummary, string, error) {
		f.ListOptions = onboardiq.ListOptions{Limit: csvPageSize, Cursor: cursor}
		pg, err := h.DB.LoadCustomersPage(r.Context(), f)
		if err != nil {
			return nil, "", err
		}
		defs = pg.CustomFields
		return pg.Customers.Items, pg.Customers.NextCursor, nil
	})
	if err != nil {
		return err
	}
	cfHeader, cfCells := customFieldsCSV(defs)
	header := append([]string{"Name", "Segment", "CSM", "Lifecycle status", "ARR", "Renewal date", "External id",
		"Email", "Phone", "Website", "Open projects", "Progress", "Archived", "Created"}, cfHeader...)
	out := make([][]string, 0, len(rows))
	for _, c := range rows {
		progress := ""
		if c.Progress != nil {
			progress = strconv.FormatFloat(*c.Progress, 'f', 1, 64)
		}
		out = append(out, append([]string{c.Name, c.Segment, c.CSM, c.LifecycleStatus.Label(), csvNumber(c.ARR), csvString(c.RenewalDate),
			csvString(c.ExternalID), c.Contact("email"), c.Contact("phone"), c.Contact("website"), strconv.Itoa(c.OpenProjects), progress,
			strconv.FormatBool(c.ArchivedAt != nil), csvTime(&c.CreatedAt)}, cfCells(c.CustomFields)...))
	}
	return writeCSV(w, "customers", header, out)
}

// projectsCSV downloads the projects list as filtered and sorted.
func (h *Handler) projectsCSV(w http.ResponseWriter, r *http.Request, f postgres.ProjectFilter) error {
	rows, err := allPages(func(cursor string) ([]postgres.ProjectRow, string, error) {
		f.ListOptions = onboardiq.ListOptions{Limit: csvPageSize, Cursor: cursor}
		pg, err := h.DB.LoadProjectsPage(r.Context(), f)
		if err != nil {
			return nil, "", err
		}
		return pg.Projects.Items, pg.Projects.NextCursor, nil
	})
	if err != nil {
		return err
	}
	defs, err := h.DB.ListCustomFields(r.Context(), onboardiq.CustomFieldProject)
	if err != nil {
		return err
	}
	cfHeader, cfCells := customFieldsCSV(defs)
	header := append([]string{"Project", "Customer", "CSM", "Status", "Progress", "Start date", "Deadline", "Overdue", "At risk", "Completed"}, cfHeader...)
	out := make([][]string, 0, len(rows))
	for _, p := range rows {
		out = append(out, append([]string{p.Name, p.Customer, p.CSM, string(p.Status), strconv.FormatFloat(p.Progress, 'f', 1, 64),
			p.StartDate.UTC().Format(dayLayout), dayValue(p.Deadline), strconv.FormatBool(p.Overdue), strconv.FormatBool(p.AtRisk),
			csvTime(p.CompletedAt)}, cfCells(p.CustomFields)...))
	}
	return writeCSV(w, "projects", header, out)
}

// myTasksCSV downloads the caller's open tasks.
func (h *Handler) myTasksCSV(w http.ResponseWriter, r *http.Request) error {
	now := time.Now()
	rows, err := allPages(func(cursor string) ([]*postgres.MyTask, string, error) {
		pg, err := h.DB.ListMyTasks(r.Context(), onboardiq.ListOptions{Limit: csvPageSize, Cursor: cursor}, now)
		if err != nil {
			return nil, "", err
		}
		return pg.Items, pg.NextCursor, nil
	})
	if err != nil {
		return err
	}
	out := make([][]string, 0, len(rows))
	for _, t := range rows {
		out = append(out, []string{t.Description, t.Project, t.Customer, string(t.Status), t.Phase, dayValue(t.DueAt), strconv.FormatBool(t.Overdue)})
	}
	return writeCSV(w, "my-tasks", []string{"Task", "Project", "Customer", "Status", "Phase", "Due", "Overdue"}, out)
}

// journeyCSV downloads the journey board: one row per customer, by stage
// as the board orders them, the customers in no stage last.
func (h *Handler) journeyCSV(w http.ResponseWriter, b *postgres.JourneyBoard) error {
	var rows [][]string
	for _, col := range b.Columns {
		for _, c := range col.Customers {
			rows = append(rows, []string{c.Name, col.Stage.Name, c.CSM, csvTime(&c.Since), strconv.Itoa(c.Days)})
		}
	}
	for _, c := range b.Unstaged {
		rows = append(rows, []string{c.Name, "", c.CSM, "", ""})
	}
	return writeCSV(w, "journey", []string{"Customer", "Stage", "CSM", "In the stage since", "Days in the stage"}, rows)
}

// dashboardCSV downloads the dashboard's report: every active project
// with its customer, progress, deadline, and whether it is overdue or at
// risk and why.
func (h *Handler) dashboardCSV(w http.ResponseWriter, d *onboardiq.Dashboard) error {
	overdue := map[string]bool{}
	for _, p := range d.Overdue {
		overdue[p.ID.String()] = true
	}
	rows := make([][]string, 0, len(d.Active))
	for _, p := range d.Active {
		rows = append(rows, []string{p.Name, d.Customers[p.CustomerID.String()], string(p.Status), strconv.FormatFloat(p.Progress, 'f', 1, 64),
			dayValue(p.Deadline), strconv.FormatBool(overdue[p.ID.String()]), strconv.FormatBool(p.AtRisk && !p.Status.Paused()), csvString(p.RiskReason), dayValue(p.ForecastFinish)})
	}
	return writeCSV(w, "dashboard", []string{"Project", "Customer", "Status", "Progress", "Deadline", "Overdue", "At risk", "Why at risk", "Forecast finish"}, rows)
}
