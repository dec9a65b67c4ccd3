package web

import (
	"html/template"
	"net/http"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/timeline"
)

// projectTimeline is a project's Gantt chart: a row per task, a diamond at
// its due date (tasks have no start date yet), classed by status and
// overdue; lines for today, the project's start, its deadline and the
// forecast finish.
func projectTimeline(pg *postgres.StaffProjectPage) template.HTML {
	pr := pg.Project
	c := timeline.Chart{Title: "Timeline of " + pr.Name + ": each task's due date, with today, the deadline and the forecast"}
	for _, t := range pg.Tasks {
		row := timeline.Row{Label: t.Description, Class: string(t.Status), Href: "/app/tasks/" + t.ID.String()}
		if t.DueAt != nil {
			row.End = *t.DueAt
			// A bar from its planned start; a task without one is a
			// diamond at its due date.
			if t.StartAt != nil && t.StartAt.Before(*t.DueAt) {
				row.Start = *t.StartAt
			}
		}
		if pg.Overdue[t.ID] {
			row.Class += " overdue"
		}
		c.Rows = append(c.Rows, row)
	}
	c.Markers = projectMarkers(pr, pg.Now)
	return timeline.SVG(c)
}

// projectMarkers are the lines a project's chart draws across its rows.
func projectMarkers(pr *onboardiq.Project, now time.Time) []timeline.Marker {
	ms := []timeline.Marker{{At: now, Label: "Today", Class: "today"}, {At: pr.StartDate, Label: "Start", Class: "start"}}
	if pr.Deadline != nil {
		ms = append(ms, timeline.Marker{At: *pr.Deadline, Label: "Deadline", Class: "deadline"})
	}
	if pr.ForecastFinish != nil {
		ms = append(ms, timeline.Marker{At: *pr.ForecastFinish, Label: "Forecast", Class: "forecast"})
	}
	return ms
}

// timelineProjects is how many open projects the portfolio timeline draws;
// the page says when there are more.
const timelineProjects = 100

// portfolio is the portfolio timeline page.
type portfolio struct {
	Chart     template.HTML
	Projects  []*onboardiq.Project
	Customers map[string]string // id → name
	Total     int
}

// timelinePage draws every open project (staff) from its start to its
// deadline, with its forecast finish, overdue and at-risk projects marked.
func (h *Handler) timelinePage(w http.ResponseWriter, r *http.Request) error {
	pg, err := h.DB.LoadTimelinePage(r.Context(), timelineProjects)
	if err != nil {
		return err
	}
	d := &portfolio{Projects: pg.Projects, Customers: map[string]string{}, Total: pg.Total}
	for id, name := range pg.Customers {
		d.Customers[id.String()] = name
	}
	now := time.Now()
	c := timeline.Chart{Title: "Open projects from start to deadline, with their forecast finish and today",
		Markers: []timeline.Marker{{At: now, Label: "Today", Class: "today"}}}
	for _, pr := range pg.Projects {
		row := timeline.Row{Label: pr.Name + " · " + pg.Customers[pr.CustomerID], Start: pr.StartDate, Class: portfolioClass(pr),
			Href: "/app/projects/" + pr.ID.String()}
		if pr.Deadline != nil {
			row.End = *pr.Deadline
		}
		if pr.ForecastFinish != nil {
			row.Points = []timeline.Point{{At: *pr.ForecastFinish, Label: "Forecast", Class: "forecast"}}
		}
		c.Rows = append(c.Rows, row)
	}
	d.Chart = timeline.SVG(c)
	return h.render(w, r, http.StatusOK, "timeline.html", view{Title: "Timeline", Data: d, Unread: pg.Unread, counted: true})
}

// portfolioClass classes a project's row: its status, and overdue or at
// risk (a project on hold is neither).
func portfolioClass(pr *onboardiq.Project) string {
	c := string(pr.Status)
	switch {
	case pr.Status.Paused():
	case pr.Overdue:
		c += " overdue"
	case pr.AtRisk:
		c += " at_risk"
	}
	return c
}
